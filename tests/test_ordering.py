"""Pure numpy ordering: invariants over many inputs (hypothesis), exact step stages, uniformity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curriculum.ordering import (
    curriculum_order,
    difficulty_rank,
    open_windows,
    rank_share,
    stratified_order,
    stratified_ranks,
)
from curriculum.pacing import Step, get_pacing

PACINGS = ["linear", "root", "geometric", "step", "constant"]


def _positions_in_rank(rank: np.ndarray) -> np.ndarray:
    pos = np.empty_like(rank)
    pos[rank] = np.arange(rank.size)
    return pos


@st.composite
def orderings(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 400))
    distinct = draw(st.booleans())
    scores = (
        np.random.default_rng(draw(st.integers(0, 99))).permutation(n).astype(float)
        if distinct
        else np.asarray(draw(st.lists(st.sampled_from([0.0, 1.0, 2.5]), min_size=n, max_size=n)))
    )
    return {
        "scores": scores,
        "pacing": draw(st.sampled_from(PACINGS)),
        "c0": draw(st.sampled_from([None, 0.01, 0.3])),
        "num_samples": draw(st.sampled_from([None, max(1, n // 3), 3 * n])),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "epoch": draw(st.integers(0, 4)),
        "max_blocks": draw(st.sampled_from([1, 7, 512])),
        "reverse": draw(st.booleans()),
    }


def _order(case: dict) -> tuple[np.ndarray, np.ndarray]:
    c0 = None if case["pacing"] == "constant" else case["c0"]
    pacing = get_pacing(case["pacing"], c0=c0)
    rank = difficulty_rank(case["scores"], seed=case["seed"], reverse=case["reverse"])
    order = curriculum_order(
        rank,
        pacing,
        num_samples=case["num_samples"],
        seed=case["seed"],
        epoch=case["epoch"],
        max_blocks=case["max_blocks"],
    )
    return rank, order


@settings(max_examples=300, deadline=None)
@given(orderings())
def test_every_index_exactly_once_per_epoch(case: dict) -> None:
    _, order = _order(case)
    assert sorted(order.tolist()) == list(range(case["scores"].size))


@settings(max_examples=300, deadline=None)
@given(orderings())
def test_nothing_is_drawn_before_the_pacing_opens_it(case: dict) -> None:
    """Rank position < what the pacing opens at that point, or the end of its block when the
    window had to widen to keep exactly-once (documented in curriculum.ordering)."""
    rank, order = _order(case)
    n = rank.size
    num_samples = case["num_samples"] or n
    pacing = get_pacing(case["pacing"], c0=None if case["pacing"] == "constant" else case["c0"])
    bounds, _, _ = open_windows(
        n, pacing, num_samples=num_samples, epoch=case["epoch"], max_blocks=case["max_blocks"]
    )
    i = np.arange(n)
    progress = (case["epoch"] * n + i) / num_samples
    opened = np.where(progress >= 1, n, np.ceil(pacing(progress) * n - 1e-6))
    block_end = bounds[np.searchsorted(bounds, i, side="right")]
    allowed = np.maximum(opened, block_end)
    assert np.all(_positions_in_rank(rank)[order] < allowed)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(50, 2000),
    st.sampled_from(["linear", "root", "geometric", "step"]),
    st.integers(0, 2**31),
    st.integers(1, 3),
)
def test_easy_before_hard(n: int, pacing: str, seed: int, epochs: int) -> None:
    """Over a curriculum of one or more epochs, the first tenth emitted is easier on average
    than the last tenth."""
    scores = np.random.default_rng(seed).permutation(n).astype(float)
    rank = difficulty_rank(scores, seed=seed)
    emitted = np.concatenate(
        [
            curriculum_order(rank, get_pacing(pacing), num_samples=epochs * n, seed=seed, epoch=e)
            for e in range(epochs)
        ]
    )
    tenth = emitted.size // 10
    assert scores[emitted[:tenth]].mean() < scores[emitted[-tenth:]].mean()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=1, max_size=6), st.integers(0, 2**31))
def test_step_stages_following_groups_have_zero_violations(sizes: list[int], seed: int) -> None:
    """Stages sized like the groups (e.g. concept depths): no sample of group d+1 before all of
    group d have been emitted."""
    n = sum(sizes)
    group = np.repeat(np.arange(len(sizes)), sizes)
    scores = np.random.default_rng(seed).permutation(group).astype(float)
    cum = np.cumsum(sizes) / n
    pacing = Step(levels=cum.tolist(), boundaries=cum[:-1].tolist())
    order = curriculum_order(difficulty_rank(scores, seed=seed), pacing, seed=seed)
    emitted = scores[order]
    assert np.all(np.diff(emitted) >= 0), "a later group was emitted before an earlier one ended"


def test_draws_are_uniform_over_the_open_unseen_pool() -> None:
    """n=3, 2 of 3 open for the first draw, all open after: the sample left over from the first
    window competes equally with the newly opened one (P = 1/2 each at position 1)."""
    pacing = Step(levels=[2 / 3, 1.0], boundaries=[1 / 3])
    rank = np.arange(3)
    first = np.zeros(3)
    second = np.zeros(3)
    trials = 4000
    for seed in range(trials):
        order = curriculum_order(rank, pacing, seed=seed)
        first[order[0]] += 1
        second[order[1]] += 1
    np.testing.assert_allclose(first / trials, [0.5, 0.5, 0.0], atol=0.04)
    np.testing.assert_allclose(second / trials, [0.25, 0.25, 0.5], atol=0.04)


def test_deterministic_for_seed_and_epoch_and_varies_otherwise() -> None:
    scores = np.random.default_rng(0).random(5000)
    rank = difficulty_rank(scores, seed=7)
    pace = get_pacing("root")
    a = curriculum_order(rank, pace, seed=7, epoch=0)
    np.testing.assert_array_equal(a, curriculum_order(rank, pace, seed=7, epoch=0))
    assert not np.array_equal(a, curriculum_order(rank, pace, seed=7, epoch=1))
    assert not np.array_equal(a, curriculum_order(rank, pace, seed=8, epoch=0))


def test_global_rng_is_neither_used_nor_disturbed() -> None:
    scores = np.random.default_rng(0).random(1000)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = curriculum_order(difficulty_rank(scores, seed=1), get_pacing("root"), seed=1)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    np.random.seed(999)
    b = curriculum_order(difficulty_rank(scores, seed=1), get_pacing("root"), seed=1)
    np.testing.assert_array_equal(a, b)


def test_after_the_curriculum_epochs_are_plain_shuffles() -> None:
    n = 20000
    scores = np.arange(n, dtype=float)
    rank = difficulty_rank(scores, seed=0)
    order = curriculum_order(rank, get_pacing("root", c0=0.01), num_samples=n, seed=0, epoch=1)
    tenth = n // 10
    assert abs(scores[order[:tenth]].mean() - n / 2) < 0.05 * n
    assert abs(scores[order[-tenth:]].mean() - n / 2) < 0.05 * n


def test_curriculum_over_several_epochs_continues_progress() -> None:
    n = 2000
    scores = np.arange(n, dtype=float)
    rank = difficulty_rank(scores, seed=0)
    pace = get_pacing("linear", c0=0.1)
    means = [
        scores[curriculum_order(rank, pace, num_samples=3 * n, epoch=e)[: n // 10]].mean()
        for e in range(4)
    ]
    assert means[0] < means[1] < means[2]
    assert abs(means[3] - n / 2) < 0.1 * n  # epoch 3 is past the curriculum


def test_ties_are_broken_randomly_per_seed() -> None:
    scores = np.zeros(100)
    assert not np.array_equal(difficulty_rank(scores, seed=0), np.arange(100))
    assert not np.array_equal(difficulty_rank(scores, seed=0), difficulty_rank(scores, seed=1))


def test_reverse_ranks_hardest_first() -> None:
    scores = np.array([3.0, 1.0, 2.0])
    assert difficulty_rank(scores, reverse=True).tolist() == [0, 2, 1]
    assert difficulty_rank(scores).tolist() == [1, 2, 0]


def test_slow_pacing_widens_the_window_and_keeps_exactly_once() -> None:
    """Geometric pacing opens fewer samples than one epoch draws: the window widens to the end of
    each block, so every sample still comes exactly once, and each widened block takes the next
    slice of the ranking, in random order within the block (not strictly easiest-first)."""
    n = 5000
    rank = difficulty_rank(np.arange(n, dtype=float), seed=0)
    pacing = get_pacing("geometric", c0=0.01)
    order = curriculum_order(rank, pacing, seed=0)
    assert sorted(order.tolist()) == list(range(n))
    bounds, opened, window = open_windows(n, pacing, num_samples=n)
    widened = np.flatnonzero(window > opened)
    assert widened.size > len(bounds) // 2
    consecutive = [k for k in widened if k - 1 in set(widened.tolist())]
    assert consecutive
    shuffled = 0
    for k in consecutive:  # everything before was drawn: the pool is the next slice of the ranking
        lo, hi = bounds[k], bounds[k + 1]
        assert sorted(order[lo:hi].tolist()) == list(range(lo, hi))
        shuffled += order[lo:hi].tolist() != list(range(lo, hi))
    assert shuffled > len(consecutive) // 2  # within a block: a shuffle


def test_open_windows_invariants() -> None:
    n = 1000
    bounds, opened, window = open_windows(n, get_pacing("geometric", c0=0.01), num_samples=n)
    assert bounds[0] == 0 and bounds[-1] == n
    assert np.all(window >= bounds[1:]) and np.all(np.diff(window) >= 0) and window[-1] == n
    assert np.any(window > opened), "geometric pacing is slower than consumption: widened"


@pytest.mark.parametrize(("n", "replicas"), [(7, 3), (10, 4), (2, 5), (1, 3)])
def test_padding_repeats_the_last_samples_so_ranks_end_hard(n: int, replicas: int) -> None:
    order = np.arange(n)  # easiest first
    shares = [rank_share(order, replicas, r) for r in range(replicas)]
    padded = np.stack(shares, axis=1).ravel()
    tail = padded[n:]
    assert tail.size == (-n) % replicas
    assert set(tail.tolist()) <= set(order[-max(1, tail.size) :].tolist())
    for share in shares:  # every rank's share stays easy-to-hard, padding included
        assert np.all(np.diff(share) >= 0) or share.size <= 1 or n < replicas


@pytest.mark.parametrize("n", [1, 2, 7, 10, 11])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_rank_shares_are_disjoint_and_cover(n: int, replicas: int, drop_last: bool) -> None:
    order = np.random.default_rng(n).permutation(n)
    shares = [rank_share(order, replicas, r, drop_last=drop_last) for r in range(replicas)]
    sizes = {s.size for s in shares}
    assert len(sizes) == 1
    merged = np.concatenate(shares)
    if drop_last:
        assert len(set(merged.tolist())) == merged.size == (n // replicas) * replicas
    else:
        assert set(merged.tolist()) == set(range(n))
        assert merged.size == -(-n // replicas) * replicas
    interleaved = np.stack(shares, axis=1).ravel() if shares[0].size else merged
    np.testing.assert_array_equal(interleaved[: min(n, merged.size)], order[: min(n, merged.size)])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(1, 80), min_size=1, max_size=5),
    st.sampled_from(PACINGS),
    st.integers(0, 2**31),
    st.integers(0, 2),
)
def test_strata_interleave_in_proportion_and_keep_their_own_curriculum(
    sizes: list[int], pacing: str, seed: int, epoch: int
) -> None:
    n = sum(sizes)
    rng = np.random.default_rng(seed)
    strata = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    scores = rng.random(n)
    pace = get_pacing(pacing)
    ranks = stratified_ranks(scores, strata, seed=seed)
    order = stratified_order(ranks, pace, seed=seed, epoch=epoch)
    assert sorted(order.tolist()) == list(range(n))
    labels = strata[order]
    for k, size in enumerate(sizes):
        prefix = np.cumsum(labels == k)
        expected = np.arange(1, n + 1) * size / n
        assert np.all(np.abs(prefix - expected) < 1 + len(sizes) * size / n)
        own = curriculum_order(
            ranks[k],
            pace,
            num_samples=max(1, round(n * size / n)),
            seed=seed,
            epoch=epoch,
            stream=(k,),
        )
        np.testing.assert_array_equal(order[labels == k], own)


# -- the ranking at scale: packed 64-bit keys, two tie-breakers ---------------------------------


def _inversions_are_close(scores: np.ndarray, rank: np.ndarray, reverse: bool = False) -> None:
    """Every pair out of order in ``rank`` is closer than the documented relative precision."""
    n = scores.shape[0]
    bits = max(1, (n - 1).bit_length())
    v = -scores[rank] if reverse else scores[rank]
    a, b = v[:-1], v[1:]
    bad = a > b
    tol = 2.0 ** (bits - 52) * np.maximum(np.abs(a), np.abs(b))
    subnormal = np.maximum(np.abs(a), np.abs(b)) < np.finfo(np.float64).tiny
    assert np.all(~bad | (a - b <= tol) | subnormal)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True), min_size=1
    ),
    reverse=st.booleans(),
    hashed=st.booleans(),
    wide=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_rank_is_a_sort_up_to_the_stated_precision(
    values: list[float], reverse: bool, hashed: bool, wide: bool, seed: int
) -> None:
    from curriculum.ordering import _rank

    scores = np.asarray(values, dtype=np.float64)
    dtype = np.int64 if wide else None
    rank = _rank(scores, np.random.default_rng(seed), reverse=reverse, hashed=hashed, dtype=dtype)
    assert rank.dtype == (np.int64 if wide else np.int32)
    assert np.array_equal(np.sort(rank), np.arange(scores.size))
    if hashed:
        _inversions_are_close(scores, rank, reverse)
    else:  # the permutation path is an exact sort
        v = -scores[rank] if reverse else scores[rank]
        assert np.all(v[:-1] <= v[1:])


def test_rank_orders_scores_further_apart_than_the_precision_exactly() -> None:
    # Neighbours 1 part in 1e6 apart at N = 2**20 (precision 2**-32 = 2.3e-10): exact.
    n = 1 << 20
    scores = 1.0 + np.random.default_rng(0).permutation(n) * 1e-6
    for hashed in (False, True):
        from curriculum.ordering import _rank

        rank = _rank(scores, np.random.default_rng(1), reverse=False, hashed=hashed)
        assert np.array_equal(rank, np.argsort(scores))


@pytest.mark.parametrize("continuous", [False, True])
def test_below_the_threshold_ties_follow_a_random_permutation(continuous: bool) -> None:
    # The documented model: a stable sort of the scores taken in a random permutation's order,
    # exact to the last bit (continuous scores at 2**20 have neighbours closer than 2**-32).
    from curriculum._streams import Stream, rng

    gen = np.random.default_rng(0)
    scores = gen.random(1 << 20) if continuous else np.round(gen.gamma(4.0, 2.0, 20_000), 1)
    for reverse in (False, True):
        perm = np.arange(scores.size, dtype=np.int32)
        rng(5, Stream.RANK).shuffle(perm)
        keys = -scores[perm] if reverse else scores[perm]
        expected = perm[np.argsort(keys, kind="stable")]
        assert np.array_equal(difficulty_rank(scores, seed=5, reverse=reverse), expected)


def test_orders_of_real_scores_are_pinned() -> None:
    # Fingerprints of the orders before the ranking was rewritten (packed keys, scatter by
    # chunk), on the shipped corpus: saved states and the committed benchmark results depend on
    # them not changing.
    from curriculum import load_demo_corpus
    from curriculum.fingerprint import fingerprint_array

    words = np.array([len(r["text"].split()) for r in load_demo_corpus()], dtype=float)
    pinned = {
        "rank-revFalse": "c4e82a12f4362d31bba4f5b5aa6d4eb5",
        "rank-revTrue": "a7b43eba3b3f4c96f288824be62974d8",
        "root-0": "1dff9e37dc13ce39b164a0813c3a3054",
        "root-1": "2820445c58b81cfeb41cb26325f8e7bf",
        "geometric-0": "fe9af8e9df5af2156420482063354269",
        "geometric-1": "02c25a268b190b1f24185d10c3a4ab2a",
        "step-0": "24cb5503c1c253d005a53ab7063af7eb",
        "step-1": "9e949452c27e8663fc8fc3c8c6cd5ca6",
    }
    got = {
        f"rank-rev{rev}": fingerprint_array(difficulty_rank(words, seed=3, reverse=rev))
        for rev in (False, True)
    }
    rank = difficulty_rank(words, seed=3)
    for name in ("root", "geometric", "step"):
        for epoch in (0, 1):
            order = curriculum_order(
                rank, get_pacing(name), seed=3, epoch=epoch, num_samples=2 * words.size
            )
            got[f"{name}-{epoch}"] = fingerprint_array(order)
    assert got == pinned


def test_hashed_ties_are_uniform_and_seeded() -> None:
    from curriculum.ordering import _rank

    n, trials = 12, 3000
    where = np.zeros((n, n))
    for seed in range(trials):
        rank = _rank(np.zeros(n), np.random.default_rng(seed), reverse=False, hashed=True)
        where[rank, np.arange(n)] += 1
    expected = trials / n
    # Each index at each place: binomial(3000, 1/12), sd 15; 6 sd is far beyond chance.
    assert np.abs(where - expected).max() < 6 * np.sqrt(expected * (1 - 1 / n))
    a = _rank(np.zeros(1000), np.random.default_rng(0), reverse=False, hashed=True)
    b = _rank(np.zeros(1000), np.random.default_rng(1), reverse=False, hashed=True)
    assert not np.array_equal(a, b)
    assert not np.array_equal(a, np.arange(1000))


def test_index_hash_is_a_bijection_with_an_exact_inverse() -> None:
    from curriculum.ordering import _IndexHash

    for bits in (1, 2, 5, 17):
        h = _IndexHash(bits, np.random.default_rng(bits))
        x = np.arange(1 << bits, dtype=np.uint64)
        y = h.forward(x.copy())
        assert np.array_equal(np.sort(y), x)
        assert np.array_equal(h.inverse(y.copy()), x)


def test_difficulty_rank_uses_the_hash_above_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    import curriculum.ordering as ordering

    scores = np.zeros(5000)
    monkeypatch.setattr(ordering, "PERMUTATION_MAX", 4999)
    hashed = difficulty_rank(scores, seed=2)
    expected = ordering._rank(scores, np.random.default_rng([2, 0]), reverse=False, hashed=True)
    assert np.array_equal(hashed, expected)
    monkeypatch.setattr(ordering, "PERMUTATION_MAX", 5000)
    assert not np.array_equal(difficulty_rank(scores, seed=2), hashed)


def test_rank_memory_above_the_threshold_is_the_keys() -> None:
    """The docstring's memory: 8 B/sample of keys, then the int32 result in half of them."""
    import tracemalloc

    from curriculum.ordering import _rank

    n = 1 << 21
    scores = np.random.default_rng(0).random(n)
    tracemalloc.start()
    tracemalloc.reset_peak()
    rank = _rank(scores, np.random.default_rng(0), reverse=False, hashed=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    budget = 8 * n + 8 * 8 * (1 << 16)  # plus a few chunks of temporaries
    assert peak <= budget, peak / n
    assert rank.dtype == np.int32 and rank.nbytes == 4 * n
    assert rank.base is not None and rank.base.nbytes == 4 * n  # half of the keys given back
