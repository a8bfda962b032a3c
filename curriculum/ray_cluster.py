"""Ray, the cluster side: joining one (or starting a local one) and reading a corpus into a Dataset.

Needs the ``ray`` extra; Ray is imported when these functions run, never by ``import curriculum``.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any

from curriculum._validation import check_int
from curriculum.errors import ClusterError, InvalidValueError, MissingExtraError, MissingFileError

__all__ = ["PROBE_TIMEOUT", "connect_ray", "corpus_format", "import_ray", "read_ray_dataset"]

#: Seconds to wait for a cluster's port before saying it cannot be reached.
PROBE_TIMEOUT = 3.0

_ADDRESS = re.compile(r"(?:ray://)?(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):(\d{1,5})")


def import_ray() -> Any:
    """``ray`` with Ray Data, or :class:`MissingExtraError` naming the extra."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingExtraError(
            "scoring on Ray needs Ray Data: pip install 'curriculum[ray]'"
        ) from None
    return ray


def _probe(address: str) -> None:
    """Fail at once, with the fix, when nothing listens at ``host:port``."""
    match = _ADDRESS.fullmatch(address)
    if match is None:
        raise InvalidValueError(
            f"address must be 'auto', 'host:port' or 'ray://host:port', but got address="
            f"{address!r}; leave it out to start a local Ray instance on this machine"
        )
    host, port = match.group(1).strip("[]"), int(match.group(2))
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            pass
    except OSError as exc:
        raise ClusterError(
            f"no Ray cluster can be reached at address={address!r} "
            f"({exc.strerror or exc or 'timed out'}); start one there (`ray start --head` on "
            "that machine), check the host and port, or leave the address out to start a local "
            "Ray instance on this machine"
        ) from None


def connect_ray(address: str | None = None, *, num_cpus: int | None = None) -> bool:
    """Join a Ray cluster, or start a local Ray instance; a Ray already started is used as is.

    Args:
        address: None starts a local instance on this machine (or joins the cluster
            ``RAY_ADDRESS`` names); ``"auto"`` joins the cluster started on this machine (Ray
            finds it); ``"host:port"`` (a cluster's GCS) or ``"ray://host:port"`` (Ray Client)
            is first checked to answer within a few seconds.
        num_cpus: CPUs of a local instance (default: all).

    Returns:
        Whether this call started Ray (the caller then shuts it down with ``ray.shutdown()``).

    Raises:
        ClusterError: nothing answers at ``address``.
        InvalidValueError: ``address`` is not one of the forms above.
        MissingExtraError: Ray is not installed.
    """
    if address is not None and address != "auto":
        _probe(address)
    ray = import_ray()
    if ray.is_initialized():
        return False
    local = address is None and not os.environ.get("RAY_ADDRESS")
    options: dict[str, Any] = {"include_dashboard": False} if local else {}
    if local and num_cpus is not None:
        options["num_cpus"] = check_int("num_cpus", num_cpus, minimum=1)
    ray.init(address=address, **options)
    return True


def corpus_format(path: str) -> str:
    """``"json"`` or ``"parquet"``, from a path's suffix; any other suffix is an error."""
    name = path.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "json"
    raise InvalidValueError(
        f"cannot tell the format of {path!r} from its name: pass format='json' (JSON lines) or "
        "format='parquet'. Plain text (one text per line) is read by local scoring only; "
        "convert it to JSON lines to score it on Ray"
    )


def read_ray_dataset(
    path: str | os.PathLike[str], *, format: str | None = None, **options: Any
) -> Any:
    """A Ray Dataset of a corpus: JSON lines or parquet, a local path or an object-storage URI.

    Args:
        path: a file or directory, local or a URI (``s3://...``, ``gs://...``).
        format: ``"json"`` (JSON lines) or ``"parquet"``; default from the suffix.
        options: passed to ``ray.data.read_json`` or ``ray.data.read_parquet``.
    """
    ray = import_ray()
    text = os.fspath(path)
    fmt = format or corpus_format(text)
    if fmt not in ("json", "parquet"):
        raise InvalidValueError(f"format must be 'json' or 'parquet', but got format={fmt!r}")
    if "://" not in text:
        if not Path(text).exists():
            raise MissingFileError(f"input {text!r} does not exist")
        text = str(Path(text).resolve())  # the same file for the driver and the workers
    if fmt == "parquet":
        return ray.data.read_parquet(text, **options)
    if Path(text).suffix and "file_extensions" not in options:
        options["file_extensions"] = None  # a file named as given (.ndjson too)
    return ray.data.read_json(text, **options)
