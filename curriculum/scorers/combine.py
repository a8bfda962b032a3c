"""Combining scorers: weighted average of percentile ranks, so scales never matter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata

from curriculum._validation import check_scores, check_texts
from curriculum.errors import InvalidValueError
from curriculum.scorers.base import Scorer

__all__ = ["CombinedScorer", "combine", "percentile_rank"]


def percentile_rank(scores: ArrayLike) -> NDArray[np.float64]:
    """Percentile rank of each score in [0, 1] (ties share their average rank; one item -> 0.5)."""
    s = check_scores(scores)
    if s.shape[0] == 1:
        return np.array([0.5])
    return (rankdata(s, method="average") - 1.0) / (s.shape[0] - 1)


MODES = ("weighted", "lexicographic")


def combine(
    scores: Sequence[ArrayLike],
    weights: Sequence[float] | None = None,
    *,
    mode: str = "weighted",
) -> NDArray[np.float64]:
    """Combine several score arrays into one difficulty, in one of two ways.

    ``mode="weighted"``: weighted average of percentile ranks. Each array is turned into
    percentile ranks first, so a grade level (0-20) and a compression ratio (0-1) count by their
    weights alone. Returns values in [0, 1].

    ``mode="lexicographic"``: the first array decides, the next ones only break its ties (e.g.
    concept depth first, readability within a depth). Returns the dense rank of each sample's
    tuple of scores (0, 1, 2, ...): samples equal on every array share a value, and the order
    of the first array's levels is kept, so :meth:`~curriculum.pacing.Step.for_groups` on the
    first array still gives one stage per level.

    Args:
        scores: arrays of equal length, each one difficulty per sample (higher = harder).
        weights: for ``weighted``: non-negative weights, one per array (default equal).
        mode: ``"weighted"`` or ``"lexicographic"``.

    Returns:
        One combined difficulty per sample.
    """
    if mode not in MODES:
        raise InvalidValueError(f"mode must be one of {list(MODES)}, but got mode={mode!r}")
    arrays = [check_scores(a, name=f"scores[{i}]") for i, a in enumerate(scores)]
    if not arrays:
        raise InvalidValueError("scores must hold at least one score array, but got none")
    lengths = [a.shape[0] for a in arrays]
    if len(set(lengths)) > 1:
        raise InvalidValueError(
            f"all score arrays must have the same length, but got lengths "
            f"{lengths}; score the same corpus with every scorer"
        )
    if mode == "lexicographic":
        if weights is not None:
            raise InvalidValueError(
                "weights apply to mode='weighted' only; order the arrays instead"
            )
        _, dense = np.unique(np.column_stack(arrays), axis=0, return_inverse=True)
        return dense.reshape(-1).astype(np.float64)
    w = _check_weights(weights, len(arrays))
    return np.average(np.vstack([percentile_rank(a) for a in arrays]), axis=0, weights=w)


def _check_weights(weights: Sequence[float] | None, n: int) -> NDArray[np.float64]:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise InvalidValueError(
            f"weights must have {n} values (one per scorer), but got weights={list(weights)!r}"
        )
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InvalidValueError(
            "weights must be finite, non-negative and not all zero, "
            f"but got weights={list(weights)!r}"
        )
    return w


class CombinedScorer(Scorer):
    """A scorer that combines others with :func:`combine`.

    Args:
        scorers: the scorers to combine, most important first for ``lexicographic``.
        weights: one weight per scorer for ``weighted`` (default equal).
        mode: ``"weighted"`` (rank average) or ``"lexicographic"`` (first scorer decides).
    """

    name = "combined"

    def __init__(
        self,
        scorers: Sequence[Scorer],
        weights: Sequence[float] | None = None,
        *,
        mode: str = "weighted",
    ) -> None:
        self.scorers = scorers
        self.weights = weights
        self.mode = mode

    def fit(self, texts: Sequence[str]) -> CombinedScorer:
        """Fit every scorer on ``texts``."""
        for scorer in self.scorers:
            scorer.fit(texts)
        return self

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Weighted average percentile rank over the scorers."""
        items = check_texts(texts)
        if self.mode == "weighted":
            _check_weights(self.weights, len(self.scorers))
        return combine([s.score(items) for s in self.scorers], self.weights, mode=self.mode)

    def cache_params(self) -> dict[str, Any]:
        """Each scorer's name and settings, and the weights."""
        return {
            "scorers": [{"name": s.name, **s.cache_params()} for s in self.scorers],
            "weights": None if self.weights is None else [float(w) for w in self.weights],
            "mode": self.mode,
        }
