"""Scores written once and reused: ``.npy`` values plus a ``.json`` sidecar of metadata.

The sidecar records the format version, the scorer and its settings, a fingerprint of the corpus,
the count and a checksum of the values. Reading checks all of it: a stale entry (other corpus or
settings) raises :class:`StaleCacheError` and a damaged one :class:`CacheError`; neither is ever
used silently. Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._files import atomic_write, check_input
from curriculum._validation import check_scores, check_texts
from curriculum.errors import (
    CacheError,
    InvalidTypeError,
    InvalidValueError,
    MissingFileError,
    OutputExistsError,
    StaleCacheError,
)
from curriculum.fingerprint import (
    canonical_json,
    fingerprint_array,
    fingerprint_json,
    fingerprint_texts,
)

__all__ = [
    "CacheError",
    "ScoreCache",
    "StaleCacheError",
    "corpus_fingerprint",
    "load_array",
    "load_corpus_scores",
    "load_scores",
    "save_array",
    "save_scores",
]

FORMAT_VERSION = 1
#: The file name of a cache entry: scorer name, a dash, the 16-hex-digit key.
_ENTRY = re.compile(r"[A-Za-z0-9_.]+-[0-9a-f]{16}\.npy")


#: Content hash of a corpus (order, lengths and bytes of every text).
corpus_fingerprint = fingerprint_texts


def sidecar(path: str | os.PathLike[str]) -> Path:
    """The metadata file beside a scores file: ``scores.npy`` -> ``scores.json``."""
    path = Path(path)
    if not path.name or path.name in (".", ".."):
        raise InvalidValueError(f"{str(path)!r} is a directory, not a .npy file")
    return path.with_suffix(".json")


def is_sidecar(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds metadata written by :func:`save_array` (not some other JSON)."""
    try:
        meta = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "format_version" in meta


def check_sidecar_free(path: str | os.PathLike[str]) -> Path:
    """The sidecar path of ``path``; raises if a file that is not our metadata sits there.

    Raises:
        OutputExistsError: writing ``path`` would replace an unrelated ``.json`` file (a corpus
            named ``corpus.json`` beside ``-o corpus.npy``, say).
    """
    meta_path = sidecar(path)
    if meta_path.exists() and not is_sidecar(meta_path):
        raise OutputExistsError(
            f"{str(meta_path)!r} exists and is not a metadata file of this library; writing "
            f"{Path(path).name} would replace it with its metadata: choose another name than "
            f"{Path(path).name}"
        )
    return meta_path


def save_array(
    path: str | os.PathLike[str], values: NDArray[Any], metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``values`` to ``path`` (``.npy``) and its metadata, with a checksum, to the sidecar.

    Returns:
        The path of the array file.
    """
    path = Path(path)
    if path.suffix != ".npy":
        raise InvalidValueError(f"path must end in .npy, but got path={str(path)!r}")
    meta_path = check_sidecar_free(path)
    values = np.ascontiguousarray(values)
    if values.ndim == 0 or not (
        np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)
    ):
        raise InvalidTypeError(
            f"values must be an array of real numbers, but got shape {values.shape} and dtype "
            f"{values.dtype}"
        )
    if np.issubdtype(values.dtype, np.floating) and not np.isfinite(values).all():
        raise InvalidValueError(
            f"values must be finite, but {int((~np.isfinite(values)).sum())} are not (NaN or "
            "infinite); fix or rescore those samples"
        )
    canonical_json(metadata or {}, what="the metadata")  # refuses what JSON cannot hold
    meta = {
        **(metadata or {}),
        "format_version": FORMAT_VERSION,
        "count": int(values.shape[0]),
        "shape": list(values.shape),
        "checksum": fingerprint_array(values),
    }
    # Metadata first: a reader that finds the array (another rank sharing the cache, say) finds
    # its metadata too; a crash in between leaves only metadata, which is rewritten next time.
    atomic_write(meta_path, lambda f: f.write(json.dumps(meta, indent=2).encode()))
    atomic_write(path, lambda f: np.save(f, values, allow_pickle=False))
    return path


def load_array(
    path: str | os.PathLike[str],
    *,
    what: str = "scores",
    ndim: int = 1,
    expect: dict[str, Any] | None = None,
    require_metadata: bool = True,
    mmap: bool = False,
    fix: str | None = None,
) -> NDArray[Any]:
    """Read an array written by :func:`save_array`, checking it against its metadata.

    Args:
        path: the ``.npy`` file.
        what: what the array holds, for messages (``"scores"``, ``"embeddings"``).
        ndim: the number of dimensions it must have.
        expect: metadata values that must match (e.g. ``corpus``, ``scorer``, ``params``).
        require_metadata: without it, a bare ``.npy`` with no sidecar is accepted.
        mmap: memory-map the file instead of reading it into memory.
        fix: what the user should do about a damaged file (default: write it again).

    Raises:
        MissingFileError: ``path`` does not exist.
        InvalidValueError: ``path`` is not a ``.npy`` file.
        CacheError: the file or its sidecar is unreadable, or the values do not match it.
        StaleCacheError: the sidecar does not match ``expect``.
    """
    path = Path(path)
    meta_path = sidecar(path)
    if fix is None:
        fix = f"write {path.name} again (scores: curriculum score CORPUS -o {path})"
    if not path.exists():
        raise MissingFileError(f"no {what} file at {path}")
    if path.is_dir() or path.suffix != ".npy" or not path.stem:
        raise InvalidValueError(
            f"{str(path)!r} is not a {what} file: give the .npy file written by "
            "`curriculum score -o FILE.npy` (or save_scores)"
        )
    meta: dict[str, Any] | None = None
    if meta_path.exists():
        if not is_sidecar(meta_path):
            raise CacheError(
                f"{what} metadata {meta_path} is corrupt (or not the metadata of {path.name}: "
                f"unreadable, or some other JSON file); {fix}"
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    elif require_metadata or expect:
        raise CacheError(f"{what} metadata {meta_path} is missing for {path}; {fix}")
    try:
        values = np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except (ValueError, OSError, EOFError) as exc:
        raise CacheError(f"{what} file {path} is corrupt ({exc}); {fix}") from None
    real = np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)
    if values.ndim != ndim or not real:
        raise CacheError(
            f"{what} file {path} holds an array of shape {values.shape} and dtype "
            f"{values.dtype}, expected {ndim} dimension(s) of real numbers; {fix}"
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
    if np.issubdtype(values.dtype, np.floating) and not np.isfinite(values).all():
        raise CacheError(f"{what} file {path} holds non-finite values; {fix}")
    return values


def save_scores(
    path: str | os.PathLike[str],
    scores: NDArray[np.float64],
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write ``scores`` (float64, 1-D) to ``path`` and its metadata to the ``.json`` sidecar."""
    values = check_scores(scores, name="scores")
    return save_array(path, values, metadata)


def load_scores(
    path: str | os.PathLike[str],
    *,
    expect: dict[str, Any] | None = None,
    require_metadata: bool = True,
    fix: str | None = None,
) -> NDArray[np.float64]:
    """Read scores written by :func:`save_scores`; see :func:`load_array` for the checks."""
    values = load_array(path, expect=expect, require_metadata=require_metadata, fix=fix)
    return values.astype(np.float64, copy=False)


def load_corpus_scores(
    path: str | os.PathLike[str], texts: Sequence[str], *, fix: str, what: str = "scores"
) -> NDArray[np.float64]:
    """Scores that must belong to ``texts``: their sidecar's corpus fingerprint must match.

    Args:
        path: a scores file written by ``curriculum score`` or :func:`save_scores`.
        texts: the corpus, in order.
        fix: what the user should do when the scores belong to another corpus.
        what: the parameter that gave ``path``, for messages.
    """
    check_input(path, what=what)
    return load_scores(path, expect={"corpus": corpus_fingerprint(texts)}, fix=fix)


def _cache_fix(path: Path) -> str:
    return (
        f"it is a cache entry: delete {path} and {sidecar(path).name} (or pass refresh=True) "
        "and it is computed again"
    )


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
        key = fingerprint_json(expect, what="scorer settings")
        return self.directory / f"{expect['scorer']}-{key}.npy"

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
        fingerprint = corpus_fingerprint(items)
        cached = None if refresh else self.lookup(scorer, fingerprint, len(items))
        if cached is not None:
            return cached
        scores = np.asarray(scorer.score(items), dtype=np.float64)
        if scores.shape != (len(items),) or not np.isfinite(scores).all():
            raise InvalidValueError(
                f"{scorer!r} returned scores of shape {scores.shape} (finite: "
                f"{bool(np.isfinite(scores).all())}) for {len(items)} texts; a scorer must "
                "return one finite float per text"
            )
        self.store(scorer, fingerprint, scores)
        return scores

    def lookup(self, scorer: Any, fingerprint: str, count: int) -> NDArray[np.float64] | None:
        """The stored scores of ``scorer`` on the corpus with this fingerprint, or None.

        For a corpus that streams past (see :func:`curriculum.datasets.iter_texts`): its
        fingerprint and count are known before anything is scored.
        """
        expect = self._expect(scorer, fingerprint, count)
        path = self._path(expect)
        if not path.exists():
            return None
        return load_scores(path, expect=expect, fix=_cache_fix(path))

    def store(self, scorer: Any, fingerprint: str, scores: NDArray[np.float64]) -> Path:
        """Store the scores of ``scorer`` on the corpus with this fingerprint; returns the path."""
        expect = self._expect(scorer, fingerprint, int(np.shape(scores)[0]))
        return save_scores(self._path(expect), scores, expect)

    def clear(self) -> int:
        """Delete this cache's entries (and nothing else); returns how many were removed.

        An entry is a ``{name}-{key}.npy`` file whose ``.json`` sidecar is metadata of this
        library (scores, embeddings, and the rankings samplers store here, with their ``.lock``
        files); other files in the directory are left alone.
        """
        removed = 0
        for path in self.directory.glob("*.npy"):
            if _ENTRY.fullmatch(path.name) and is_sidecar(sidecar(path)):
                sidecar(path).unlink()
                path.unlink()
                path.with_suffix(".lock").unlink(missing_ok=True)
                removed += 1
        return removed
