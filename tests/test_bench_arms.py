"""The benchmark's arms: each is the library's own sampler, one pass each sample once."""

from __future__ import annotations

import numpy as np
import pytest

from curriculum.bench import ARMS, Arm, parse_arms
from curriculum.errors import InvalidValueError

N = 97


@pytest.fixture(scope="module")
def scores() -> np.ndarray:
    return np.random.default_rng(0).normal(size=N)


def levels_of(scores: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.quantile(scores, [1 / 3, 2 / 3]), scores, side="right")


def order(arm: str, scores: np.ndarray, seed: int = 0) -> np.ndarray:
    a = parse_arms(["random", arm])[1] if arm != "random" else Arm("random", 1.0)
    return np.array(list(a.sampler(scores, levels_of(scores), draws=N, seed=seed)))


@pytest.mark.parametrize("arm", ["random", "full", "warmup", "anti", "step", "seqlen"])
def test_each_arm_draws_every_sample_once_per_pass(arm: str, scores: np.ndarray) -> None:
    assert sorted(order(arm, scores)) == list(range(N))
    assert (order(arm, scores) == order(arm, scores)).all()  # deterministic from the seed
    assert not (order(arm, scores, seed=0) == order(arm, scores, seed=1)).all()


def test_curricula_go_the_way_they_say(scores: np.ndarray) -> None:
    third = N // 3
    mean = {a: scores[order(a, scores)] for a in ("random", "full", "anti", "warmup")}
    assert mean["full"][:third].mean() < mean["full"][-third:].mean()
    assert mean["anti"][:third].mean() > mean["anti"][-third:].mean()
    assert mean["warmup"][:10].mean() < mean["random"][:10].mean()
    lv = levels_of(scores)[order("step", scores)]
    assert (np.diff(lv) >= 0).all()  # each level in full before the next


def test_replay_repeats_earlier_levels_and_keeps_the_number_of_draws(scores: np.ndarray) -> None:
    lv = levels_of(scores)
    seq = order("replay", scores)
    assert seq.size == N
    counts = np.bincount(seq, minlength=N)
    assert counts[lv == 0].min() == 1  # the first level is drawn whole
    sizes = np.bincount(lv)
    extra = sum(round(0.2 * int(s)) for s in sizes[1:])
    assert (counts == 0).sum() == extra > 0  # as many left out as repeated
    assert (lv[counts == 0] > 0).all()  # only later levels give up samples
    # A repeat comes after every own draw of its level: it replays a level already finished.
    first = {int(i): p for p, i in reversed(list(enumerate(seq)))}
    done = {lvl: max(p for i, p in first.items() if lv[i] == lvl) for lvl in range(3)}
    repeats = [(p, int(i)) for p, i in enumerate(seq) if first[int(i)] != p]
    assert len(repeats) == extra
    assert all(p > done[int(lv[i])] for p, i in repeats)
    # Own draws of a level come after every own draw of the levels before it.
    first_seen: dict[int, int] = {}
    for pos, i in enumerate(seq):
        first_seen.setdefault(int(i), pos)
    own = sorted(first_seen, key=first_seen.get)  # type: ignore[arg-type]
    assert (np.diff(lv[own]) >= 0).all()


def test_parse_arms_names_and_parameters() -> None:
    arms = parse_arms("random, warmup:0.1 ,full,replay:0.3")
    assert [a.name for a in arms] == ["random", "warmup:0.1", "full", "replay:0.3"]
    assert arms[1] == Arm("warmup", 0.1) and parse_arms("random,warmup")[1].param == 0.2
    assert set(ARMS) == {"random", "full", "warmup", "anti", "step", "replay", "seqlen"}


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ("random,curriculum", "unknown arm 'curriculum'; choose from random, full, warmup"),
        ("warmup,full", "arms must include 'random'"),
        ("random,full:0.5", "arm 'full' takes no parameter"),
        ("random,warmup:x", "needs a number after ':', e.g. warmup:0.2"),
        ("random,warmup:0", r"the parameter must be in \(0, 1\]"),
        ("random,replay:1", r"the parameter must be in \(0, 1\)"),
        ("random,full,full", "lists 'full' twice"),
        ("random,warmup:0.1,warmup:0.10000001", "lists 'warmup:0.1' twice"),
        ("random,warmup:", "needs a number after ':'"),
        ("random,warmup:nan", "needs a number after ':'"),
        ("random", "holds only random"),
    ],
)
def test_bad_arms_are_refused(names: str, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        parse_arms(names)


def test_replay_keeps_one_own_sample_of_every_level_whatever_the_share() -> None:
    levels = np.array([0, 0, 1, 1, 2, 2, 2])
    (arm,) = [a for a in parse_arms("random,replay:0.999") if a.kind == "replay"]
    seq = np.array(list(arm.sampler(levels.astype(float), levels, draws=7, seed=0)))
    assert seq.size == 7
    for level in (1, 2):
        assert np.isin(np.flatnonzero(levels == level), seq).any()
