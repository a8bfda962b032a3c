"""A ranking computed once per node and memory-mapped by every rank on it.

Every rank of a run builds the same easy-to-hard ranking from the same scores and seed. With a
shared directory (the score cache, say), the first rank to get there computes it and writes it
as a ``.npy`` file with a ``.json`` sidecar (checksum included, see :mod:`curriculum.cache`);
the others wait on a lock file meanwhile, then memory-map the file instead of computing it
again. The pages are the operating system's page cache, so a node holds one copy, not one per
rank. The lock is an ``fcntl`` lock: it serialises ranks on one machine (on a network file
system, whether it holds across machines depends on the file system, and a file system without
locks is used without one; the file is written atomically, so at worst two ranks both compute
it).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum.cache import load_array, save_array, sidecar
from curriculum.errors import CacheError, OutputError
from curriculum.fingerprint import fingerprint_json

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, each rank computes (writes are atomic)
    fcntl = None  # type: ignore[assignment]

__all__ = ["RANKING_VERSION", "shared_ranking"]

#: Bumped when the ranking algorithm changes, so older files are not reused.
RANKING_VERSION = 2


def ranking_path(directory: str | os.PathLike[str], key: dict[str, Any]) -> Path:
    """Where the ranking described by ``key`` is stored in ``directory``."""
    digest = fingerprint_json({**key, "ranking_version": RANKING_VERSION}, what="ranking key")
    return Path(directory) / f"ranking-{digest}.npy"


def shared_ranking(
    directory: str | os.PathLike[str],
    key: dict[str, Any],
    compute: Callable[[], list[NDArray[np.signedinteger]]],
    *,
    optional: bool = False,
) -> list[NDArray[np.signedinteger]]:
    """The ranking (one array per stratum) that ``key`` describes, computed once per directory.

    Args:
        directory: where the ranking file lives (created if needed).
        key: everything the ranking depends on (scores fingerprint, seed, reverse, strata);
            JSON-serialisable.
        compute: computes the ranking when no rank has stored it yet.
        optional: when the directory cannot be written (a read-only score cache, say), warn
            and return the computed ranking in memory instead of raising.

    Returns:
        Read-only arrays backed by the memory-mapped file (in memory, when ``optional`` and
        the directory cannot be written).

    Raises:
        CacheError: the stored file is damaged (it is never used then); the message says to
            delete it.
        OutputError: the directory cannot be written (and ``optional`` is false).
    """
    path = ranking_path(directory, key)
    fix = f"it is a cache entry: delete {path} and {sidecar(path).name} and it is computed again"
    if not path.exists():
        try:
            _store(path, key, compute)
        except OutputError as exc:
            if not optional:
                raise
            warnings.warn(
                f"the ranking cannot be stored in {str(directory)!r} ({exc}); this sampler "
                "keeps its own in memory (pass ranking_dir= a writable directory to share it)",
                stacklevel=3,
            )
            return compute()
    values = np.asarray(
        load_array(path, what="ranking", expect={**key, "what": "ranking"}, mmap=True, fix=fix)
    )
    sizes = _sizes(path, values.shape[0], fix)
    edges = np.cumsum([0, *sizes])
    return [values[lo:hi] for lo, hi in itertools.pairwise(edges)]


def _store(
    path: Path, key: dict[str, Any], compute: Callable[[], list[NDArray[np.signedinteger]]]
) -> None:
    """Compute and store the ranking under the node's lock, unless a rank stored it meanwhile."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_suffix(".lock"), "a+b")  # noqa: SIM115 - held while computing
    except OSError as exc:
        raise OutputError(
            f"ranking_dir={str(path.parent)!r} cannot be written ({exc.strerror or exc}); give "
            "a writable directory, or ranking_dir=None to keep the ranking in memory"
        ) from None
    with lock:
        # Released when the file closes. A file system without locks (ENOLCK, ENOSYS) goes
        # without: ranks may then both compute the ranking, and the writes are atomic.
        if fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if path.exists():  # another rank stored it while this one waited
            return
        ranks = compute()
        sizes = [int(r.shape[0]) for r in ranks]
        flat = np.concatenate(ranks) if len(ranks) > 1 else ranks[0]
        del ranks
        save_array(path, flat, {**key, "sizes": sizes, "what": "ranking"})


def _sizes(path: Path, count: int, fix: str) -> list[int]:
    """Per-stratum lengths recorded beside the ranking; they must add up to its length."""
    meta = json.loads(sidecar(path).read_text(encoding="utf-8"))
    sizes = meta.get("sizes")
    if (
        not isinstance(sizes, list)
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in sizes)
        or sum(sizes) != count
    ):
        raise CacheError(
            f"ranking metadata {sidecar(path)} has sizes={sizes!r}, which do not add up to the "
            f"{count} ranked samples; {fix}"
        )
    return sizes
