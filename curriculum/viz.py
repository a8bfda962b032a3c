"""Plots of pacings and schedules.

Each function returns a matplotlib ``Figure`` built without pyplot, so it works headless and in
notebooks alike (needs the ``viz`` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from curriculum.pacing import Pacing, PacingLike, get_pacing
from curriculum.schedule import ScheduleProfile

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_pacing", "plot_schedule"]


def _figure(figsize: tuple[float, float]) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'curriculum[viz]'") from None
    return Figure(figsize=figsize, layout="constrained")


def plot_pacing(
    pacings: Sequence[PacingLike] | dict[str, PacingLike] = ("linear", "root", "geometric", "step"),
    *,
    figsize: tuple[float, float] = (6.0, 4.0),
) -> Figure:
    """Competence over progress for several pacings (names, instances or callables)."""
    items: dict[str, Pacing] = (
        {k: get_pacing(v) for k, v in pacings.items()}
        if isinstance(pacings, dict)
        else {repr(p) if not isinstance(p, str) else p: get_pacing(p) for p in pacings}
    )
    fig = _figure(figsize)
    ax = fig.subplots()
    t = np.linspace(0.0, 1.0, 501)
    for label, pacing in items.items():
        ax.plot(
            t, pacing(t), label=label, drawstyle="steps-post" if pacing.breakpoints() else "default"
        )
    ax.plot([0, 1], [0, 1], color="0.7", linestyle=":", label="one epoch consumed")
    ax.set(
        xlabel="training progress",
        ylabel="competence (share of ranking open)",
        xlim=(0, 1),
        ylim=(0, 1.02),
        title="Pacing functions",
    )
    ax.legend(loc="lower right")
    return fig


def plot_schedule(
    profile: ScheduleProfile,
    *,
    title: str = "What the sampler emits",
    competence: Any = None,
    figsize: tuple[float, float] = (7.0, 4.0),
) -> Figure:
    """Difficulty percentiles of the emitted samples over training progress.

    Args:
        profile: from :func:`curriculum.schedule.schedule_profile`.
        title: axes title.
        competence: optional pacing to overlay (as the percentile of the ranking that is open).
        figsize: figure size in inches.
    """
    fig = _figure(figsize)
    ax = fig.subplots()
    x = profile.centers
    q = profile.percentiles
    lo, hi = 0, len(q) - 1
    if len(q) >= 2:
        ax.fill_between(
            x, profile.rank[:, lo], profile.rank[:, hi], alpha=0.25, label=f"p{q[lo]:g}-p{q[hi]:g}"
        )
    mid = len(q) // 2
    ax.plot(
        x,
        profile.rank[:, mid],
        marker="o",
        label=f"p{q[mid]:g} (median)" if q[mid] == 50 else f"p{q[mid]:g}",
    )
    if competence is not None:
        pacing = get_pacing(competence)
        t = np.linspace(0, 1, 201)
        ax.plot(t, 100 * pacing(t), color="0.4", linestyle="--", label="open part of ranking")
    ax.set(
        xlabel="training progress",
        ylabel="difficulty percentile of emitted samples",
        xlim=(0, 1),
        ylim=(0, 100),
        title=title,
    )
    ax.legend(loc="lower right")
    return fig
