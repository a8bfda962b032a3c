"""What a sampler emits over training: difficulty percentiles per slice of progress (pure numpy)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from curriculum._validation import check_int, check_scores
from curriculum.errors import InvalidValueError
from curriculum.scorers.combine import percentile_rank

__all__ = ["ScheduleProfile", "schedule_profile"]


@dataclass(frozen=True)
class ScheduleProfile:
    """Difficulty of the emitted samples in ``bins`` consecutive slices of training.

    Attributes:
        edges: progress at the slice boundaries (length ``bins + 1``, from 0 to 1).
        percentiles: the percentiles reported, e.g. ``(10, 50, 90)``.
        rank: per slice and percentile, the corpus difficulty percentile (0-100) of the samples
            emitted in that slice; shape ``(bins, len(percentiles))``.
        score: the same in raw score units.
        mean_score: mean raw score per slice.
        opened: per slice, how far into the easy-to-hard ranking the sampler has drawn so far
            in the slice's epoch, as the corpus difficulty percentile (0-1, on the scale of
            ``rank``) of the deepest ranked sample reached: the competence it actually used,
            widened where the pacing opened too little. Every sample of the slice is at or
            below it. None when no ranking was given.
        epoch_starts: progress at which each epoch after the first starts (empty for one).
    """

    edges: NDArray[np.float64]
    percentiles: tuple[float, ...]
    rank: NDArray[np.float64]
    score: NDArray[np.float64]
    mean_score: NDArray[np.float64]
    opened: NDArray[np.float64] | None = None
    epoch_starts: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    @property
    def centers(self) -> NDArray[np.float64]:
        """Progress at the middle of each slice."""
        return (self.edges[:-1] + self.edges[1:]) / 2


def schedule_profile(
    order: ArrayLike,
    scores: ArrayLike,
    *,
    bins: int = 20,
    percentiles: Sequence[float] = (10, 50, 90),
    epoch_size: int | None = None,
    ranking: ArrayLike | None = None,
) -> ScheduleProfile:
    """Profile an emitted order: how hard are the samples in each slice of training?

    Args:
        order: emitted indices in order (one or several epochs concatenated).
        scores: difficulty of every sample of the corpus.
        bins: number of equal slices of the order.
        percentiles: which percentiles of difficulty to report per slice.
        epoch_size: samples per epoch, when ``order`` holds several (marks the boundaries and
            restarts ``opened`` at each).
        ranking: the sampler's easy-to-hard ranking of the corpus, for ``opened``.
    """
    s = check_scores(scores)
    idx = np.asarray(order)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise InvalidValueError(
            f"order must be a non-empty 1-D array of indices, but got shape {idx.shape}"
        )
    if idx.min() < 0 or idx.max() >= s.shape[0]:
        raise InvalidValueError(
            f"order holds indices outside [0, {s.shape[0] - 1}] "
            f"(min {idx.min()}, max {idx.max()}); "
            "profile an order drawn from these scores"
        )
    bins = min(check_int("bins", bins, minimum=1), idx.size)
    ranks = percentile_rank(s) * 100.0
    cuts = np.linspace(0, idx.size, bins + 1).round().astype(int)
    q = tuple(float(p) for p in percentiles)
    rank_rows, score_rows, means = [], [], []
    for lo, hi in itertools.pairwise(cuts):
        part = idx[lo:hi]
        rank_rows.append(np.percentile(ranks[part], q))
        score_rows.append(np.percentile(s[part], q))
        means.append(s[part].mean())
    size = idx.size if epoch_size is None else check_int("epoch_size", epoch_size, minimum=1)
    opened = None
    if ranking is not None:
        position = np.empty(s.shape[0], dtype=np.int64)
        ranked = np.asarray(ranking)
        if ranked.shape != (s.shape[0],) or np.bincount(ranked, minlength=s.shape[0]).max() != 1:
            raise InvalidValueError(
                f"ranking must hold every index of the {s.shape[0]} scores once (the sampler's "
                f"ranking), but got shape {ranked.shape}"
            )
        position[ranked] = np.arange(s.shape[0])
        reached = position[idx]
        for lo in range(0, idx.size, size):  # the deepest position so far, within each epoch
            reached[lo : lo + size] = np.maximum.accumulate(reached[lo : lo + size])
        deepest = reached[np.maximum(cuts[1:] - 1, 0)]
        opened = ranks[ranked[deepest]] / 100.0
    return ScheduleProfile(
        edges=cuts / idx.size,
        percentiles=q,
        rank=np.asarray(rank_rows),
        score=np.asarray(score_rows),
        mean_score=np.asarray(means),
        opened=opened,
        epoch_starts=np.arange(size, idx.size, size) / idx.size,
    )
