"""Does ordering help? The default runs of ``curriculum bench``, on the shared real passages.

    python benchmarks/orderings.py            # text and skills, 5 seeds each (~25 min, 2 cores)
    python benchmarks/orderings.py --task text --steps 3000 --d-model 256 --layers 4 --device cuda

``text``: the byte-level model on the fortunes and Debian Reference passages of ../shared/data
(the shipped demo corpus when those are absent), Flesch-Kincaid difficulty, arms random, warmup
and full, LR schedules cosine and wsd. ``skills``: synthetic addition skills in a prerequisite
chain, arms random, step, replay and full, cosine. Both are ``curriculum.bench.run_bench`` with
its defaults; results go to benchmarks/results/bench-text/ and bench-skills/ (JSON, markdown,
plot). ``--task text-lr`` runs random and full under the constant and decay_avg schedules
(Luo et al., 2025: learning-rate decay wastes the data a curriculum puts last) into
bench-text-lr/.
"""

from __future__ import annotations

import argparse

from _common import RESULTS, real_texts

from curriculum.bench import SkillsTask, TextTask, run_bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--task",
        choices=["text", "skills", "both", "text-lr"],
        default="both",
        help="text-lr: random and full under the constant and decay_avg LR schedules",
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    common = {
        "seeds": args.seeds,
        "steps": args.steps,
        "d_model": args.d_model,
        "layers": args.layers,
        "device": args.device,
        "progress": True,
    }
    runs = {  # name: (task, arms, schedules)
        "text": (lambda: TextTask(real_texts()), "random,warmup,full", "cosine,wsd"),
        "text-lr": (lambda: TextTask(real_texts()), "random,full", "constant,decay_avg"),
        "skills": (SkillsTask, "random,step,replay,full", "cosine"),
    }
    chosen = ["text", "skills"] if args.task == "both" else [args.task]
    for name in chosen:
        make, arms, schedules = runs[name]
        result = run_bench(make(), arms=arms, schedules=schedules, **common)
        result.save(RESULTS / f"bench-{name}", force=True)
        print(result.markdown())


if __name__ == "__main__":
    main()
