"""Scoring throughput on Ray Data against local scoring, same corpus, same run.

Readability (Flesch-Kincaid) on the real passages of ../shared/data (14,183 fortunes and 2,083
Debian reference paragraphs) written as one JSON lines file, three ways:

* local: ``curriculum.scoring.score_file``, what ``curriculum score`` runs (two processes);
* Ray, file: ``score_file_on_ray``, what ``curriculum score --engine ray`` runs (the driver
  fingerprints the file, Ray reads it again, zips row positions, scores in tasks, merges);
* Ray, dataset: ``score_dataset(read_ray_dataset(...))``, the Python API (the fingerprint pass reads
  through Ray too).

Each run is a fresh process (textstat memoises per text, and Ray's workers live on): imports and
textstat's dictionary are warmed on other text, and Ray is started with ``num_cpus`` and warmed
(its workers started) before the clock starts; Ray's start is reported apart. Also the whole
command, ``curriculum score`` with and without ``--engine ray``, wall clock in a subprocess.

    python benchmarks/ray_scoring.py [--repeats 3] [--cpus 2]

Writes benchmarks/results/ray_scoring.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import RESULTS as RESULTS_DIR
from _common import machine, real_records, write_report

RESULTS = RESULTS_DIR / "ray_scoring.json"

RUN = """
import json, sys, time
path, out, variant, cpus = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
from curriculum import ReadabilityScorer
ReadabilityScorer(n_jobs=1, progress=False).score(["Warm up the imports."])
start_ray = 0.0
if variant != "local":
    import ray
    from curriculum.distributed_scoring import score_dataset, score_file_on_ray
    from curriculum.ray_cluster import read_ray_dataset
    t = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    start_ray = time.perf_counter() - t
    warm = ray.data.from_items([{"text": "Warm up the workers."}] * 64)
    score_dataset(warm, "readability", output=out, batch_size=8, progress=False, force=True)
from curriculum.scoring import score_file
t = time.perf_counter()
if variant == "local":
    score_file(path, "readability", output=out, progress=False, force=True)
elif variant == "ray-file":
    score_file_on_ray(path, "readability", output=out, progress=False, force=True)
else:
    score_dataset(read_ray_dataset(path), "readability", output=out, progress=False, force=True)
print(json.dumps({"seconds": time.perf_counter() - t, "ray_start": start_ray}))
"""


def run(path: Path, out: Path, variant: str, cpus: int) -> dict[str, float]:
    """One scoring run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(path), str(out), variant, str(cpus)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def command(path: Path, out: Path, engine: str) -> float:
    """Wall clock of the whole ``curriculum score`` command (Ray start and stop included)."""
    exe = Path(sys.executable).parent / "curriculum"
    start = time.perf_counter()
    subprocess.run(
        [
            str(exe),
            "score",
            str(path),
            "-o",
            str(out),
            "--engine",
            engine,
            "--no-progress",
            "--force",
        ],
        capture_output=True,
        check=True,
        text=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray instance")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    records = real_records()
    n = len(records)
    variants = ("local", "ray-file", "ray-dataset")
    seconds: dict[str, list[float]] = {v: [] for v in variants}
    ray_start: list[float] = []
    wall: dict[str, list[float]] = {"local": [], "ray": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        for _ in range(args.repeats):  # alternated, so drift and load hit every variant
            for variant in variants:
                result = run(path, Path(tmp) / f"{variant}.npy", variant, args.cpus)
                seconds[variant].append(result["seconds"])
                if variant != "local":
                    ray_start.append(result["ray_start"])
            for engine in wall:
                wall[engine].append(command(path, Path(tmp) / f"cli-{engine}.npy", engine))
        same = all(
            (Path(tmp) / f"{v}.npy").read_bytes() == (Path(tmp) / "local.npy").read_bytes()
            for v in variants
        )
    best = {v: min(s) for v, s in seconds.items()}
    rate = {v: n / s for v, s in best.items()}
    report = {
        "benchmark": "ray_scoring",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(ray_cpus=args.cpus),
        "scorer": "readability (flesch_kincaid_grade)",
        "texts": n,
        "repeats": args.repeats,
        "identical_scores": same,
        "seconds": seconds,
        "best_seconds": best,
        "texts_per_second": rate,
        "ratio_vs_local": {v: rate[v] / rate["local"] for v in variants},
        "ray_start_seconds": min(ray_start),
        "command_wall_seconds": {k: min(v) for k, v in wall.items()},
    }
    print(f"{n} real passages, readability, best of {args.repeats}, Ray with {args.cpus} CPUs")
    for v in variants:
        print(
            f"  {v:<12} {best[v]:6.2f}s  {rate[v]:8.0f} texts/s  ({rate[v] / rate['local']:.2f}x "
            "local)"
        )
    print(f"  Ray start {min(ray_start):.1f}s (not in the above); identical scores: {same}")
    print(f"  whole command: local {min(wall['local']):.1f}s, --engine ray {min(wall['ray']):.1f}s")
    write_report(args.output, report)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
