"""CurriculumSampler vs torch.utils.data.RandomSampler: order build, iteration, peak memory.

Every number is measured in this run and reported as a ratio to the baseline measured beside it:
speed ratios are RandomSampler's time over the sampler's (above 1: the sampler is faster).

    python benchmarks/sampler_speed.py                       # N = 5M and 30M
    python benchmarks/sampler_speed.py --sizes 100000000 --repeats 1 --output ...  # scaling
    python benchmarks/sampler_speed.py --sizes 100000        # quick look

Per size: the ranking (and the previous float argsort it replaced), a whole first epoch
(ranking included) and a later one, iteration, ``state_dict``, and peak memory per sample beyond
the scores for RandomSampler, the int32 path and the int64 path (forced, as above 2**31
samples). With ``--ranks 4``: four processes on one node building their first epoch at once,
each computing its own ranking against sharing one memory-mapped ranking (``ranking_dir``).

Results go to benchmarks/results/sampler_speed.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import RESULTS as RESULTS_DIR
from _common import best_of, machine, write_report
from torch.utils.data import RandomSampler

from curriculum import CurriculumSampler
from curriculum._streams import Stream, rng
from curriculum.ordering import _rank, curriculum_order, difficulty_rank
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
    peaks do not count; the result is VmHWM minus the RSS at that moment. ``kind`` is
    ``random``, ``curriculum`` or ``curriculum-int64`` (the ranking and the epoch in int64, as
    above 2**31 samples).
    """
    code = f"""
import numpy as np, torch
from torch.utils.data import RandomSampler
from curriculum import CurriculumSampler
from curriculum import ordering
if {kind!r} == 'curriculum-int64':
    ordering.index_dtype = lambda n: np.int64
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


def previous_ranking(scores: np.ndarray) -> np.ndarray:
    """The ranking before packed keys (still used up to 4M samples): permutation, float argsort."""
    return _rank(scores, rng(0, Stream.RANK), reverse=False, hashed=False)


def measure(n: int, repeats: int) -> dict[str, Any]:
    scores = scores_for(n)
    pacing = get_pacing("root")
    rank = difficulty_rank(scores, seed=0)
    result: dict[str, Any] = {"n": n}

    # Order build.
    t_randperm = best_of(lambda: torch.randperm(n), repeats)
    t_permutation = best_of(lambda: np.random.default_rng(0).permutation(n), repeats)
    t_rank = best_of(lambda: difficulty_rank(scores, seed=0), repeats)
    t_previous = best_of(lambda: previous_ranking(scores), repeats)
    t_epoch = best_of(lambda: curriculum_order(rank, pacing, seed=0, epoch=0), repeats)
    result["build_s"] = {
        "torch.randperm": t_randperm,
        "np.random.permutation": t_permutation,
        "curriculum rank (once per sampler)": t_rank,
        "previous rank (float argsort)": t_previous,
        "curriculum epoch order": t_epoch,
    }
    result["rank_speed_vs_previous"] = t_previous / t_rank
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
    result["first_epoch_speed_vs_random"] = t_random / t_curr
    result["later_epoch_speed_vs_random"] = t_random / t_later
    result["iteration_rate_per_s"] = {
        "RandomSampler (incl. randperm)": n / t_random,
        "CurriculumSampler (order cached)": n / t_iter,
        "CurriculumSampler (incl. build)": n / t_curr,
    }
    result["iteration_ratio_cached_vs_random"] = (n / t_iter) / (n / t_random)

    # Checkpointing: the first state_dict() of an epoch fingerprints the epoch's order (so a
    # state only resumes the same sequence); later calls in the epoch reuse it.
    def first_state() -> None:
        sampler._order_fingerprint = None  # forget the fingerprint, as a new epoch would
        sampler.state_dict()

    t_state_first = best_of(first_state, repeats)
    t_state_later = best_of(sampler.state_dict, repeats)
    result["state_dict_s"] = {"first of an epoch": t_state_first, "later": t_state_later}
    result["state_dict_first_vs_later_epoch"] = t_state_first / t_later

    mem = {kind: peak_memory(kind, n) for kind in ("random", "curriculum", "curriculum-int64")}
    result["peak_rss_bytes"] = {
        "RandomSampler": mem["random"],
        "CurriculumSampler": mem["curriculum"],
        "CurriculumSampler int64": mem["curriculum-int64"],
    }
    result["peak_bytes_per_sample"] = {k: v / n for k, v in result["peak_rss_bytes"].items()}
    result["memory_ratio"] = mem["curriculum"] / mem["random"]
    return result


RANK_PROCESS = """
import json, sys, time
import numpy as np
from curriculum import CurriculumSampler
path, ranking_dir, rank, ranks = sys.argv[1:5]
scores = np.load(path, mmap_mode="r")  # the score cache, as every rank of a node reads it
float(scores.sum())  # its pages are resident before the clock starts
def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key + ":"))
def pss():
    with open("/proc/self/smaps_rollup") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("Pss:"))
computed = []
original = CurriculumSampler._compute_ranks
def compute(self):
    computed.append(1)
    return original(self)
CurriculumSampler._compute_ranks = compute
print("ready", flush=True)
sys.stdin.readline()  # every rank starts when all have imported and loaded
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before, pss_before = status("VmRSS"), pss()
t0 = time.perf_counter()
sampler = CurriculumSampler(
    scores, seed=0, num_replicas=int(ranks), rank=int(rank),
    ranking_dir=None if ranking_dir == "-" else ranking_dir,
)
next(iter(sampler))
first = time.perf_counter() - t0
print(json.dumps({"first_index_s": first, "peak_rss_growth": status("VmHWM") - before,
                  "pss_growth": pss() - pss_before, "computed": bool(computed)}))
"""


def ranks_on_a_node(n: int, ranks: int, workdir: Path) -> dict[str, Any]:
    """``ranks`` processes building their first epoch at once: own rankings vs one shared.

    Each process maps the scores from a ``.npy`` file (pages resident before the clock starts)
    and reports the time to its first index, its peak RSS growth (which counts the shared
    ranking's pages in every process) and its PSS growth (which splits shared pages among the
    processes that map them: the node's physical memory).
    """
    scores_path = workdir / "scores.npy"
    np.save(scores_path, scores_for(n))
    out: dict[str, Any] = {"n": n, "ranks": ranks}
    for mode, count in (("one process", 1), ("each its own", ranks), ("shared", ranks)):
        ranking_dir = str(workdir / "ranking") if mode == "shared" else "-"
        argv = [sys.executable, "-c", RANK_PROCESS, str(scores_path), ranking_dir]
        procs = [
            subprocess.Popen(
                [*argv, str(r), str(count)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for r in range(count)
        ]
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        runs = [json.loads(p.communicate()[0]) for p in procs]
        out[mode] = {
            "slowest_first_index_s": max(r["first_index_s"] for r in runs),
            "rankings_computed": sum(r["computed"] for r in runs),
            "peak_rss_growth_bytes_per_sample": [r["peak_rss_growth"] / n for r in runs],
            "pss_growth_bytes_per_sample": sum(r["pss_growth"] for r in runs) / n,
        }
    one = out["one process"]
    for mode in ("each its own", "shared"):
        out[mode]["time_vs_n_times_one"] = out[mode]["slowest_first_index_s"] / (
            ranks * one["slowest_first_index_s"]
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[5_000_000, 30_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ranks", type=int, default=4, help="processes on one node (0: skip)")
    parser.add_argument("--ranks-size", type=int, default=30_000_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    runs = []
    for n in args.sizes:
        r = measure(n, args.repeats)
        runs.append(r)
        b = r["build_s"]
        print(f"\nN = {n:,}")
        print(
            f"  ranking       {b['curriculum rank (once per sampler)']:.3f}s | previous float "
            f"argsort {b['previous rank (float argsort)']:.3f}s "
            f"({r['rank_speed_vs_previous']:.1f}x faster)"
        )
        print(
            f"  order build   randperm {b['torch.randperm']:.3f}s | np permutation "
            f"{b['np.random.permutation']:.3f}s | curriculum epoch "
            f"{b['curriculum epoch order']:.3f}s"
            f" ({r['build_ratio_epoch_vs_permutation']:.1f}x permutation)"
        )
        e = r["epoch_s"]
        rate = r["iteration_rate_per_s"]
        print(
            f"  full epoch    RandomSampler {e['RandomSampler']:.3f}s | CurriculumSampler first "
            f"{e['CurriculumSampler first epoch (incl. ranking)']:.3f}s "
            f"(speed {r['first_epoch_speed_vs_random']:.2f}x RandomSampler), later "
            f"{e['CurriculumSampler later epoch']:.3f}s "
            f"({r['later_epoch_speed_vs_random']:.2f}x)"
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
            f"{m['CurriculumSampler']:.1f} B/sample int32, "
            f"{m['CurriculumSampler int64']:.1f} B/sample int64 (beyond the scores)"
        )

    node = None
    if args.ranks:
        with tempfile.TemporaryDirectory() as tmp:
            node = ranks_on_a_node(args.ranks_size, args.ranks, Path(tmp))
        print(f"\n{args.ranks} ranks on one node, N = {args.ranks_size:,}, first index:")
        for mode in ("one process", "each its own", "shared"):
            m = node[mode]
            ratio = m.get("time_vs_n_times_one")
            print(
                f"  {mode:13s} slowest {m['slowest_first_index_s']:.2f}s"
                + (f" ({ratio:.2f} of {args.ranks} x one)" if ratio else "")
                + f" | rankings computed {m['rankings_computed']} | peak RSS growth per rank "
                f"{max(m['peak_rss_growth_bytes_per_sample']):.1f} B/sample | node memory (PSS) "
                f"growth {m['pss_growth_bytes_per_sample']:.1f} B/sample"
            )

    report = {
        "benchmark": "sampler_speed",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(
            max_rss_of_this_process_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ),
        "repeats": args.repeats,
        "runs": runs,
        "ranks_on_a_node": node,
    }
    write_report(args.output, report)
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
