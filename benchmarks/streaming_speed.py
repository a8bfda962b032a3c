"""Reading MDS shards in curriculum order vs plain StreamingDataset shuffling, same run.

    python benchmarks/streaming_speed.py [--repeats 3] [--num-workers 0]

Writes the real passages of ../shared/data (or the shipped demo corpus) to local MDS shards once,
then times full epochs of ``StreamingDataset(shuffle=True)`` (py1e, its default shuffle) and of
``CurriculumStreamingDataset`` over the same shards, alternating, through a
``StreamingDataLoader``. Reports samples/s and the ratio (aim: >= 0.9x). Writes
benchmarks/results/streaming_speed.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import RESULTS as RESULTS_DIR
from _common import machine, real_records, write_report
from streaming import StreamingDataLoader, StreamingDataset
from streaming.base.util import clean_stale_shared_memory

from curriculum import LengthScorer
from curriculum.streaming import CurriculumStreamingDataset, write_mds

RESULTS = RESULTS_DIR / "streaming_speed.json"


def epoch(ds: Any, batch_size: int, num_workers: int) -> tuple[float, int]:
    loader = StreamingDataLoader(ds, batch_size=batch_size, num_workers=num_workers)
    start = time.perf_counter()
    count = sum(len(batch["id"]) for batch in loader)
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    records = [{"text": r["text"], "id": r["id"]} for r in real_records()]
    scores = LengthScorer().score([r["text"] for r in records])
    times: dict[str, list[float]] = {
        "StreamingDataset (shuffle)": [],
        "CurriculumStreamingDataset": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        mds = write_mds(records, Path(tmp) / "mds", scores=scores, size_limit=1 << 20)
        shards = len(list(mds.glob("shard.*.mds")))
        for _ in range(args.repeats):
            for name in times:
                clean_stale_shared_memory()
                if name.startswith("Curriculum"):
                    ds: Any = CurriculumStreamingDataset(local=str(mds), batch_size=args.batch_size)
                else:
                    ds = StreamingDataset(local=str(mds), batch_size=args.batch_size, shuffle=True)
                seconds, count = epoch(ds, args.batch_size, args.num_workers)
                assert count == len(records), (name, count)
                times[name].append(seconds)
                del ds
        clean_stale_shared_memory()

    best = {k: min(v) for k, v in times.items()}
    rate = {k: len(records) / v for k, v in best.items()}
    ratio = rate["CurriculumStreamingDataset"] / rate["StreamingDataset (shuffle)"]
    print(
        f"{len(records)} real passages in {shards} MDS shards, batch {args.batch_size}, "
        f"num_workers {args.num_workers}, best of {args.repeats} epochs"
    )
    for key in best:
        print(f"  {key:<28} {best[key]:6.2f}s  {rate[key]:9.0f} samples/s")
    print(f"  curriculum / plain: {ratio:.2f}x")
    report = {
        "benchmark": "streaming_speed",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "samples": len(records),
        "shards": shards,
        "batch_size": args.batch_size,
        "num_workers": args.num_workers,
        "repeats": args.repeats,
        "epoch_seconds": times,
        "samples_per_second": rate,
        "ratio_curriculum_vs_plain": ratio,
    }
    write_report(args.output, report)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
