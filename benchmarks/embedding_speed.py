"""Embedding throughput: the library's path vs calling ``model.encode`` directly, same run.

    python benchmarks/embedding_speed.py [--texts 1000] [--repeats 3]

Measures texts/s for (a) ``model.encode`` on the packaged all-MiniLM-L6-v2, (b)
``curriculum.embeddings.embed`` (validation + encode), (c) ``EmbeddingClusterScorer`` fit
(embedding + k-means), and (d) a cache hit, on real passages from ../shared/data (or the shipped
demo corpus). Runs alternate so warm-up and drift hit both sides. Writes
benchmarks/results/embedding_speed.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import RESULTS as RESULTS_DIR
from _common import machine, real_texts, write_report

from curriculum import EmbeddingClusterScorer
from curriculum.embeddings import default_device, embed, load_model

RESULTS = RESULTS_DIR / "embedding_speed.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    texts = real_texts(("fortunes",))[: args.texts]
    model = load_model()
    model.encode(texts[:64], batch_size=args.batch_size)  # warm-up

    times: dict[str, list[float]] = {"model.encode": [], "embed": [], "scorer fit": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        model.encode(
            texts,
            batch_size=args.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        times["model.encode"].append(time.perf_counter() - start)
        start = time.perf_counter()
        embed(texts, batch_size=args.batch_size, progress=False)
        times["embed"].append(time.perf_counter() - start)
        start = time.perf_counter()
        EmbeddingClusterScorer(8, batch_size=args.batch_size, progress=False).fit(texts)
        times["scorer fit"].append(time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        embed(texts, batch_size=args.batch_size, cache_dir=cache)
        miss = time.perf_counter() - start
        start = time.perf_counter()
        hit = np.asarray(embed(texts, batch_size=args.batch_size, cache_dir=cache))
        hit_s = time.perf_counter() - start
        assert hit.shape[0] == len(texts)

    best = {k: min(v) for k, v in times.items()}
    rate = {k: len(texts) / v for k, v in best.items()}
    overhead = best["embed"] / best["model.encode"] - 1
    report = {
        "benchmark": "embedding_speed",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "device": default_device(),
        "machine": machine(),
        "texts": len(texts),
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "best_seconds": best,
        "texts_per_second": rate,
        "embed_overhead_vs_model_encode": overhead,
        "cache": {"miss_s": miss, "hit_s": hit_s, "speedup": miss / hit_s},
    }
    print(
        f"{len(texts)} real passages on {default_device()}, batch {args.batch_size}, "
        f"best of {args.repeats}"
    )
    for key in best:
        print(f"  {key:<14} {best[key]:7.2f}s  {rate[key]:8.1f} texts/s")
    print(f"  embed overhead vs model.encode: {overhead:+.1%}")
    print(f"  cache: miss {miss:.2f}s, hit {hit_s:.3f}s ({miss / hit_s:.0f}x)")
    write_report(args.output, report)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
