"""Plots of pacings and schedules.

Each function returns a matplotlib ``Figure`` built without pyplot, so it works headless and in
notebooks alike (needs the ``viz`` extra).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from curriculum.errors import MissingExtraError
from curriculum.pacing import Pacing, PacingLike, get_pacing
from curriculum.schedule import ScheduleProfile

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from curriculum.concepts import ConceptGraph

__all__ = [
    "plot_benchmark",
    "plot_concept_graph",
    "plot_pacing",
    "plot_schedule",
    "plot_stage_composition",
]


def _figure(figsize: tuple[float, float]) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtraError(
            "plotting needs matplotlib: pip install 'curriculum[viz]'"
        ) from None
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

    Epoch boundaries are drawn as vertical lines. When the profile has ``opened`` (the share of
    the ranking the sampler actually drew from), it is drawn as a step line: unlike the raw
    pacing, it never contradicts the percentiles.

    Args:
        profile: from :func:`curriculum.schedule.schedule_profile`.
        title: axes title.
        competence: optional pacing to overlay as the pacing's own curve over one curriculum.
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
    if profile.opened is not None:
        ax.step(
            profile.edges,
            100 * np.append(profile.opened, profile.opened[-1]),
            where="post",
            color="0.3",
            linestyle="--",
            label="ranking drawn from (percent)",
        )
    elif competence is not None:
        pacing = get_pacing(competence)
        t = np.linspace(0, 1, 201)
        ax.plot(t, 100 * pacing(t), color="0.4", linestyle="--", label="pacing (competence)")
    for k, start in enumerate(profile.epoch_starts):
        ax.axvline(start, color="0.6", linewidth=0.8, label="epoch boundary" if k == 0 else None)
    ax.set(
        xlabel="training progress",
        ylabel="difficulty percentile of emitted samples",
        xlim=(0, 1),
        ylim=(0, 100),
        title=title,
    )
    ax.legend(loc="lower right")
    return fig


def plot_stage_composition(
    order: Sequence[int] | np.ndarray,
    groups: Sequence[Any] | np.ndarray,
    *,
    stages: int = 10,
    title: str = "Composition of each stage",
    top: int = 8,
    figsize: tuple[float, float] = (7.0, 4.0),
) -> Figure:
    """Share of each group (source, cluster, concept...) in consecutive stages of an order.

    Args:
        order: emitted indices, in order.
        groups: one label per sample of the corpus.
        stages: number of equal stages.
        title: axes title.
        top: the ``top`` most frequent groups are shown, the rest pooled as "other".
        figsize: figure size in inches.
    """
    idx = np.asarray(order)
    labels = np.asarray(groups).astype(str)[idx]
    names, counts = np.unique(labels, return_counts=True)
    shown = list(names[np.argsort(-counts, kind="stable")][:top])
    if len(names) > top:
        labels = np.where(np.isin(labels, shown), labels, "other")
        shown.append("other")
    cuts = np.linspace(0, idx.size, stages + 1).round().astype(int)
    shares = np.array(
        [[np.mean(labels[lo:hi] == g) for g in shown] for lo, hi in itertools.pairwise(cuts)]
    )
    fig = _figure(figsize)
    ax = fig.subplots()
    x = (np.arange(stages) + 0.5) / stages
    bottom = np.zeros(stages)
    for j, name in enumerate(shown):
        ax.bar(x, shares[:, j], width=0.9 / stages, bottom=bottom, label=name)
        bottom += shares[:, j]
    ax.set(
        xlabel="training progress", ylabel="share of stage", xlim=(0, 1), ylim=(0, 1), title=title
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
    return fig


def plot_concept_graph(
    graph: ConceptGraph,
    *,
    counts: dict[str, int] | None = None,
    title: str = "Value-concept graph (prerequisites left of what builds on them)",
    figsize: tuple[float, float] = (9.0, 5.0),
) -> Figure:
    """The concept graph laid out by depth, arrows from prerequisite to concept.

    Args:
        graph: the concept graph.
        counts: optional texts per concept, shown under the names and as node size.
        title: axes title.
        figsize: figure size in inches.
    """
    fig = _figure(figsize)
    ax = fig.subplots()
    by_depth: dict[int, list[str]] = {}
    for name in graph.order():
        by_depth.setdefault(graph.depths[name], []).append(name)
    pos = {
        name: (depth, (len(names) - 1) / 2 - i)
        for depth, names in by_depth.items()
        for i, name in enumerate(names)
    }
    for src, dst in graph.graph.edges:
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        ax.annotate(
            "",
            xy=(x1 - 0.12, y1),
            xytext=(x0 + 0.12, y0),
            arrowprops={"arrowstyle": "->", "color": "0.6", "lw": 0.8},
        )
    biggest = max(counts.values()) if counts else 1
    for name, (x, y) in pos.items():
        size = 0.3 + 0.7 * (counts.get(name, 0) / biggest if counts and biggest else 0.5)
        ax.scatter([x], [y], s=900 * size, color="C0", alpha=0.35, zorder=2)
        label = name if counts is None else f"{name}\n{counts.get(name, 0)} texts"
        ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=3)
    ax.set(xlabel="depth", title=title, xlim=(-0.6, graph.max_depth + 0.6))
    ax.set_xticks(range(graph.max_depth + 1))
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return fig


def plot_benchmark(result: Any) -> Figure:
    """The plot of a ``curriculum bench`` result (:meth:`curriculum.bench.BenchResult.plot`).

    Per LR schedule: each arm's validation loss minus random's on the same seed over training
    (mean and interval over seeds), and the final difference per difficulty bucket.

    Args:
        result: a :class:`~curriculum.bench.BenchResult`, its ``to_dict()``, or the path of a
            saved ``bench.json`` (or of the directory holding it).
    """
    from curriculum.bench.result import BenchResult

    if isinstance(result, BenchResult):
        return result.plot()
    if isinstance(result, dict):
        return BenchResult(result["info"], result["runs"]).plot()
    return BenchResult.load(result).plot()
