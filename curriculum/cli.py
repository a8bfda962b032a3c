"""Command line: ``curriculum score``, ``curriculum schedule``, ``curriculum demo``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from curriculum.cache import CacheError, ScoreCache, corpus_fingerprint, load_scores, save_scores
from curriculum.datasets import read_corpus
from curriculum.pacing import PACINGS, get_pacing
from curriculum.sampler import CurriculumSampler
from curriculum.schedule import schedule_profile
from curriculum.scorers import METRICS, SCORERS, get_scorer

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curriculum",
        description="Score texts by difficulty and inspect curriculum schedules.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = sub.add_parser(
        "score",
        help="score a corpus file and write scores.npy (+ scores.json metadata)",
        description="Score every text of INPUT (JSON lines, parquet, or plain text one per line).",
    )
    score.add_argument("input", type=Path, help="corpus file: .jsonl, .parquet or .txt")
    score.add_argument(
        "-o", "--output", type=Path, required=True, help="scores file to write (.npy)"
    )
    score.add_argument("--scorer", choices=sorted(SCORERS), default="readability")
    score.add_argument(
        "--metric",
        default=None,
        metavar="NAME",
        help=f"textstat metric for --scorer readability (default flesch_kincaid_grade; "
        f"one of: {', '.join(sorted(METRICS))})",
    )
    score.add_argument(
        "--text-field", default="text", help="field holding the text (default: text)"
    )
    score.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes for readability (default: automatic, -1: all cores)",
    )
    score.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="reuse scores stored here for the same corpus and settings",
    )
    score.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    sched = sub.add_parser(
        "schedule",
        help="show what the sampler will emit: difficulty percentiles over training",
        description="Print (and optionally plot) the difficulty of what CurriculumSampler emits "
        "over training, for given scores and pacing.",
    )
    sched.add_argument("--scores", type=Path, required=True, help="scores file (.npy)")
    sched.add_argument("--pacing", choices=sorted(PACINGS), default="root")
    sched.add_argument("--c0", type=float, default=None, help="start competence in (0, 1]")
    sched.add_argument(
        "--full-at",
        type=float,
        default=None,
        help="share of the curriculum at which competence reaches 1",
    )
    sched.add_argument("--stages", type=int, default=None, help="stages of the step pacing")
    sched.add_argument(
        "--num-samples",
        type=int,
        default=None,
        help="draws the curriculum spans (default: one epoch)",
    )
    sched.add_argument("--epochs", type=int, default=1, help="epochs to profile (default 1)")
    sched.add_argument("--seed", type=int, default=0)
    sched.add_argument("--reverse", action="store_true", help="anti-curriculum: hard first")
    sched.add_argument("--bins", type=int, default=10, help="slices of training to report")
    sched.add_argument("--plot", type=Path, default=None, help="write a PNG plot here")
    sched.add_argument("--json", type=Path, default=None, help="write the profile as JSON here")

    concepts = sub.add_parser(
        "concepts",
        help="order a corpus by a value-concept graph and report what each concept picked up",
        description="Assign texts to the concepts of a value graph, order them prerequisites "
        "first (explanations before demonstrations) and report counts, stages and violations.",
    )
    concepts.add_argument(
        "input",
        type=Path,
        nargs="?",
        default=None,
        help="corpus file (default: the shipped demo corpus)",
    )
    concepts.add_argument(
        "--graph",
        type=Path,
        default=None,
        help="concept graph .yaml/.json (default: the shipped value graph)",
    )
    concepts.add_argument("--assign", choices=["keywords", "embedding"], default="keywords")
    concepts.add_argument(
        "--threshold",
        type=float,
        default=0.3,
        help="cosine similarity threshold for --assign embedding",
    )
    concepts.add_argument(
        "--unassigned",
        default="last",
        help="where texts with no concept go: first, last, or a depth",
    )
    concepts.add_argument("--text-field", default="text")
    concepts.add_argument("--seed", type=int, default=0)

    mds = sub.add_parser(
        "mds",
        help="write a corpus to MDS shards (mosaicml-streaming) with a difficulty column",
        description="Write INPUT to MDS shards in OUT with its difficulty scores as a column "
        "(scores from --scores, else computed with --scorer), easiest first by default.",
    )
    mds.add_argument("input", type=Path, help="corpus file: .jsonl, .parquet or .txt")
    mds.add_argument("out", type=Path, help="output directory (new or empty)")
    mds.add_argument(
        "--scores",
        type=Path,
        default=None,
        help="scores file from `curriculum score` (default: score now)",
    )
    mds.add_argument(
        "--scorer",
        choices=sorted(SCORERS),
        default="readability",
        help="scorer used when --scores is not given",
    )
    mds.add_argument("--text-field", default="text")
    mds.add_argument("--scores-column", default="difficulty")
    mds.add_argument(
        "--layout",
        choices=["curriculum", "corpus"],
        default="curriculum",
        help="curriculum: shards easiest first, so early training reads few shards",
    )
    mds.add_argument("--compression", default=None, help="MDS compression, e.g. zstd")

    plan = sub.add_parser(
        "plan",
        help="show a recipe's phases on a corpus and plot its composition over training",
        description="Resolve a recipe (YAML/JSON path, or a shipped one: model_spec_midtraining, "
        "model_raising) against a corpus and print the phase table.",
    )
    plan.add_argument("recipe", help="recipe file, or the name of a shipped recipe")
    plan.add_argument(
        "--input", type=Path, default=None, help="corpus file (default: the shipped demo corpus)"
    )
    plan.add_argument("--text-field", default="text")
    plan.add_argument("--seed", type=int, default=0)
    plan.add_argument(
        "--fields",
        nargs="+",
        default=["source", "role", "concept"],
        help="fields whose shares the table shows",
    )
    plan.add_argument(
        "--plot", type=Path, default=None, help="write the composition over training here (PNG)"
    )

    demo = sub.add_parser(
        "demo",
        help="order the shipped corpus and write schedule.png",
        description="Score the shipped demo corpus, print the stage table and write schedule.png.",
    )
    demo.add_argument("--out-dir", type=Path, default=Path("."), help="where schedule.png goes")
    demo.add_argument("--pacing", choices=sorted(PACINGS), default="root")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--cache-dir", type=Path, default=Path(".curriculum-cache"))
    return parser


def _score(args: argparse.Namespace) -> int:
    records = read_corpus(args.input, text_field=args.text_field)
    texts = [r[args.text_field] for r in records]
    params: dict[str, object] = {}
    if args.scorer == "readability":
        params = {"n_jobs": args.jobs, "progress": not args.no_progress}
        if args.metric is not None:
            params["metric"] = args.metric
    elif args.metric is not None:
        raise ValueError(
            f"--metric only applies to --scorer readability, not --scorer {args.scorer}"
        )
    scorer = get_scorer(args.scorer, **params)
    if args.cache_dir is not None:
        scores = ScoreCache(args.cache_dir).get_or_compute(scorer, texts)
    else:
        scores = scorer.score(texts)
    meta = {
        "scorer": scorer.name,
        "params": scorer.cache_params(),
        "corpus": corpus_fingerprint(texts),
        "input": str(args.input),
    }
    save_scores(args.output, scores, meta)
    print(
        f"scored {len(texts)} texts with {scorer!r}: min {scores.min():.2f}, "
        f"median {np.median(scores):.2f}, max {scores.max():.2f} -> {args.output}"
    )
    return 0


def _schedule(args: argparse.Namespace) -> int:
    scores = load_scores(args.scores, require_metadata=False)
    pacing = get_pacing(args.pacing, c0=args.c0, full_at=args.full_at, stages=args.stages)
    sampler = CurriculumSampler(
        scores, pacing=pacing, num_samples=args.num_samples, seed=args.seed, reverse=args.reverse
    )
    if args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1, but got --epochs={args.epochs}")
    order = np.concatenate([sampler.global_order(e) for e in range(args.epochs)])
    profile = schedule_profile(order, scores, bins=args.bins)
    print(f"{sampler!r}, {args.epochs} epoch(s)")
    print(
        f"{'training':>13}  {'competence':>10}  {'mean':>7}  "
        + "  ".join(f"{f'p{p:g}':>6}" for p in profile.percentiles)
        + "   (difficulty percentile of corpus)"
    )
    span = len(order) / sampler.num_samples
    for i in range(len(profile.centers)):
        lo, hi = profile.edges[i], profile.edges[i + 1]
        competence = float(pacing(hi * span)) if hi * span < 1 else 1.0
        cells = "  ".join(f"{v:>6.1f}" for v in profile.rank[i])
        print(
            f"{lo:>5.0%} - {hi:>5.0%}  {competence:>10.2f}  {profile.mean_score[i]:>7.2f}  {cells}"
        )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "sampler": repr(sampler),
                    "edges": profile.edges.tolist(),
                    "percentiles": list(profile.percentiles),
                    "rank": profile.rank.tolist(),
                    "score": profile.score.tolist(),
                    "mean_score": profile.mean_score.tolist(),
                },
                indent=2,
            )
        )
        print(f"wrote {args.json}")
    if args.plot is not None:
        from curriculum.viz import plot_schedule

        fig = plot_schedule(
            profile,
            title=f"{args.pacing} pacing: difficulty of emitted samples",
            competence=pacing if args.epochs == 1 and args.num_samples is None else None,
        )
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")
    return 0


def _concepts(args: argparse.Namespace) -> int:
    from curriculum.concepts import ConceptGraph, example_value_graph
    from curriculum.datasets import load_demo_corpus
    from curriculum.demo import run_concept_demo

    graph = example_value_graph() if args.graph is None else ConceptGraph.load(args.graph)
    if args.input is None:
        records, source = load_demo_corpus(), "the shipped demo corpus"
    else:
        records, source = read_corpus(args.input, text_field=args.text_field), str(args.input)
        records = [{**r, "text": r[args.text_field]} for r in records]
    unassigned: str | int = args.unassigned
    if unassigned not in ("first", "last"):
        try:
            unassigned = int(unassigned)
        except ValueError:
            raise ValueError(
                f"--unassigned must be first, last or an integer depth, but got {unassigned!r}"
            ) from None
    run_concept_demo(
        records,
        graph,
        assign=args.assign,
        threshold=args.threshold,
        unassigned=unassigned,
        seed=args.seed,
        source=source,
    )
    return 0


def _mds(args: argparse.Namespace) -> int:
    from curriculum.streaming import write_mds

    records = read_corpus(args.input, text_field=args.text_field)
    texts = [r[args.text_field] for r in records]
    if args.scores is not None:
        scores = load_scores(args.scores, require_metadata=False)
    else:
        scores = get_scorer(args.scorer).score(texts)
    out = write_mds(
        records,
        args.out,
        scores=scores,
        scores_column=args.scores_column,
        text_field=args.text_field,
        layout=args.layout,
        compression=args.compression,
    )
    shards = len(list(out.glob("shard.*.mds*")))
    print(
        f"wrote {len(records)} samples in {shards} shard(s) to {out} "
        f"(column {args.scores_column!r}, layout {args.layout})"
    )
    return 0


def _plan(args: argparse.Namespace) -> int:
    from curriculum.datasets import load_demo_corpus
    from curriculum.phases import Recipe, example_recipe

    path = Path(args.recipe)
    recipe = Recipe.load(path) if path.suffix else example_recipe(args.recipe)
    if args.input is None:
        records, source = load_demo_corpus(), "the shipped demo corpus"
    else:
        records, source = read_corpus(args.input, text_field=args.text_field), str(args.input)
    plan = recipe.plan(records, text_field=args.text_field)
    order, phase, kind = plan.order(args.seed)
    print(
        f"recipe {recipe.name!r} on {source}: {len(records)} records, {order.size} draws per "
        f"epoch ({int((kind == 0).sum())} own, {int((kind == 1).sum())} replay, "
        f"{int((kind == 2).sum())} floor repeats)"
    )
    for row in plan.table(args.seed, fields=args.fields):
        print(
            f"\n{row['phase']}: {row['samples']} draws ({row['share']:.1%} of training), "
            f"replay {row['replay']}, floor repeats {row['floor']}, "
            f"mean grade {row['mean_grade']:.1f}"
        )
        for f in args.fields:
            top = sorted(row[f].items(), key=lambda kv: -kv[1])[:4]
            print(f"  {f:<8} " + ", ".join(f"{k} {v:.0%}" for k, v in top))
    if recipe.floor is not None and plan.floor_mask is not None:
        hits = plan.floor_mask[order]
        w = recipe.floor.window
        worst = min(int(hits[i : i + w].sum()) for i in range(0, order.size - w + 1, w))
        print(f"\nfloor: at least {worst} of every {w} samples (asked: {recipe.floor.share:.0%})")
    if args.plot:
        from curriculum.viz import plot_stage_composition

        names = [p.name for p in recipe.phases]
        labels = [
            names[p] if k == 0 else ("replay" if k == 1 else "floor repeat")
            for p, k in zip(phase.tolist(), kind.tolist(), strict=True)
        ]
        fig = plot_stage_composition(
            np.arange(order.size),
            labels,
            stages=20,
            title=f"Recipe {recipe.name}: composition over training",
        )
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from curriculum.demo import run_demo

    run_demo(args.out_dir, pacing=args.pacing, seed=args.seed, cache_dir=args.cache_dir)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 error, 2 usage)."""
    args = _parser().parse_args(argv)
    handlers = {
        "score": _score,
        "schedule": _schedule,
        "concepts": _concepts,
        "mds": _mds,
        "plan": _plan,
        "demo": _demo,
    }
    try:
        return handlers[args.command](args)
    except (
        ValueError,
        TypeError,
        KeyError,
        FileNotFoundError,
        FileExistsError,
        CacheError,
        ImportError,
    ) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"curriculum {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
