"""Combining scorers: weighted average of percentile ranks, so scales never matter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata

from curriculum._validation import check_scores, check_texts
from curriculum.scorers.base import Scorer

__all__ = ["CombinedScorer", "combine", "percentile_rank"]


def percentile_rank(scores: ArrayLike) -> NDArray[np.float64]:
    """Percentile rank of each score in [0, 1] (ties share their average rank; one item -> 0.5)."""
    s = check_scores(scores)
    if s.shape[0] == 1:
        return np.array([0.5])
    return (rankdata(s, method="average") - 1.0) / (s.shape[0] - 1)


def combine(
    scores: Sequence[ArrayLike], weights: Sequence[float] | None = None
) -> NDArray[np.float64]:
    """Weighted average of the percentile ranks of several score arrays.

    Each array is turned into percentile ranks first, so a grade level (0-20) and a compression
    ratio (0-1) count by their weights alone.

    Args:
        scores: arrays of equal length, each one difficulty per sample (higher = harder).
        weights: non-negative weights, one per array (default equal); they need not sum to 1.

    Returns:
        One combined difficulty in [0, 1] per sample.
    """
    arrays = list(scores)
    if not arrays:
        raise ValueError("scores must hold at least one score array, but got none")
    ranks = [percentile_rank(a) for a in arrays]
    lengths = {r.shape[0] for r in ranks}
    if len(lengths) > 1:
        raise ValueError(
            f"all score arrays must have the same length, but got lengths "
            f"{[r.shape[0] for r in ranks]}; score the same corpus with every scorer"
        )
    w = _check_weights(weights, len(arrays))
    return np.average(np.vstack(ranks), axis=0, weights=w)


def _check_weights(weights: Sequence[float] | None, n: int) -> NDArray[np.float64]:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(
            f"weights must have {n} values (one per scorer), but got weights={list(weights)!r}"
        )
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(
            "weights must be finite, non-negative and not all zero, "
            f"but got weights={list(weights)!r}"
        )
    return w


class CombinedScorer(Scorer):
    """A scorer that combines others with :func:`combine`.

    Args:
        scorers: the scorers to combine.
        weights: one weight per scorer (default equal).
    """

    name = "combined"

    def __init__(self, scorers: Sequence[Scorer], weights: Sequence[float] | None = None) -> None:
        self.scorers = scorers
        self.weights = weights

    def fit(self, texts: Sequence[str]) -> CombinedScorer:
        """Fit every scorer on ``texts``."""
        for scorer in self.scorers:
            scorer.fit(texts)
        return self

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Weighted average percentile rank over the scorers."""
        items = check_texts(texts)
        _check_weights(self.weights, len(self.scorers))
        return combine([s.score(items) for s in self.scorers], self.weights)

    def cache_params(self) -> dict[str, Any]:
        """Each scorer's name and settings, and the weights."""
        return {
            "scorers": [{"name": s.name, **s.cache_params()} for s in self.scorers],
            "weights": None if self.weights is None else [float(w) for w in self.weights],
        }
