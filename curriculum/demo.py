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

from curriculum.cache import ScoreCache
from curriculum.datasets import load_demo_corpus
from curriculum.sampler import CurriculumSampler
from curriculum.schedule import schedule_profile
from curriculum.scorers import ReadabilityScorer

__all__ = ["run_demo", "stage_table"]


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
) -> dict[str, Any]:
    """Score the demo corpus, build a sampler, print the stage table and write ``schedule.png``.

    Returns:
        A summary: number of texts, the stage rows, and the plot path (or None).
    """
    import sys

    out = stream or sys.stdout
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
    plot_path = None
    if plot:
        from curriculum.viz import plot_schedule

        plot_path = Path(out_dir) / "schedule.png"
        plot_path.parent.mkdir(parents=True, exist_ok=True)
        fig = plot_schedule(
            schedule_profile(order, scores, bins=20),
            title=f"Demo corpus, {pacing} pacing: difficulty of emitted samples",
            competence=sampler.pacing,
        )
        fig.savefig(plot_path, dpi=120)
        print(f"wrote {plot_path}", file=out)
    print(f"done in {time.perf_counter() - started:.1f}s", file=out)
    return {"texts": len(texts), "stages": rows, "plot": plot_path}
