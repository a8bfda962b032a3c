from __future__ import annotations

import numpy as np
import pytest

from curriculum.pacing import PACINGS, FunctionPacing, Root, Step, get_pacing

T = np.linspace(0, 1, 101)


@pytest.mark.parametrize("name", sorted(PACINGS))
def test_named_pacings_are_monotone_within_bounds_and_reach_one(name: str) -> None:
    pace = get_pacing(name)
    c = pace(T)
    assert np.all((c > 0) & (c <= 1))
    assert np.all(np.diff(c) >= -1e-12)
    assert c[-1] == pytest.approx(1.0)


def test_root_matches_platanios_competence() -> None:
    c0 = 0.01
    pace = get_pacing("root", c0=c0)
    expected = np.sqrt(T * (1 - c0**2) + c0**2)
    np.testing.assert_allclose(pace(T), expected)
    assert float(pace(0.0)) == pytest.approx(c0)


def test_linear_geometric_and_constant_formulas() -> None:
    np.testing.assert_allclose(get_pacing("linear", c0=0.2)(T), 0.2 + 0.8 * T)
    np.testing.assert_allclose(get_pacing("geometric", c0=0.1)(T), 0.1 ** (1 - T))
    np.testing.assert_array_equal(get_pacing("constant")(T), np.ones_like(T))


def test_full_at_reaches_one_early_and_stays() -> None:
    pace = get_pacing("linear", c0=0.1, full_at=0.5)
    assert float(pace(0.5)) == pytest.approx(1.0)
    assert float(pace(0.9)) == 1.0
    assert float(pace(0.25)) == pytest.approx(0.55)


def test_step_has_equal_stages_and_breakpoints() -> None:
    pace = Step(stages=4)
    assert pace.levels == [0.25, 0.5, 0.75, 1.0]
    assert pace.breakpoints() == [0.25, 0.5, 0.75]
    assert float(pace(0.24)) == 0.25 and float(pace(0.25)) == 0.5 and float(pace(1.0)) == 1.0


def test_step_with_explicit_levels_and_boundaries() -> None:
    pace = Step(levels=[0.1, 0.6, 1.0], boundaries=[0.1, 0.6])
    assert [float(pace(t)) for t in (0.0, 0.1, 0.59, 0.6)] == [0.1, 0.6, 0.6, 1.0]


def test_callable_pacing_is_wrapped_and_checked() -> None:
    pace = get_pacing(lambda t: 0.5 + 0.5 * t)
    assert isinstance(pace, FunctionPacing)
    assert float(pace(0.5)) == pytest.approx(0.75)
    scalar_only = get_pacing(lambda t: min(1.0, 0.3 + float(t)))
    assert float(scalar_only(0.2)) == pytest.approx(0.5)


def test_spec_round_trips_equality() -> None:
    assert get_pacing("root", c0=0.2) == Root(c0=0.2)
    assert get_pacing("root", c0=0.2) != Root(c0=0.3)
    assert get_pacing("root").spec() == {"name": "root", "c0": 0.1, "full_at": 1.0, "p": 2.0}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"pacing": "cosine"}, ValueError, r"pacing must be one of .* but got pacing='cosine'"),
        ({"pacing": "root", "c0": 0.0}, ValueError, r"c0 must be in \(0, 1\], but got c0=0.0"),
        ({"pacing": "root", "c0": 1.5}, ValueError, r"c0 must be in \(0, 1\], but got c0=1.5"),
        ({"pacing": "linear", "c0": float("nan")}, ValueError, r"c0 must be in \(0, 1\]"),
        ({"pacing": "root", "c0": "0.1"}, TypeError, r"c0 must be a number"),
        ({"pacing": "root", "full_at": 0}, ValueError, r"full_at must be in \(0, 1\]"),
        ({"pacing": "step", "stages": 0}, ValueError, r"stages must be a positive integer"),
        ({"pacing": "constant", "c0": 0.5}, ValueError, r"c0 must be 1 for the constant pacing"),
        ({"pacing": "root", "stages": 3}, TypeError, r"invalid parameters for pacing='root'"),
        ({"pacing": 3}, TypeError, r"pacing must be a name, a Pacing or a callable"),
        (
            {"pacing": lambda t: 0.5 + 0.5 * t, "c0": 0.1},
            TypeError,
            r"a callable pacing takes only full_at, but got \['c0'\] for .*<lambda>; put c0",
        ),
        (
            {"pacing": lambda t: None},
            TypeError,
            r"pacing .*<lambda> must return a number \(the competence\), .* returned None",
        ),
    ],
)
def test_bad_pacing_arguments_are_named(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        get_pacing(**kwargs)


def test_callable_that_decreases_or_leaves_bounds_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must be non-decreasing, but got pacing\(0\.000\)=1"):
        get_pacing(lambda t: 1.0 - 0.5 * t)
    with pytest.raises(
        ValueError, match=r"must return competence in \(0, 1\], but got pacing\(0\.000\)=0"
    ):
        get_pacing(lambda t: t)
    with pytest.raises(ValueError, match=r"levels must be non-decreasing"):
        Step(levels=[0.5, 0.2, 1.0])
    with pytest.raises(ValueError, match=r"boundaries must be increasing values strictly inside"):
        Step(levels=[0.5, 1.0], boundaries=[1.0])


def test_step_for_groups_gives_one_stage_per_level() -> None:
    pace = Step.for_groups([2, 0, 0, 1, 0, 2, 2, 2])
    assert pace.levels == [3 / 8, 4 / 8, 1.0]
    assert pace.boundaries == [3 / 8, 4 / 8]
    with pytest.raises(ValueError, match=r"levels must be a non-empty 1-D array of finite numbers"):
        Step.for_groups([])
    assert pace.exhaustive and pace.spec()["exhaustive"] is True
    assert not Step(stages=3).exhaustive
    with pytest.raises(ValueError, match=r"levels must hold at least one competence value"):
        Step(levels=[])
    with pytest.raises(ValueError, match=r"an exhaustive Step must end with competence 1"):
        Step(levels=[0.5], exhaustive=True)
