"""Command line: ``curriculum score | schedule | concepts | mds | plan | demo``.

Every command checks its outputs before doing any work: an output never replaces an input, and
an existing output is replaced only with ``--force``. Errors about inputs, files and settings
are one line on stderr and exit status 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curriculum._files import (
    atomic_write,
    check_input,
    check_output,
    figure_format,
    save_figure,
)
from curriculum.cache import load_corpus_scores, load_scores, sidecar
from curriculum.datasets import load_demo_corpus, read_corpus
from curriculum.errors import CurriculumError, InvalidValueError
from curriculum.pacing import PACINGS, get_pacing
from curriculum.schedule import schedule_profile
from curriculum.scorers import METRICS, SCORERS, get_scorer
from curriculum.scoring import check_scores_output, score_file

# curriculum.bench imports torch, so its names are listed here (a test checks they agree).
ARM_NAMES = ("random", "full", "warmup", "anti", "step", "replay", "seqlen")
SCHEDULE_NAMES = ("cosine", "wsd", "constant", "decay_avg")

__all__ = ["main"]

SIGPIPE_STATUS = 141  # what a shell reports for a program stopped by a closed pipe


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curriculum",
        description="Score texts by difficulty and inspect curriculum schedules.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = sub.add_parser(
        "score",
        help="score a corpus file and write scores.npy (+ scores.json metadata)",
        description="Score every text of INPUT (JSON lines, parquet, or plain text one per line) "
        "and write the scores (.npy) with a .json sidecar beside them.",
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
        "--n-clusters", type=int, default=None, help="clusters for --scorer embedding_cluster"
    )
    score.add_argument(
        "--graph",
        default=None,
        help="concept graph for --scorer concept_graph: 'values' (shipped) or a .yaml/.json",
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
    score.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local: this process, reading the corpus in chunks (default); ray: Ray Data tasks "
        "or actors (pip install 'curriculum[ray]'), same scores file",
    )
    score.add_argument(
        "--address",
        default=None,
        help="for --engine ray: the cluster, 'auto' or host:port or ray://host:port "
        "(default: start a local Ray instance)",
    )
    score.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    score.add_argument("--force", action="store_true", help="replace an existing output")

    sched = sub.add_parser(
        "schedule",
        help="show what the sampler will emit: difficulty percentiles over training",
        description="Print (and optionally plot) the difficulty of what CurriculumSampler emits "
        "over training, for given scores and pacing.",
    )
    sched.add_argument("--scores", type=Path, required=True, help="scores file (.npy)")
    sched.add_argument(
        "--input",
        type=Path,
        default=None,
        help="the corpus the scores belong to: checked against the scores' sidecar, and an "
        "example text is shown per slice",
    )
    sched.add_argument("--text-field", default="text")
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
    sched.add_argument("--force", action="store_true", help="replace existing outputs")

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
        default="values",
        help="concept graph: 'values' (the shipped value graph, default) or a .yaml/.json file",
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
        "(scores from --scores, checked against INPUT, else computed with --scorer), easiest "
        "first by default.",
    )
    mds.add_argument("input", type=Path, help="corpus file: .jsonl, .parquet or .txt")
    mds.add_argument("out", type=Path, help="output directory (new or empty)")
    mds.add_argument(
        "--scores",
        type=Path,
        default=None,
        help="scores of INPUT from `curriculum score` (default: score now)",
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
        "model_raising) against a corpus and print the phase table and the floor.",
    )
    plan.add_argument("recipe", help="recipe file, or the name of a shipped recipe")
    plan.add_argument(
        "--input", type=Path, default=None, help="corpus file (default: the shipped demo corpus)"
    )
    plan.add_argument("--text-field", default="text")
    plan.add_argument("--seed", type=int, default=0)
    plan.add_argument(
        "--replicas", type=int, default=1, help="ranks: the floor is reported for each rank"
    )
    plan.add_argument(
        "--fields",
        nargs="+",
        default=None,
        help="fields whose shares the table shows (default: source, role, concept if present)",
    )
    plan.add_argument(
        "--plot", type=Path, default=None, help="write the composition over training here (PNG)"
    )
    plan.add_argument("--force", action="store_true", help="replace an existing plot")

    bench = sub.add_parser(
        "bench",
        help="does ordering help? train one small model per ordering and compare, paired by seed",
        description="Train the same model (same initial weights and data per seed) once per "
        "arm and LR schedule, and compare every arm with random: paired differences with "
        "intervals, steps to reach random's final loss, loss by difficulty bucket. Writes "
        "bench.json, bench.md and bench.png into --out-dir.",
    )
    bench.add_argument(
        "task",
        choices=["text", "skills"],
        help="text: language modelling on "
        "a corpus; skills: synthetic addition skills in a prerequisite graph",
    )
    bench.add_argument(
        "input",
        nargs="?",
        type=Path,
        default=None,
        help="text: corpus (JSON lines or parquet; default the shipped demo corpus)",
    )
    bench.add_argument("--text-field", default="text")
    bench.add_argument(
        "--scorer", default="readability", help="text: difficulty scorer (default readability)"
    )
    bench.add_argument(
        "--scores",
        type=Path,
        default=None,
        help="text: scores file of INPUT from `curriculum score` instead of --scorer",
    )
    bench.add_argument(
        "--arms",
        default=None,
        help="comma-separated arms (default text: random,warmup,full; skills: "
        "random,step,replay,full); one of " + ", ".join(ARM_NAMES),
    )
    bench.add_argument(
        "--schedules",
        default=None,
        help="comma-separated LR schedules (default text: cosine,wsd; skills: "
        "cosine); one of " + ", ".join(SCHEDULE_NAMES),
    )
    bench.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (at least 2)")
    bench.add_argument(
        "--steps",
        type=int,
        default=None,
        help="optimizer steps (default text: 900, or one pass over a smaller corpus; skills: 1000)",
    )
    bench.add_argument(
        "--batch-size", type=int, default=None, help="sequences per step (text 8, skills 64)"
    )
    bench.add_argument(
        "--context", type=int, default=None, help="tokens per sequence (text 128, skills 16)"
    )
    bench.add_argument("--epochs", type=int, default=1, help="passes over each seed's pool")
    bench.add_argument(
        "--pack",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pack documents in sampler order (default for text) or one per sequence "
        "(--no-pack, default for skills)",
    )
    bench.add_argument("--lr", type=float, default=1e-3)
    bench.add_argument("--evals", type=int, default=15, help="evaluations over the run")
    bench.add_argument("--d-model", type=int, default=128)
    bench.add_argument("--layers", type=int, default=2)
    bench.add_argument("--heads", type=int, default=4)
    bench.add_argument(
        "--model",
        type=Path,
        default=None,
        help="a local Hugging Face causal LM directory (config or checkpoint) "
        "instead of the byte-level model",
    )
    bench.add_argument(
        "--probes",
        action="store_true",
        help="also evaluate the shipped value minimal pairs (ValueProbes)",
    )
    bench.add_argument(
        "--mix",
        default=None,
        help="skills: shares of the four skills, easiest first, e.g. 0.3,0.3,0.3,0.1",
    )
    bench.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    bench.add_argument("--interval", choices=["t", "bootstrap"], default="t")
    bench.add_argument(
        "--out-dir", "-o", type=Path, default=None, help="where the results go (default bench-TASK)"
    )
    bench.add_argument("--no-plot", action="store_true", help="skip bench.png")
    bench.add_argument("--force", action="store_true", help="replace existing results")

    demo = sub.add_parser(
        "demo",
        help="order the shipped corpus and write schedule.png",
        description="Score the shipped demo corpus, print the stage table and write "
        "schedule.png (a schedule.png of an earlier demo is replaced, any other only with "
        "--force).",
    )
    demo.add_argument("--out-dir", type=Path, default=Path("."), help="where schedule.png goes")
    demo.add_argument("--pacing", choices=sorted(PACINGS), default="root")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--cache-dir", type=Path, default=Path(".curriculum-cache"))
    demo.add_argument(
        "--force", action="store_true", help="replace a schedule.png the demo did not write"
    )
    return parser


def _scorer_params(args: argparse.Namespace) -> dict[str, Any]:
    """The scorer's settings from the options that apply to it; others are an error."""
    given = {"--metric": args.metric, "--n-clusters": args.n_clusters, "--graph": args.graph}
    applies = {
        "readability": {"--metric"},
        "embedding_cluster": {"--n-clusters"},
        "concept_graph": {"--graph"},
    }.get(args.scorer, set())
    wrong = sorted(k for k, v in given.items() if v is not None and k not in applies)
    if wrong:
        raise InvalidValueError(
            f"{', '.join(wrong)} does not apply to --scorer {args.scorer}; "
            "--metric is for readability, --n-clusters for embedding_cluster, --graph for "
            "concept_graph"
        )
    progress = not args.no_progress
    if args.scorer == "readability":
        params: dict[str, Any] = {"n_jobs": args.jobs, "progress": progress}
        if args.metric is not None:
            params["metric"] = args.metric
        return params
    if args.jobs is not None:
        raise InvalidValueError(f"--jobs applies to --scorer readability, not {args.scorer}")
    if args.scorer == "embedding_cluster":
        params = {"progress": progress}
        if args.n_clusters is not None:
            params["n_clusters"] = args.n_clusters
        return params
    if args.scorer == "concept_graph":
        return {"graph": args.graph or "values", "progress": progress}
    return {}


def _score(args: argparse.Namespace) -> int:
    source = check_input(args.input, what="input file")
    out = check_scores_output(
        args.output, inputs=[source], force=args.force, what="-o", flag="--force"
    )
    if args.engine == "local" and args.address is not None:
        raise InvalidValueError("--address applies to --engine ray; add --engine ray")
    if args.engine == "ray" and args.jobs is not None:
        raise InvalidValueError(
            "--jobs applies to --engine local; with --engine ray, Ray runs a task per CPU"
        )
    scorer = get_scorer(args.scorer, **_scorer_params(args))
    score: Any = score_file
    started = False
    if args.engine == "ray":
        from curriculum.distributed_scoring import score_file_on_ray
        from curriculum.ray_cluster import connect_ray

        score = score_file_on_ray
        started = connect_ray(args.address)
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # our bar instead of its INFO lines
    try:
        scores = score(
            source,
            scorer,
            output=out,
            text_field=args.text_field,
            cache=args.cache_dir,
            progress=not args.no_progress,
            force=args.force,
        )
    finally:
        if started:  # Ray was initialised by this command, not before it
            import ray

            ray.shutdown()
    print(
        f"scored {len(scores)} texts with {scorer!r}: min {scores.min():.2f}, "
        f"median {np.median(scores):.2f}, max {scores.max():.2f} -> {out}"
    )
    return 0


def _scores_of(path: Path, texts: list[str], corpus: Path, text_field: str) -> np.ndarray:
    """Scores that must belong to ``texts``: their sidecar's corpus fingerprint must match."""
    check_input(path, what="--scores")  # before its sidecar is read for the message
    field = "" if text_field == "text" else f" --text-field {text_field}"
    new = path.with_name(f"{corpus.stem}-scores.npy")
    origin = _scored_input(path)
    return load_corpus_scores(
        path,
        texts,
        what="--scores",
        fix=(f"these are the scores of {origin}; " if origin else "")
        + f"score this corpus: curriculum score {corpus}{field} -o {new}",
    )


def _scored_input(path: Path) -> str | None:
    """The input a scores file was computed from, as its sidecar records it (if it does)."""
    try:
        meta = json.loads(sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(meta["input"]) if isinstance(meta, dict) and "input" in meta else None


def _schedule(args: argparse.Namespace) -> int:
    from curriculum.sampler import CurriculumSampler  # imports torch: only where it is needed

    inputs = [args.scores, sidecar(args.scores), args.input]
    for path, what in ((args.plot, "--plot"), (args.json, "--json")):
        if path is not None:
            check_output(path, what=what, inputs=inputs, force=args.force)
    if args.plot is not None:
        figure_format(args.plot)
    if (
        args.plot is not None
        and args.json is not None
        and args.plot.resolve() == args.json.resolve()
    ):
        raise InvalidValueError(f"--plot and --json both name {str(args.plot)!r}; give two files")
    if args.epochs < 1:
        raise InvalidValueError(f"--epochs must be >= 1, but got --epochs={args.epochs}")
    if args.stages is not None and args.pacing != "step":
        raise InvalidValueError(
            f"--stages applies to --pacing step, not --pacing {args.pacing}; add --pacing step"
        )
    texts = None
    if args.input is not None:
        records = read_corpus(args.input, text_field=args.text_field)
        texts = [r[args.text_field] for r in records]
        scores = _scores_of(args.scores, texts, args.input, args.text_field)
    else:
        scores = load_scores(check_input(args.scores, what="--scores"), require_metadata=False)
    pacing = get_pacing(args.pacing, c0=args.c0, full_at=args.full_at, stages=args.stages)
    sampler = CurriculumSampler(
        scores, pacing=pacing, num_samples=args.num_samples, seed=args.seed, reverse=args.reverse
    )
    n = int(scores.shape[0])
    order = np.concatenate([sampler.global_order(e) for e in range(args.epochs)])
    profile = schedule_profile(
        order, scores, bins=args.bins, epoch_size=n, ranking=sampler.ranking()
    )
    print(f"{sampler!r}, {args.epochs} epoch(s)")
    print(
        f"{'training':>13}  {'epoch':>5}  {'open':>5}  {'mean':>7}  "
        + "  ".join(f"{f'p{p:g}':>6}" for p in profile.percentiles)
        + "   (difficulty percentile of corpus)"
    )
    opened = profile.opened if profile.opened is not None else np.ones(len(profile.centers))
    cuts = np.round(profile.edges * order.size).astype(int)
    for i in range(len(profile.centers)):
        lo, hi = profile.edges[i], profile.edges[i + 1]
        cells = "  ".join(f"{v:>6.1f}" for v in profile.rank[i])
        line = (
            f"{lo:>5.0%} - {hi:>5.0%}  {cuts[i] // n + 1:>5}  {opened[i]:>5.0%}  "
            f"{profile.mean_score[i]:>7.2f}  {cells}"
        )
        if texts is not None:
            part = order[cuts[i] : cuts[i + 1]]
            example = part[np.argmin(np.abs(scores[part] - np.median(scores[part])))]
            line += "   " + textwrap.shorten(texts[int(example)], width=50, placeholder="...")
        print(line)
    print(
        "open: how far into the easy-to-hard ranking the sampler has drawn by the end of the "
        "slice, as a difficulty percentile (the pacing's competence, widened where it opens "
        "fewer samples than are drawn)"
    )
    if args.json is not None:
        document = {
            "sampler": repr(sampler),
            "edges": profile.edges.tolist(),
            "epoch_starts": profile.epoch_starts.tolist(),
            "percentiles": list(profile.percentiles),
            "opened": opened.tolist(),
            "rank": profile.rank.tolist(),
            "score": profile.score.tolist(),
            "mean_score": profile.mean_score.tolist(),
        }
        atomic_write(args.json, lambda f: f.write(json.dumps(document, indent=2).encode()))
        print(f"wrote {args.json}")
    if args.plot is not None:
        from curriculum.viz import plot_schedule

        fig = plot_schedule(profile, title=f"{args.pacing} pacing: difficulty of emitted samples")
        save_figure(fig, args.plot)
        print(f"wrote {args.plot}")
    return 0


def _unassigned(value: str) -> str | int:
    if value in ("first", "last"):
        return value
    try:
        depth = int(value)
    except ValueError:
        depth = -1
    if depth < 0:
        raise InvalidValueError(
            f"--unassigned must be first, last or an integer depth >= 0, but got {value!r}"
        )
    return depth


def _concepts(args: argparse.Namespace) -> int:
    from curriculum.concepts import load_graph
    from curriculum.datasets import load_demo_corpus
    from curriculum.demo import run_concept_demo

    graph = load_graph(args.graph)
    unassigned = _unassigned(args.unassigned)
    if args.input is None:
        records, source = load_demo_corpus(), "the shipped demo corpus"
    else:
        records, source = read_corpus(args.input, text_field=args.text_field), str(args.input)
        records = [{**r, "text": r[args.text_field]} for r in records]
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
    source = check_input(args.input, what="input file")
    inputs = [source] + ([args.scores, sidecar(args.scores)] if args.scores else [])
    check_output(args.out, what="OUT", inputs=inputs, directory=True)
    from curriculum.streaming import write_mds

    records = read_corpus(source, text_field=args.text_field)
    texts = [r[args.text_field] for r in records]
    if args.scores is not None:
        scores = _scores_of(args.scores, texts, source, args.text_field)
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
    from curriculum.recipes import Kind, Recipe, example_recipe
    from curriculum.report import floor_report, plan_table

    path = Path(args.recipe)
    is_file = path.suffix.lower() in (".yaml", ".yml", ".json") or os.sep in args.recipe
    if args.plot is not None:
        inputs = [path if is_file else None, args.input]
        check_output(args.plot, what="--plot", inputs=inputs, force=args.force)
        figure_format(args.plot)
    replicas = args.replicas
    if replicas < 1:
        raise InvalidValueError(f"--replicas must be >= 1, but got --replicas={replicas}")
    recipe = Recipe.load(path) if is_file else example_recipe(args.recipe)
    if args.input is None:
        records, source = load_demo_corpus(), "the shipped demo corpus"
    else:
        records, source = read_corpus(args.input, text_field=args.text_field), str(args.input)
    plan = recipe.plan(records, text_field=args.text_field)
    fields = args.fields
    if fields is None:
        fields = [f for f in ("source", "role", "concept") if any(f in r for r in plan.records)]
    order = plan.order(args.seed, num_replicas=replicas)
    table = plan_table(plan, fields=fields, order=order)  # checks the fields before printing
    kind = order.kind
    print(
        f"recipe {recipe.name!r} on {source}: {len(records)} records, {order.indices.size} "
        f"draws per epoch ({int((kind == Kind.OWN).sum())} own, "
        f"{int((kind == Kind.REPLAY).sum())} replay, {int((kind == Kind.FLOOR).sum())} floor "
        f"repeats){f', over {replicas} ranks' if replicas > 1 else ''}"
    )
    for row in table:
        print(
            f"\n{row['phase']}: {row['samples']} draws ({row['share']:.1%} of training), "
            f"replay {row['replay']}, floor repeats {row['floor']}, "
            f"mean grade {row['mean_grade']:.1f}"
        )
        for f in fields:
            top = sorted(row[f].items(), key=lambda kv: -kv[1])[:4]
            print(f"  {f:<8} " + ", ".join(f"{k} {v:.0%}" for k, v in top))
    if recipe.floor is not None:
        report = floor_report(plan, order, num_replicas=replicas)
        w, need = report["window"], report["need"]
        if report["global"] is None:
            print(f"\nfloor: the epoch has {order.indices.size} draws, no full window of {w}")
        else:
            print(
                f"\nfloor: at least {report['global']} of every {w} consecutive samples, in "
                f"every sliding window (asked: {need}, {recipe.floor.share:.0%})"
            )
        if replicas > 1:
            per_rank = ", ".join("no full window" if m is None else str(m) for m in report["ranks"])
            print(f"       per rank, at least: {per_rank}")
    if args.plot is not None:
        from curriculum.viz import plot_stage_composition

        names = [p.name for p in recipe.phases]
        labels = np.where(
            kind == Kind.OWN,
            np.asarray(names, dtype=object)[order.phase],
            np.where(kind == Kind.REPLAY, "replay", "floor repeat"),
        )
        fig = plot_stage_composition(
            np.arange(order.indices.size),
            labels,
            stages=20,
            title=f"Recipe {recipe.name}: composition over training",
        )
        save_figure(fig, args.plot)
        print(f"wrote {args.plot}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from curriculum.demo import run_demo

    run_demo(
        args.out_dir,
        pacing=args.pacing,
        seed=args.seed,
        cache_dir=args.cache_dir,
        force=args.force,
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    from curriculum.bench import SkillsTask, TextTask, ValueProbes, run_bench
    from curriculum.bench.result import check_outputs

    out = args.out_dir or Path(f"bench-{args.task}")
    inputs = [args.input, args.scores, None if args.scores is None else sidecar(args.scores)]
    check_outputs(out, plot=not args.no_plot, inputs=inputs, force=args.force)
    if args.task == "text":
        if args.mix is not None:
            raise InvalidValueError("--mix applies to the skills task, not text")
        if args.input is None and args.scores is not None:
            raise InvalidValueError("--scores needs the corpus it scores: give INPUT too")
        records = (
            load_demo_corpus()
            if args.input is None
            else read_corpus(args.input, text_field=args.text_field)
        )
        texts = [r[args.text_field] for r in records]
        task: TextTask | SkillsTask = TextTask(
            texts, scores=args.scores, scorer=args.scorer if args.scores is None else None
        )
        arms, schedules = args.arms or "random,warmup,full", args.schedules or "cosine,wsd"
    else:
        if args.input is not None or args.scores is not None:
            raise InvalidValueError("the skills task generates its data: drop INPUT and --scores")
        mix = None
        if args.mix is not None:
            try:
                mix = [float(v) for v in args.mix.split(",")]
            except ValueError:
                raise InvalidValueError(
                    f"--mix must be comma-separated numbers, but got {args.mix!r}"
                ) from None
        task = SkillsTask(mix=mix)
        arms, schedules = args.arms or "random,step,replay,full", args.schedules or "cosine"
    result = run_bench(
        task,
        arms=arms,
        schedules=schedules,
        seeds=args.seeds,
        steps=args.steps,
        batch_size=args.batch_size,
        context=args.context,
        epochs=args.epochs,
        pack=args.pack,
        lr=args.lr,
        evals=args.evals,
        d_model=args.d_model,
        layers=args.layers,
        heads=args.heads,
        model=args.model,
        evaluate=ValueProbes() if args.probes else None,
        device=args.device,
        interval=args.interval,
    )
    paths = result.save(out, plot=not args.no_plot, inputs=inputs, force=True)
    print(result.markdown())
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


HANDLERS = {
    "score": _score,
    "schedule": _schedule,
    "concepts": _concepts,
    "mds": _mds,
    "plan": _plan,
    "demo": _demo,
    "bench": _bench,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 error, 2 usage, 141 pipe closed)."""
    args = _parser().parse_args(argv)
    try:
        status = HANDLERS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except CurriculumError as exc:
        print(f"curriculum {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `curriculum plan ... | head`: the reader left, stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return SIGPIPE_STATUS
    except KeyboardInterrupt:
        print(f"curriculum {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
