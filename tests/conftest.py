"""Shared fixtures: real passages from ../shared/data (or the shipped demo corpus)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curriculum import load_demo_corpus

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _read(name: str, limit: int) -> list[dict[str, str]]:
    path = SHARED / f"{name}.jsonl"
    if not path.exists():  # outside the workplace: the shipped corpus holds the same real texts
        rows = [r for r in load_demo_corpus() if r["source"].startswith(name)]
        return rows[:limit]
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(limit), f, strict=False)]


@pytest.fixture(scope="session")
def fortunes() -> list[str]:
    """300 real passages of very varied difficulty."""
    return [r["text"] for r in _read("fortunes", 300)]


@pytest.fixture(scope="session")
def fortune_records() -> list[dict[str, str]]:
    """1,500 real fortunes (enough for every value concept to pick some up)."""
    return _read("fortunes", 1500)


@pytest.fixture(scope="session")
def debian() -> list[str]:
    """100 real technical paragraphs."""
    return [r["text"] for r in _read("debian-reference", 100)]


@pytest.fixture(scope="session")
def demo_records() -> list[dict[str, str]]:
    return load_demo_corpus()


@pytest.fixture(scope="session")
def demo_scores(demo_records: list[dict[str, str]]) -> np.ndarray:
    from curriculum import ReadabilityScorer

    return ReadabilityScorer().score([r["text"] for r in demo_records])
