"""Content fingerprints: the one place that hashes arrays, corpora and settings.

A fingerprint is a short hex digest (BLAKE2b) of everything that decides a result: the bytes,
dtype and shape of an array; the order, lengths and bytes of every text of a corpus; the canonical
JSON of a settings document. Resumption checks, cache keys and sidecars all use these functions.
A callable cannot be fingerprinted by content (two lambdas look alike): :func:`fingerprint_json`
refuses one unless told how to name it, and callers that must accept callables say so.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum.errors import InvalidTypeError

__all__ = [
    "TextHasher",
    "callable_name",
    "canonical_json",
    "differing_settings",
    "fingerprint_array",
    "fingerprint_bytes",
    "fingerprint_json",
    "fingerprint_texts",
    "row_hashes",
]


def fingerprint_array(values: Any, *, digest_size: int = 16) -> str:
    """Hash of an array's dtype, shape and bytes."""
    arr = np.ascontiguousarray(values)
    h = hashlib.blake2b(digest_size=digest_size)
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    if arr.size:
        h.update(arr.reshape(-1).view(np.uint8).data)  # the bytes, without a copy
    return h.hexdigest()


def fingerprint_bytes(data: bytes, *, digest_size: int = 16) -> str:
    """Hash of raw bytes (a file's content)."""
    return hashlib.blake2b(data, digest_size=digest_size).hexdigest()


class TextHasher:
    """:func:`fingerprint_texts` fed in parts: texts in order, one chunk at a time.

    ``TextHasher().update(a); .update(b)`` gives the digest of ``fingerprint_texts(a + b)``, so
    a corpus too large for memory is fingerprinted as it streams past.
    """

    def __init__(self, *, digest_size: int = 16) -> None:
        self._hash = hashlib.blake2b(digest_size=digest_size)
        #: How many texts have been fed.
        self.count = 0

    def update(self, texts: Iterable[str]) -> None:
        """Feed the next texts of the corpus, in order."""
        h = self._hash
        for text in texts:
            raw = text.encode("utf-8")
            h.update(struct.pack("<Q", len(raw)))
            h.update(raw)
            self.count += 1

    def hexdigest(self) -> str:
        """The fingerprint of every text fed so far."""
        return self._hash.hexdigest()


def fingerprint_texts(texts: Iterable[str], *, digest_size: int = 16) -> str:
    """Hash of a corpus: the order, byte length and UTF-8 bytes of every text."""
    hasher = TextHasher(digest_size=digest_size)
    hasher.update(texts)
    return hasher.hexdigest()


def row_hashes(positions: Iterable[int], texts: Iterable[str]) -> NDArray[np.uint64]:
    """One 64-bit hash per (position, text) pair.

    Their sum (modulo 2**64, the wrap-around of ``uint64`` addition) does not depend on the order
    the pairs come in, so two processes that saw the same texts at the same positions, in any
    order and in any parts, get the same sum; a text read differently or at another position
    changes it.
    """
    out = [
        int.from_bytes(
            hashlib.blake2b(struct.pack("<Q", int(i)) + t.encode("utf-8"), digest_size=8).digest(),
            "little",
        )
        for i, t in zip(positions, texts, strict=True)
    ]
    return np.array(out, dtype=np.uint64)


def callable_name(fn: Callable[..., Any]) -> str:
    """``module.qualname`` of a callable: a label for messages, not a content fingerprint."""
    module = getattr(fn, "__module__", None) or "?"
    return f"{module}.{getattr(fn, '__qualname__', type(fn).__name__)}"


def canonical_json(doc: Any, *, callables: str = "refuse", what: str = "settings") -> str:
    """``doc`` as canonical JSON (sorted keys, no spaces); numpy scalars become numbers.

    Args:
        doc: JSON-like data.
        callables: ``"refuse"`` raises on a callable; ``"name"`` writes it as
            ``{"callable": "module.qualname"}`` (a label only: two lambdas look alike).
        what: what ``doc`` describes, for the error message.
    """

    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, (set, frozenset)):
            return sorted(obj, key=repr)
        if callable(obj):
            if callables == "name":
                return {"callable": callable_name(obj)}
            raise InvalidTypeError(
                f"{what} hold the callable {callable_name(obj)}, which cannot be fingerprinted "
                "(two callables with the same name may differ); use a named setting instead"
            )
        raise InvalidTypeError(
            f"{what} hold {type(obj).__name__} ({obj!r:.60}), which cannot be written as JSON "
            "or fingerprinted; use numbers, strings, lists and mappings"
        )

    return json.dumps(doc, sort_keys=True, separators=(",", ":"), default=default)


def fingerprint_json(
    doc: Any, *, callables: str = "refuse", what: str = "settings", digest_size: int = 8
) -> str:
    """Hash of :func:`canonical_json` of ``doc``."""
    raw = canonical_json(doc, callables=callables, what=what).encode()
    return hashlib.blake2b(raw, digest_size=digest_size).hexdigest()


def differing_settings(
    saved: Mapping[str, Any], mine: Mapping[str, Any], *, this: str
) -> list[str]:
    """One line per setting of ``mine`` that a saved state holds differently.

    Settings compare as canonical JSON (callables by name); a saved value JSON cannot hold (an
    edited state) differs. ``this`` names the object in the lines (``"this sampler"``).
    """
    lines = []
    for key, value in mine.items():
        held = saved.get(key)
        try:
            same = canonical_json(held, callables="name") == canonical_json(value, callables="name")
        except InvalidTypeError:
            same = False
        if not same:
            lines.append(f"{key}: saved {held!r:.120}, {this} {value!r}")
    return lines
