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

from curriculum.errors import InvalidTypeError

__all__ = [
    "callable_name",
    "canonical_json",
    "differing_settings",
    "fingerprint_array",
    "fingerprint_bytes",
    "fingerprint_json",
    "fingerprint_texts",
]


def fingerprint_array(values: Any, *, digest_size: int = 16) -> str:
    """Hash of an array's dtype, shape and bytes."""
    arr = np.ascontiguousarray(values)
    h = hashlib.blake2b(digest_size=digest_size)
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(arr.tobytes())
    return h.hexdigest()


def fingerprint_bytes(data: bytes, *, digest_size: int = 16) -> str:
    """Hash of raw bytes (a file's content)."""
    return hashlib.blake2b(data, digest_size=digest_size).hexdigest()


def fingerprint_texts(texts: Iterable[str], *, digest_size: int = 16) -> str:
    """Hash of a corpus: the order, byte length and UTF-8 bytes of every text."""
    h = hashlib.blake2b(digest_size=digest_size)
    for text in texts:
        raw = text.encode("utf-8")
        h.update(struct.pack("<Q", len(raw)))
        h.update(raw)
    return h.hexdigest()


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
