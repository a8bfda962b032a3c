"""Does ordering help? Train the same model once per ordering and compare, paired by seed.

:func:`run_bench` trains every arm (:data:`ARMS`: random, full, warmup, anti, step, replay,
seqlen) under every learning-rate schedule (:data:`SCHEDULES`) for each seed, from the same
initial weights and on the same data pool per seed, and returns a :class:`BenchResult`: paired
differences against ``random`` with intervals, steps to reach random's final loss, and the loss by
difficulty bucket, as JSON, a markdown table and a plot. ``curriculum bench`` is its command line.

Tasks: :class:`TextTask` (any corpus and scorer), :class:`SkillsTask` (addition skills in a
prerequisite graph); any Hugging Face causal LM directory as the model, and an evaluation callback
such as :class:`ValueProbes`.
"""

from curriculum.bench.arms import ARMS, Arm, parse_arms
from curriculum.bench.lr import SCHEDULES, LRSchedule, get_schedule
from curriculum.bench.model import ByteLM
from curriculum.bench.probes import ValueProbes, load_value_probes
from curriculum.bench.result import BenchResult
from curriculum.bench.run import BenchConfig, run_bench
from curriculum.bench.stats import paired_difference, steps_to_reach
from curriculum.bench.tasks import SkillsTask, TextTask, skills_graph

__all__ = [
    "ARMS",
    "SCHEDULES",
    "Arm",
    "BenchConfig",
    "BenchResult",
    "ByteLM",
    "LRSchedule",
    "SkillsTask",
    "TextTask",
    "ValueProbes",
    "get_schedule",
    "load_value_probes",
    "paired_difference",
    "parse_arms",
    "run_bench",
    "skills_graph",
    "steps_to_reach",
]
