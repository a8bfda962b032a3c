"""Learning-rate schedules of the benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from curriculum.bench import SCHEDULES, get_schedule
from curriculum.errors import InvalidValueError


def factors(name: str, total: int = 1000) -> np.ndarray:
    return np.array([get_schedule(name).factor(s, total) for s in range(total)])


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_every_schedule_warms_up_linearly_to_the_peak(name: str) -> None:
    f = factors(name)
    assert f[:50] == pytest.approx(np.arange(1, 51) / 50)
    assert f.max() == pytest.approx(1.0) and (f >= 0).all()


def test_shapes_after_the_warmup() -> None:
    cos, wsd, const, avg = (factors(n) for n in ("cosine", "wsd", "constant", "decay_avg"))
    assert cos[-1] < 1e-4 and (np.diff(cos[50:]) <= 1e-12).all()
    assert (wsd[50:800] == 1.0).all() and wsd[-1] < 0.01
    assert (np.diff(wsd[800:]) < 0).all()  # linear decay over the last 20%
    assert (const[50:] == 1.0).all()
    assert avg[-1] == pytest.approx(0.1, abs=1e-4) and avg[50:].min() >= 0.1 - 1e-9


def test_decay_avg_averages_five_snapshots_over_the_last_fifth() -> None:
    snaps = get_schedule("decay_avg").snapshots(1000)
    assert snaps == [840, 880, 920, 960, 1000]
    assert get_schedule("cosine").snapshots(1000) == []
    assert get_schedule("decay_avg").snapshots(3)[-1] == 3


def test_unknown_schedule_is_refused_with_the_list() -> None:
    with pytest.raises(InvalidValueError, match="unknown name 'linear'; choose from cosine, wsd"):
        get_schedule("linear")
