"""Helpers shared by the benchmarks: timing and the real passages they run on."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from curriculum import load_demo_corpus

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHARED = ROOT.parent / "shared" / "data"


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    """Fastest of ``repeats`` wall-clock runs of ``fn``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def real_records(names: tuple[str, ...] = ("fortunes", "debian-reference")) -> list[dict[str, str]]:
    """Records (``id``, ``source``, ``text``) of ../shared/data, or the shipped demo corpus."""
    rows: list[dict[str, str]] = []
    for name in names:
        path = SHARED / f"{name}.jsonl"
        if path.exists():
            with path.open(encoding="utf-8") as f:
                rows.extend(json.loads(line) for line in f if line.strip())
    if not rows:
        rows = [r for r in load_demo_corpus() if r["source"].split("/")[0] in names]
    return rows


def real_texts(names: tuple[str, ...] = ("fortunes", "debian-reference")) -> list[str]:
    """The texts of :func:`real_records`."""
    return [r["text"] for r in real_records(names)]


def machine(**extra: Any) -> dict[str, Any]:
    """What the numbers were measured on: versions, cores, platform (plus ``extra``)."""
    import os
    import platform

    import numpy as np
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        **extra,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write a benchmark's results as JSON (creating the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
