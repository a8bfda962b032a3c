"""Cheap difficulty baselines from the curriculum-learning literature: length, compressibility."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from curriculum._validation import check_texts
from curriculum.errors import InvalidValueError
from curriculum.scorers.base import Scorer

__all__ = ["CompressionScorer", "LengthScorer"]

_WORD = re.compile(r"\S+")


class LengthScorer(Scorer):
    """Length as difficulty: longer texts are harder (Spitkovsky et al., 2010; Platanios et al.).

    Args:
        unit: ``"words"`` (whitespace-separated tokens) or ``"chars"``.
    """

    name = "length"

    @property
    def per_text(self) -> bool:
        """True: each text is scored on its own."""
        return True

    def __init__(self, unit: str = "words") -> None:
        self.unit = unit

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Number of words (or characters) in each text."""
        items = check_texts(texts)
        if self.unit == "words":
            return np.fromiter(
                (sum(1 for _ in _WORD.finditer(t)) for t in items), np.float64, len(items)
            )
        if self.unit == "chars":
            return np.fromiter((len(t) for t in items), np.float64, len(items))
        raise InvalidValueError(f"unit must be 'words' or 'chars', but got unit={self.unit!r}")


class CompressionScorer(Scorer):
    """Compression ratio as difficulty: less compressible text carries more information per byte.

    The score is ``len(zlib.compress(text)) / len(text)`` in UTF-8 bytes. Repetitive, formulaic
    texts compress well and score low. Very short texts score high because of zlib's fixed
    overhead, so combine this with length when the corpus mixes very short and long texts.

    Args:
        level: zlib compression level, 1 (fast) to 9 (best).
    """

    name = "compression"

    @property
    def per_text(self) -> bool:
        """True: each text is scored on its own."""
        return True

    def __init__(self, level: int = 9) -> None:
        self.level = level

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Compressed size over raw size, per text."""
        if isinstance(self.level, bool) or self.level not in range(1, 10):
            raise InvalidValueError(
                f"level must be an integer in [1, 9], but got level={self.level!r}"
            )
        items = check_texts(texts)
        out = np.empty(len(items), dtype=np.float64)
        for i, text in enumerate(items):
            raw = text.encode("utf-8")
            out[i] = len(zlib.compress(raw, self.level)) / len(raw)
        return out
