"""Paired statistics of a benchmark, in pure numpy.

Differences against a baseline with intervals, and the steps an ordering needs to reach the
baseline's final loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from curriculum._streams import Stream, rng
from curriculum.errors import InvalidValueError

__all__ = ["paired_difference", "steps_to_reach"]


def paired_difference(
    values: ArrayLike,
    baseline: ArrayLike,
    *,
    confidence: float = 0.95,
    method: str = "t",
    lower_is_better: bool = True,
    resamples: int = 10_000,
    seed: int = 0,
) -> dict[str, float | int | list[float]]:
    """Mean of ``values - baseline`` over paired seeds, with a confidence interval.

    Args:
        values: one value per seed (e.g. an ordering's final loss).
        baseline: the baseline's value for the same seeds, in the same order.
        confidence: coverage of the interval.
        method: ``"t"`` (Student's t on the paired differences) or ``"bootstrap"``
            (percentile bootstrap of their mean, ``resamples`` draws from ``seed``).
        lower_is_better: whether a negative difference is an improvement (losses) or a
            positive one (accuracies); decides ``better``.
        resamples: bootstrap resamples.
        seed: seed of the bootstrap.

    Returns:
        ``mean``, ``low``, ``high``, ``better`` (seeds where ``values`` beat the baseline),
        ``n`` and ``differences`` (per seed).
    """
    a = np.asarray(values, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise InvalidValueError(
            f"values and baseline must be 1-D and paired (one per seed), but got shapes "
            f"{a.shape} and {b.shape}"
        )
    if a.size < 2:
        raise InvalidValueError(
            f"a paired interval needs at least 2 seeds, but got {a.size}; run more seeds"
        )
    if not (0 < confidence < 1):
        raise InvalidValueError(f"confidence must be in (0, 1), but got {confidence}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InvalidValueError("values and baseline must be finite (a run diverged?)")
    d = a - b
    mean = float(d.mean())
    if method == "t":
        from scipy.stats import t as student

        half = float(
            student.ppf(0.5 + confidence / 2, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
        )
        low, high = mean - half, mean + half
    elif method == "bootstrap":
        gen = rng(seed, Stream.BOOTSTRAP)
        means = d[gen.integers(0, d.size, (resamples, d.size))].mean(axis=1)
        low, high = (
            float(q) for q in np.quantile(means, [0.5 - confidence / 2, 0.5 + confidence / 2])
        )
    else:
        raise InvalidValueError(f"method must be 't' or 'bootstrap', but got {method!r}")
    better = int((d < 0).sum() if lower_is_better else (d > 0).sum())
    return {
        "mean": mean,
        "low": low,
        "high": high,
        "better": better,
        "n": int(d.size),
        "differences": d.tolist(),
    }


def steps_to_reach(steps: Sequence[int], losses: Sequence[float], target: float) -> float | None:
    """First step at which a loss curve reaches ``target`` (loss <= target), or None if never.

    Between two evaluations the curve is taken as linear, so the answer is finer than the
    evaluation interval (the curve is evaluated only at ``steps``).
    """
    s = np.asarray(steps, dtype=np.float64)
    v = np.asarray(losses, dtype=np.float64)
    if s.ndim != 1 or s.shape != v.shape or s.size == 0:
        raise InvalidValueError(
            f"steps and losses must be 1-D of one length, but got {s.shape} and {v.shape}"
        )
    hit = np.flatnonzero(v <= target)
    if hit.size == 0:
        return None
    i = int(hit[0])
    if i == 0:
        return float(s[0])
    # Linear between the last evaluation above the target and the first at or below it.
    frac = (v[i - 1] - target) / (v[i - 1] - v[i])
    return float(s[i - 1] + frac * (s[i] - s[i - 1]))
