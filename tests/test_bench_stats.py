"""Paired statistics of the benchmark: intervals, seeds better, steps to reach a loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from curriculum.bench import paired_difference, steps_to_reach
from curriculum.errors import InvalidValueError


def test_t_interval_equals_scipys_paired_t_test() -> None:
    a = np.array([3.10, 3.05, 3.20, 3.12, 3.08])
    b = np.array([3.15, 3.07, 3.26, 3.11, 3.16])
    d = paired_difference(a, b)
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert d["mean"] == pytest.approx((a - b).mean())
    assert (d["low"], d["high"]) == pytest.approx((ci.low, ci.high))
    assert d["better"] == 4 and d["n"] == 5
    assert d["differences"] == pytest.approx((a - b).tolist())


def test_better_follows_the_direction_of_the_metric() -> None:
    acc = paired_difference([0.9, 0.8, 0.7], [0.5, 0.85, 0.6], lower_is_better=False)
    assert acc["better"] == 2
    loss = paired_difference([0.9, 0.8, 0.7], [0.5, 0.85, 0.6])
    assert loss["better"] == 1


def test_bootstrap_interval_is_seeded_and_brackets_the_mean() -> None:
    gen = np.random.default_rng(3)
    a, b = gen.normal(1, 0.1, 8), gen.normal(1.05, 0.1, 8)
    one = paired_difference(a, b, method="bootstrap", seed=1)
    two = paired_difference(a, b, method="bootstrap", seed=1)
    assert one == two
    assert one["low"] <= one["mean"] <= one["high"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=2, max_size=12), st.floats(0.5, 0.99))
def test_the_t_interval_is_centred_on_the_mean(diffs: list[float], level: float) -> None:
    d = paired_difference(np.array(diffs), np.zeros(len(diffs)), confidence=level)
    assert d["low"] <= d["mean"] + 1e-12 and d["mean"] <= d["high"] + 1e-12
    assert d["mean"] - d["low"] == pytest.approx(d["high"] - d["mean"], abs=1e-9)


@pytest.mark.parametrize(
    ("values", "baseline", "kwargs", "message"),
    [
        ([1.0], [1.0], {}, "at least 2 seeds, but got 1; run more seeds"),
        ([1.0, 2.0], [1.0], {}, "paired (one per seed)"),
        ([1.0, np.nan], [1.0, 2.0], {}, "must be finite"),
        ([1.0, 2.0], [1.0, 2.5], {"method": "anova"}, "method must be 't' or 'bootstrap'"),
        ([1.0, 2.0], [1.0, 2.5], {"confidence": 1.0}, "confidence must be in (0, 1)"),
    ],
)
def test_bad_input_is_refused(values, baseline, kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        paired_difference(values, baseline, **kwargs)


def test_steps_to_reach_interpolates_between_evaluations() -> None:
    steps, losses = [0, 100, 200, 300], [5.0, 4.0, 3.0, 2.0]
    assert steps_to_reach(steps, losses, 3.5) == pytest.approx(150.0)
    assert steps_to_reach(steps, losses, 3.0) == pytest.approx(200.0)
    assert steps_to_reach(steps, losses, 6.0) == 0.0
    assert steps_to_reach(steps, losses, 1.9) is None
    # The first time the target is reached counts, even if the curve rises again.
    assert steps_to_reach([0, 10, 20], [3.0, 1.0, 4.0], 2.0) == pytest.approx(5.0)
    with pytest.raises(InvalidValueError, match="one length"):
        steps_to_reach([0, 1], [1.0], 0.5)
