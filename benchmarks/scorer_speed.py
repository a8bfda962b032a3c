"""Scorer throughput: readability (1 and 2 processes) vs textstat, and the score cache.

Readability with 1 and 2 processes against textstat called directly, and the score cache (hit vs
miss), on the same real passages in the same run. textstat memoises results per text, so every
readability measurement runs in a fresh process (cold caches, interpreter start not timed).

    python benchmarks/scorer_speed.py [--repeats 3]

Embedding throughput (vs ``model.encode``) is in benchmarks/embedding_speed.py. Writes
benchmarks/results/scorer_speed.json.
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
from _common import best_of, machine, real_texts, write_report

from curriculum import ReadabilityScorer, ScoreCache

RESULTS = RESULTS_DIR / "scorer_speed.json"


COLD = """
import json, sys, time
texts = json.load(open(sys.argv[1]))
import textstat
from curriculum import ReadabilityScorer
ReadabilityScorer(n_jobs=1, progress=False).score(["Warm up the imports."])
start = time.perf_counter()
if sys.argv[2] == "direct":
    [textstat.flesch_kincaid_grade(t) for t in texts]
else:
    ReadabilityScorer(n_jobs=int(sys.argv[2]), progress=False).score(texts)
print(time.perf_counter() - start)
"""


def cold(texts_file: Path, variant: str, repeats: int) -> float:
    """Fastest of ``repeats`` runs, each in a fresh interpreter."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", COLD, str(texts_file), variant],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    texts = real_texts()
    n = len(texts)
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts))
        timings = {
            "textstat direct": cold(texts_file, "direct", args.repeats),
            "ReadabilityScorer n_jobs=1": cold(texts_file, "1", args.repeats),
            "ReadabilityScorer n_jobs=2": cold(texts_file, "2", args.repeats),
        }
    with tempfile.TemporaryDirectory() as tmp:
        cache = ScoreCache(tmp)
        start = time.perf_counter()
        cache.get_or_compute(ReadabilityScorer(n_jobs=1, progress=False), texts)
        miss = time.perf_counter() - start
        hit = best_of(
            lambda: cache.get_or_compute(ReadabilityScorer(progress=False), texts), args.repeats
        )
    rate = {k: n / v for k, v in timings.items()}
    base = rate["textstat direct"]
    report = {
        "benchmark": "scorer_speed",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "texts": n,
        "repeats": args.repeats,
        "seconds": timings,
        "texts_per_second": rate,
        "ratio_vs_textstat_direct": {k: v / base for k, v in rate.items()},
        "score_cache": {"miss_s": miss, "hit_s": hit, "speedup": miss / hit},
    }
    print(f"{n} real passages, best of {args.repeats}")
    for key, seconds in timings.items():
        print(f"  {key:<28} {seconds:6.2f}s  {rate[key]:8.0f} texts/s  ({rate[key] / base:.2f}x)")
    print(f"  score cache: miss {miss:.2f}s, hit {hit:.3f}s ({miss / hit:.0f}x)")
    write_report(args.output, report)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
