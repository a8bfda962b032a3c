"""The demo behind ``make demo`` / ``curriculum demo``.

It orders the shipped corpus from simple to complex and shows what the sampler emits, stage by
stage.
"""

from __future__ import annotations

import itertools
import textwrap
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from curriculum._files import check_output, save_figure, written_by
from curriculum.cache import ScoreCache
from curriculum.concepts import ConceptGraph
from curriculum.datasets import load_demo_corpus
from curriculum.pacing import Step
from curriculum.sampler import CurriculumSampler
from curriculum.schedule import schedule_profile
from curriculum.scorers import ConceptGraphScorer, ReadabilityScorer, guess_role

__all__ = ["run_concept_demo", "run_demo", "stage_table"]

#: What the demo writes into its plot's PNG metadata, so a later demo may replace it.
DEMO_SOURCE = "curriculum demo"


def stage_table(
    order: np.ndarray, scores: np.ndarray, records: list[dict[str, Any]], *, stages: int = 5
) -> list[dict[str, Any]]:
    """Summarise an emitted order in equal stages of training.

    Returns one row per stage: its share of training, mean and p10/p90 difficulty, the share of
    Debian Reference passages, and the emitted text nearest the stage's median difficulty.
    """
    cuts = np.linspace(0, order.size, stages + 1).round().astype(int)
    rows = []
    for k, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        part = order[lo:hi]
        s = scores[part]
        example = int(part[np.argmin(np.abs(s - np.median(s)))])
        technical = np.mean([records[i]["source"].startswith("debian") for i in part])
        rows.append(
            {
                "stage": k + 1,
                "share": (lo / order.size, hi / order.size),
                "mean": float(s.mean()),
                "p10": float(np.percentile(s, 10)),
                "p90": float(np.percentile(s, 90)),
                "technical": float(technical),
                "example": records[example]["text"],
            }
        )
    return rows


def run_demo(
    out_dir: str | Path = ".",
    *,
    pacing: str = "root",
    seed: int = 0,
    cache_dir: str | Path | None = ".curriculum-cache",
    stream: TextIO | None = None,
    plot: bool = True,
    force: bool = False,
) -> dict[str, Any]:
    """Score the demo corpus, build a sampler, print the stage table and write ``schedule.png``.

    A ``schedule.png`` that an earlier demo wrote is replaced; any other file of that name is
    replaced only with ``force`` (checked before any work).

    Returns:
        A summary: number of texts, the stage rows, and the plot path (or None).
    """
    import sys

    out = stream or sys.stdout
    plot_path = Path(out_dir) / "schedule.png"
    if plot:
        check_output(
            plot_path,
            what="the demo's plot",
            force=force or written_by(plot_path, DEMO_SOURCE),
            flag="--force (it was not written by the demo)",
        )
    started = time.perf_counter()
    records = load_demo_corpus()
    texts = [r["text"] for r in records]
    scorer = ReadabilityScorer("flesch_kincaid_grade")
    scores = (
        ScoreCache(cache_dir).get_or_compute(scorer, texts)
        if cache_dir is not None
        else scorer.score(texts)
    )
    sampler = CurriculumSampler(scores, pacing=pacing, seed=seed)
    order = np.fromiter(iter(sampler), dtype=np.int64, count=len(sampler))
    shuffled = np.random.default_rng(seed).permutation(len(texts))

    print(
        f"curriculum demo: {len(texts)} real passages (fortunes + Debian Reference), "
        f"scored by Flesch-Kincaid grade",
        file=out,
    )
    print(f"sampler: {sampler!r}\n", file=out)
    header = f"{'stage':>5}  {'training':>11}  {'grade':>5}  {'p10-p90':>11}  {'tech':>4}  example"
    print(header, file=out)
    print("-" * len(header), file=out)
    rows = stage_table(order, scores, records)
    for row in rows:
        lo, hi = row["share"]
        example = textwrap.shorten(row["example"], width=60, placeholder="...")
        print(
            f"{row['stage']:>5}  {lo:>4.0%} - {hi:>4.0%}  {row['mean']:>5.1f}  "
            f"{row['p10']:>5.1f}-{row['p90']:<5.1f}  {row['technical']:>4.0%}  {example}",
            file=out,
        )
    tenth = len(order) // 10
    print(
        f"\nmean grade of the first tenth emitted: curriculum {scores[order[:tenth]].mean():.1f}, "
        f"plain shuffling {scores[shuffled[:tenth]].mean():.1f}; "
        f"last tenth: {scores[order[-tenth:]].mean():.1f} "
        f"vs {scores[shuffled[-tenth:]].mean():.1f}",
        file=out,
    )
    if plot:
        from curriculum.viz import plot_schedule

        fig = plot_schedule(
            schedule_profile(order, scores, bins=20),
            title=f"Demo corpus, {pacing} pacing: difficulty of emitted samples",
            competence=sampler.pacing,
        )
        save_figure(fig, plot_path, source=DEMO_SOURCE)
        print(f"wrote {plot_path}", file=out)
    print(f"done in {time.perf_counter() - started:.1f}s", file=out)
    return {"texts": len(texts), "stages": rows, "plot": plot_path if plot else None}


def run_concept_demo(
    records: list[dict[str, Any]],
    graph: ConceptGraph,
    *,
    assign: str = "keywords",
    threshold: float = 0.3,
    unassigned: str | int = "last",
    seed: int = 0,
    source: str = "corpus",
    stream: TextIO | None = None,
) -> dict[str, Any]:
    """Order ``records`` by a value-concept graph and report what each concept picked up.

    Prints the concept table (depth, prerequisites, texts touching it, texts it places, and how
    those split into explanations and demonstrations), then the stages of a sampler with one
    step per level, and the number of ordering violations (0 when prerequisites come first).

    Returns:
        ``counts`` (texts touching each concept), ``violations`` and ``stages``.
    """
    import sys

    out = stream or sys.stdout
    texts = [r["text"] for r in records]
    scorer = ConceptGraphScorer(graph, assign=assign, threshold=threshold, unassigned=unassigned)
    assigned = scorer.assign_concepts(texts)
    primary = scorer.primary_concepts(texts)
    roles = [guess_role(t) for t in texts]
    scores = scorer.score(texts, roles=roles)
    counts = scorer.concept_counts(texts)

    print(
        f"value graph: {len(graph)} concepts, depths 0-{graph.max_depth}; {len(texts)} passages "
        f"from {source}, assigned by {assign}",
        file=out,
    )
    header = (
        f"{'concept':<16} {'depth':>5}  {'requires':<36} {'touched':>7} {'placed':>6} "
        f"{'explains':>8} {'demonstr.':>9}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for name in graph.order():
        placed = [i for i, p in enumerate(primary) if name in p]
        explains = sum(roles[i] == "explains" for i in placed)
        requires = ", ".join(graph[name].requires) or "-"
        print(
            f"{name:<16} {graph.depths[name]:>5}  {requires:<36} {counts[name]:>7} "
            f"{len(placed):>6} {explains:>8} {len(placed) - explains:>9}",
            file=out,
        )
    print(
        f"{'(no concept)':<16} {'':>5}  {'placed ' + str(unassigned):<36} {counts['(none)']:>7}",
        file=out,
    )

    pacing = Step.for_groups(scores)
    sampler = CurriculumSampler(scores, pacing=pacing, seed=seed)
    order = np.fromiter(iter(sampler), dtype=np.int64, count=len(sampler))
    violations = graph.violations(order.tolist(), primary)
    print(
        f"\nsampler: one step per level ({len(pacing.levels)} stages); ordering violations "
        f"(a text before all texts of its prerequisites): {violations}",
        file=out,
    )
    levels = np.unique(scores)
    stages = []
    position = 0
    for level in levels:
        members = order[scores[order] == level]
        depth, role = divmod(int(level), 2)
        label = "no concept" if depth > graph.max_depth or depth < 0 else f"depth {depth}"
        label += ", " + ("demonstrates" if role else "explains")
        example = next((texts[i] for i in members if assigned[i]), texts[members[0]])
        start, position = position, position + members.size
        stages.append({"level": float(level), "label": label, "texts": int(members.size)})
        print(
            f"  {start / len(order):>4.0%}-{position / len(order):>4.0%}  {label:<26} "
            f"{members.size:>6}  {textwrap.shorten(example, width=60, placeholder='...')}",
            file=out,
        )
    return {"counts": counts, "violations": violations, "stages": stages}
