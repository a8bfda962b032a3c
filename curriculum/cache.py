"""Scores written once and reused: ``.npy`` values plus a ``.json`` sidecar of metadata.

The sidecar records the format version, the scorer and its settings, a fingerprint of the corpus,
the count and a checksum of the values. Reading checks all of it: a stale entry (other corpus or
settings) raises :class:`StaleCacheError` and a damaged one :class:`CacheError`; neither is ever
used silently. Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._validation import check_texts, fingerprint_array

__all__ = [
    "CacheError",
    "ScoreCache",
    "StaleCacheError",
    "corpus_fingerprint",
    "load_array",
    "load_scores",
    "save_array",
    "save_scores",
]

FORMAT_VERSION = 1


class CacheError(RuntimeError):
    """A cache entry is corrupt or unreadable."""


class StaleCacheError(CacheError):
    """A cache entry was computed for another corpus or other scorer settings."""


def corpus_fingerprint(texts: Sequence[str]) -> str:
    """Content hash of a corpus: order, lengths and bytes of every text."""
    h = hashlib.blake2b(digest_size=16)
    for text in texts:
        raw = text.encode("utf-8")
        h.update(struct.pack("<Q", len(raw)))
        h.update(raw)
    return h.hexdigest()


def sidecar(path: str | os.PathLike[str]) -> Path:
    """The metadata file beside a scores file: ``scores.npy`` -> ``scores.json``."""
    return Path(path).with_suffix(".json")


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_array(
    path: str | os.PathLike[str], values: NDArray[Any], metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``values`` to ``path`` (``.npy``) and its metadata, with a checksum, to the sidecar.

    Returns:
        The path of the array file.
    """
    path = Path(path)
    if path.suffix != ".npy":
        raise ValueError(f"path must end in .npy, but got path={str(path)!r}")
    values = np.ascontiguousarray(values)
    meta = {
        **(metadata or {}),
        "format_version": FORMAT_VERSION,
        "count": int(values.shape[0]),
        "shape": list(values.shape),
        "checksum": fingerprint_array(values),
    }
    _atomic_write(path, lambda f: np.save(f, values, allow_pickle=False))
    _atomic_write(sidecar(path), lambda f: f.write(json.dumps(meta, indent=2).encode()))
    return path


def load_array(
    path: str | os.PathLike[str],
    *,
    what: str = "scores",
    ndim: int = 1,
    expect: dict[str, Any] | None = None,
    require_metadata: bool = True,
    mmap: bool = False,
) -> NDArray[Any]:
    """Read an array written by :func:`save_array`, checking it against its metadata.

    Args:
        path: the ``.npy`` file.
        what: what the array holds, for messages (``"scores"``, ``"embeddings"``).
        ndim: the number of dimensions it must have.
        expect: metadata values that must match (e.g. ``corpus``, ``scorer``, ``params``).
        require_metadata: without it, a bare ``.npy`` with no sidecar is accepted.
        mmap: memory-map the file instead of reading it into memory.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CacheError: the file or its sidecar is unreadable, or the values do not match it.
        StaleCacheError: the sidecar does not match ``expect``.
    """
    path = Path(path)
    meta_path = sidecar(path)
    fix = f"delete {path} and {meta_path.name} and compute the {what} again"
    if not path.exists():
        raise FileNotFoundError(f"no {what} file at {path}")
    meta: dict[str, Any] | None = None
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as exc:
            raise CacheError(f"{what} metadata {meta_path} is corrupt ({exc}); {fix}") from None
    elif require_metadata or expect:
        raise CacheError(f"{what} metadata {meta_path} is missing for {path}; {fix}")
    try:
        values = np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except (ValueError, OSError, EOFError) as exc:
        raise CacheError(f"{what} file {path} is corrupt ({exc}); {fix}") from None
    if values.ndim != ndim or not np.issubdtype(values.dtype, np.number):
        raise CacheError(
            f"{what} file {path} holds an array of shape {values.shape} and dtype "
            f"{values.dtype}, expected {ndim} dimension(s) of numbers; {fix}"
        )
    if meta is not None:
        if meta.get("format_version") != FORMAT_VERSION:
            raise CacheError(
                f"{what} metadata {meta_path} has format_version="
                f"{meta.get('format_version')!r}, expected {FORMAT_VERSION}; {fix}"
            )
        if meta.get("count") != values.shape[0] or meta.get("checksum") != fingerprint_array(
            values
        ):
            raise CacheError(
                f"{what} file {path} does not match its metadata (count {values.shape[0]} vs "
                f"{meta.get('count')!r}, or checksum differs): it was changed or half-written; "
                f"{fix}"
            )
        diffs = [
            f"{key}: cached {meta.get(key)!r}, expected {value!r}"
            for key, value in (expect or {}).items()
            if meta.get(key) != value
        ]
        if diffs:
            raise StaleCacheError(
                f"{what} in {path} are stale:\n  " + "\n  ".join(diffs) + f"\n{fix}"
            )
    if not np.isfinite(values).all():
        raise CacheError(f"{what} file {path} holds non-finite values; {fix}")
    return values


def save_scores(
    path: str | os.PathLike[str],
    scores: NDArray[np.float64],
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write ``scores`` (float64, 1-D) to ``path`` and its metadata to the ``.json`` sidecar."""
    return save_array(path, np.asarray(scores, dtype=np.float64).reshape(-1), metadata)


def load_scores(
    path: str | os.PathLike[str],
    *,
    expect: dict[str, Any] | None = None,
    require_metadata: bool = True,
) -> NDArray[np.float64]:
    """Read scores written by :func:`save_scores`; see :func:`load_array` for the checks."""
    values = load_array(path, expect=expect, require_metadata=require_metadata)
    return values.astype(np.float64, copy=False)


class ScoreCache:
    """A directory of score files, one per (scorer settings, corpus).

    >>> cache = ScoreCache(".curriculum-cache")  # doctest: +SKIP
    >>> scores = cache.get_or_compute(ReadabilityScorer(), texts)  # doctest: +SKIP

    Args:
        directory: where entries live; created on first write.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _expect(self, scorer: Any, fingerprint: str, count: int) -> dict[str, Any]:
        params = scorer.cache_params() if hasattr(scorer, "cache_params") else {}
        return {
            "scorer": getattr(scorer, "name", type(scorer).__name__),
            "params": json.loads(json.dumps(params, default=repr)),
            "corpus": fingerprint,
            "count": count,
        }

    def path_for(self, scorer: Any, texts: Sequence[str]) -> Path:
        """Where the scores of ``scorer`` on ``texts`` are (or would be) stored."""
        expect = self._expect(scorer, corpus_fingerprint(texts), len(texts))
        return self._path(expect)

    def _path(self, expect: dict[str, Any]) -> Path:
        key = hashlib.blake2b(json.dumps(expect, sort_keys=True).encode(), digest_size=8)
        return self.directory / f"{expect['scorer']}-{key.hexdigest()}.npy"

    def get_or_compute(
        self, scorer: Any, texts: Sequence[str], *, refresh: bool = False
    ) -> NDArray[np.float64]:
        """Cached scores of ``scorer`` on ``texts``, computing and storing them on a miss.

        Args:
            scorer: any object with ``score(texts)``; its ``name`` and ``cache_params()`` key it.
            texts: the corpus.
            refresh: recompute and overwrite even if an entry exists.
        """
        items = check_texts(texts)
        expect = self._expect(scorer, corpus_fingerprint(items), len(items))
        path = self._path(expect)
        if path.exists() and not refresh:
            return load_scores(path, expect=expect)
        scores = np.asarray(scorer.score(items), dtype=np.float64)
        if scores.shape != (len(items),) or not np.isfinite(scores).all():
            raise ValueError(
                f"{scorer!r} returned scores of shape {scores.shape} (finite: "
                f"{bool(np.isfinite(scores).all())}) for {len(items)} texts; a scorer must "
                "return one finite float per text"
            )
        save_scores(path, scores, expect)
        return scores

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        removed = 0
        for path in self.directory.glob("*.npy"):
            path.unlink()
            sidecar(path).unlink(missing_ok=True)
            removed += 1
        return removed
