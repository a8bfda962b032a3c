"""A ranking computed once per node and memory-mapped by every rank on it.

Every rank of a run builds the same easy-to-hard ranking from the same scores and seed. With a
shared directory (the score cache, say), the first rank to get there computes it and writes it
as a ``.npy`` file with a ``.json`` sidecar (checksum included, see :mod:`curriculum.cache`);
the others wait on a lock file meanwhile, then memory-map the file instead of computing it
again. The pages are the operating system's page cache, so a node holds one copy, not one per
rank. The lock is an ``fcntl`` lock: it serialises ranks on one machine (on a network file
system, whether it holds across machines depends on the file system; the file is still written
atomically, so at worst two machines both compute it).
"""

from __future__ import annotations

import itertools
import json
import os
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
) -> list[NDArray[np.signedinteger]]:
    """The ranking (one array per stratum) that ``key`` describes, computed once per directory.

    Args:
        directory: where the ranking file lives (created if needed).
        key: everything the ranking depends on (scores fingerprint, seed, reverse, strata);
            JSON-serialisable.
        compute: computes the ranking when no rank has stored it yet.

    Returns:
        Read-only arrays backed by the memory-mapped file.

    Raises:
        CacheError: the stored file is damaged (it is never used then); the message says to
            delete it.
        OutputError: the directory cannot be written.
    """
    path = ranking_path(directory, key)
    fix = f"it is a cache entry: delete {path} and {sidecar(path).name} and it is computed again"
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"ranking_dir={str(directory)!r} cannot be created ({exc.strerror or exc}); give "
                "a writable directory, or ranking_dir=None to keep the ranking in memory"
            ) from None
        lock_path = path.with_suffix(".lock")
        try:
            lock = open(lock_path, "a+b")  # noqa: SIM115 - held across the computation
        except OSError as exc:
            raise OutputError(f"cannot write {str(lock_path)!r}: {exc.strerror or exc}") from None
        with lock:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # released when the file closes
            if not path.exists():  # no other rank stored it while this one waited
                ranks = compute()
                sizes = [int(r.shape[0]) for r in ranks]
                flat = np.concatenate(ranks) if len(ranks) > 1 else ranks[0]
                del ranks
                save_array(path, flat, {**key, "sizes": sizes, "what": "ranking"})
                del flat
    values = np.asarray(
        load_array(path, what="ranking", expect={**key, "what": "ranking"}, mmap=True, fix=fix)
    )
    sizes = _sizes(path, values.shape[0], fix)
    edges = np.cumsum([0, *sizes])
    return [values[lo:hi] for lo, hi in itertools.pairwise(edges)]


def _sizes(path: Path, count: int, fix: str) -> list[int]:
    """Per-stratum lengths recorded beside the ranking; they must add up to its length."""
    meta = json.loads(sidecar(path).read_text(encoding="utf-8"))
    sizes = meta.get("sizes")
    if (
        not isinstance(sizes, list)
        or not all(isinstance(s, int) and s >= 0 for s in sizes)
        or sum(sizes) != count
    ):
        raise CacheError(
            f"ranking metadata {sidecar(path)} has sizes={sizes!r}, which do not add up to the "
            f"{count} ranked samples; {fix}"
        )
    return sizes
