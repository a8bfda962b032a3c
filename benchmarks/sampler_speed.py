"""CurriculumSampler vs torch.utils.data.RandomSampler: order build, iteration, peak memory.

Every number is measured in this run and reported as a ratio to the baseline measured beside it.

    python benchmarks/sampler_speed.py                 # N = 1M and 10M
    python benchmarks/sampler_speed.py --sizes 100000  # quick look

Results go to benchmarks/results/sampler_speed.json.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import RESULTS as RESULTS_DIR
from _common import best_of, machine, write_report
from torch.utils.data import RandomSampler

from curriculum import CurriculumSampler
from curriculum.ordering import curriculum_order, difficulty_rank
from curriculum.pacing import get_pacing

RESULTS = RESULTS_DIR / "sampler_speed.json"


def drain(iterable: Any) -> None:
    """Consume an iterator as a training loop's index fetch would, doing nothing per item."""
    for _ in iterable:
        pass


def scores_for(n: int) -> np.ndarray:
    # Readability-like scores: grade levels with many ties, as real corpora have.
    return np.round(np.random.default_rng(0).gamma(4.0, 2.0, n), 1)


def peak_memory(kind: str, n: int) -> int:
    """Peak RSS growth (bytes) of one full epoch (build + iterate) in a fresh process.

    Linux's high-water mark (VmHWM) is reset just before the epoch (``clear_refs``), so import-time
    peaks do not count; the result is VmHWM minus the RSS at that moment.
    """
    code = f"""
import numpy as np, torch
from torch.utils.data import RandomSampler
from curriculum import CurriculumSampler
scores = np.round(np.random.default_rng(0).gamma(4.0, 2.0, {n}), 1)
def status(key):
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key + ':'))
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')
before = status('VmRSS')
if {kind!r} == 'random':
    sampler = RandomSampler(range({n}))
else:
    sampler = CurriculumSampler(scores, pacing='root', seed=0)
for _ in sampler:
    pass
print(status('VmHWM') - before)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def measure(n: int, repeats: int) -> dict[str, Any]:
    scores = scores_for(n)
    pacing = get_pacing("root")
    rank = difficulty_rank(scores, seed=0)
    result: dict[str, Any] = {"n": n}

    # Order build.
    t_randperm = best_of(lambda: torch.randperm(n), repeats)
    t_permutation = best_of(lambda: np.random.default_rng(0).permutation(n), repeats)
    t_rank = best_of(lambda: difficulty_rank(scores, seed=0), repeats)
    t_epoch = best_of(lambda: curriculum_order(rank, pacing, seed=0, epoch=0), repeats)
    result["build_s"] = {
        "torch.randperm": t_randperm,
        "np.random.permutation": t_permutation,
        "curriculum rank (once per sampler)": t_rank,
        "curriculum epoch order": t_epoch,
    }
    result["build_ratio_epoch_vs_permutation"] = t_epoch / t_permutation
    result["build_ratio_first_epoch_vs_permutation"] = (t_rank + t_epoch) / t_permutation

    # Whole epoch through the Sampler interface (build + iterate), as a DataLoader does it.
    def random_epoch() -> None:
        drain(RandomSampler(range(n)))

    def curriculum_epoch() -> None:
        drain(CurriculumSampler(scores, pacing="root", seed=0))

    sampler = CurriculumSampler(scores, pacing="root", seed=0)
    sampler.indices()  # order cached: iteration alone
    later = CurriculumSampler(scores, pacing="root", seed=0, num_samples=4 * n)
    later.global_order(0)  # the ranking is computed once per sampler
    epochs = iter(range(1, 1000))

    def later_epoch() -> None:
        later.set_epoch(next(epochs))  # a new epoch: order rebuilt, ranking reused
        drain(later)

    t_random = best_of(random_epoch, repeats)
    t_curr = best_of(curriculum_epoch, repeats)
    t_later = best_of(later_epoch, repeats)
    t_iter = best_of(lambda: drain(sampler), repeats)
    result["epoch_s"] = {
        "RandomSampler": t_random,
        "CurriculumSampler first epoch (incl. ranking)": t_curr,
        "CurriculumSampler later epoch": t_later,
    }
    result["epoch_ratio"] = t_curr / t_random
    result["later_epoch_ratio"] = t_later / t_random
    result["iteration_rate_per_s"] = {
        "RandomSampler (incl. randperm)": n / t_random,
        "CurriculumSampler (order cached)": n / t_iter,
        "CurriculumSampler (incl. build)": n / t_curr,
    }
    result["iteration_ratio_cached_vs_random"] = (n / t_iter) / (n / t_random)

    # Checkpointing: the first state_dict() of an epoch fingerprints this rank's indices (so a
    # state only resumes the same sequence); later calls in the epoch reuse it.
    def first_state() -> None:
        sampler._share_fingerprint = None  # forget the fingerprint, as a new epoch would
        sampler.state_dict()

    t_state_first = best_of(first_state, repeats)
    t_state_later = best_of(sampler.state_dict, repeats)
    result["state_dict_s"] = {"first of an epoch": t_state_first, "later": t_state_later}
    result["state_dict_first_vs_later_epoch"] = t_state_first / t_later

    mem_random = peak_memory("random", n)
    mem_curr = peak_memory("curriculum", n)
    result["peak_rss_bytes"] = {"RandomSampler": mem_random, "CurriculumSampler": mem_curr}
    result["peak_bytes_per_sample"] = {
        "RandomSampler": mem_random / n,
        "CurriculumSampler": mem_curr / n,
    }
    result["memory_ratio"] = mem_curr / mem_random
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    runs = []
    for n in args.sizes:
        r = measure(n, args.repeats)
        runs.append(r)
        b = r["build_s"]
        print(f"\nN = {n:,}")
        print(
            f"  order build   randperm {b['torch.randperm']:.3f}s | np permutation "
            f"{b['np.random.permutation']:.3f}s | curriculum epoch "
            f"{b['curriculum epoch order']:.3f}s"
            f" ({r['build_ratio_epoch_vs_permutation']:.1f}x permutation) + rank once "
            f"{b['curriculum rank (once per sampler)']:.3f}s "
            f"(first epoch {r['build_ratio_first_epoch_vs_permutation']:.1f}x)"
        )
        e = r["epoch_s"]
        rate = r["iteration_rate_per_s"]
        print(
            f"  full epoch    RandomSampler {e['RandomSampler']:.3f}s | CurriculumSampler first "
            f"{e['CurriculumSampler first epoch (incl. ranking)']:.3f}s ({r['epoch_ratio']:.2f}x)"
            f", later {e['CurriculumSampler later epoch']:.3f}s ({r['later_epoch_ratio']:.2f}x)"
        )
        print(
            "  iteration     RandomSampler "
            f"{rate['RandomSampler (incl. randperm)'] / 1e6:.1f}M/s | "
            f"CurriculumSampler {rate['CurriculumSampler (order cached)'] / 1e6:.1f}M/s "
            f"({r['iteration_ratio_cached_vs_random']:.2f}x)"
        )
        st = r["state_dict_s"]
        print(
            f"  state_dict    first of an epoch {st['first of an epoch'] * 1e3:.1f} ms "
            f"({r['state_dict_first_vs_later_epoch']:.1%} of a later epoch), later "
            f"{st['later'] * 1e6:.0f} us"
        )
        m = r["peak_bytes_per_sample"]
        print(
            f"  peak memory   RandomSampler {m['RandomSampler']:.1f} B/sample | CurriculumSampler "
            f"{m['CurriculumSampler']:.1f} B/sample ({r['memory_ratio']:.2f}x)"
        )

    report = {
        "benchmark": "sampler_speed",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(
            max_rss_of_this_process_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ),
        "repeats": args.repeats,
        "runs": runs,
    }
    write_report(args.output, report)
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
