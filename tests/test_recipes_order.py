"""The recipe order as pure numpy: floor in every sliding window (globally and per rank)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curriculum._streams import Stream, rng
from curriculum.pacing import get_pacing
from curriculum.recipes.order import Kind, RecipeOrder, insert_floor, recipe_order, sliding_minimum


def _all_windows_min(hits: np.ndarray, window: int) -> int | None:
    """Brute force: the fewest hits over every sliding window."""
    if hits.size < window:
        return None
    return min(int(hits[i : i + window].sum()) for i in range(hits.size - window + 1))


@given(st.lists(st.booleans(), max_size=60), st.integers(1, 12))
def test_sliding_minimum_is_the_brute_force_minimum(bits: list[bool], window: int) -> None:
    hits = np.array(bits, dtype=bool)
    assert sliding_minimum(hits, window) == _all_windows_min(hits, window)


def _queue(n: int, floor_share: float, seed: int) -> tuple[RecipeOrder, np.ndarray]:
    gen = np.random.default_rng(seed)
    is_floor = gen.random(n) < floor_share
    indices = gen.permutation(n).astype(np.int64)
    phase = np.sort(gen.integers(0, 3, n)).astype(np.int64)
    return RecipeOrder(indices, phase, np.zeros(n, dtype=np.int64)), is_floor


@settings(max_examples=120, deadline=None)
@given(
    n=st.integers(1, 400),
    floor_share=st.sampled_from([0.0, 0.01, 0.05, 0.3, 0.9]),
    window=st.integers(2, 40),
    need_share=st.floats(0.01, 0.95),
    replicas=st.integers(1, 7),
    pad=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_every_sliding_window_holds_the_floor_globally_and_on_every_rank(
    n: int,
    floor_share: float,
    window: int,
    need_share: float,
    replicas: int,
    pad: bool,
    seed: int,
) -> None:
    need = min(window - 1, max(1, math.ceil(need_share * window)))
    order, is_floor = _queue(n, floor_share, seed)
    is_floor[seed % n] = True  # at least one floor text exists
    out = insert_floor(
        order,
        is_floor,
        need=need,
        window=window,
        num_replicas=replicas,
        pad=pad,
        gen=rng(seed, Stream.FLOOR, 0),
    )
    hits = is_floor[out.indices]
    for seq in [hits, *(hits[r::replicas] for r in range(replicas))]:
        worst = _all_windows_min(seq, window)
        assert worst is None or worst >= need
    # Nothing of the queue is lost or reordered; only floor repeats are added, in phase order.
    natural = out.kind != Kind.FLOOR
    assert np.array_equal(out.indices[natural], order.indices)
    assert np.all(is_floor[out.indices[~natural]])
    assert np.all(np.diff(out.phase) >= 0)
    if pad:
        assert out.indices.size % replicas == 0


def test_repeats_are_only_inserted_where_needed() -> None:
    # A queue that already has a floor text every 10 positions needs no repeat for 1 in 10.
    n = 200
    is_floor = np.zeros(n, dtype=bool)
    is_floor[::10] = True
    order = RecipeOrder(np.arange(n), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64))
    out = insert_floor(order, is_floor, need=1, window=10, gen=rng(0, Stream.FLOOR, 0))
    assert out.indices.size == n and not np.any(out.kind == Kind.FLOOR)
    # Aligned windows would accept 1 floor text at the start of one block and at the end of the
    # next (a gap of 18); every sliding window needs the gap to stay below 10.
    is_floor[:] = False
    is_floor[[0, 19, 20, 39]] = True
    out = insert_floor(order, is_floor, need=1, window=10, gen=rng(0, Stream.FLOOR, 0))
    assert sliding_minimum(is_floor[out.indices], 10) == 1
    assert (out.kind == Kind.FLOOR).sum() > 0


def test_an_impossible_floor_is_refused() -> None:
    order = RecipeOrder(np.arange(5), np.zeros(5, dtype=np.int64), np.zeros(5, dtype=np.int64))
    with pytest.raises(ValueError, match=r"a floor of 10 in every 10 samples leaves no room"):
        insert_floor(order, np.ones(5, dtype=bool), need=10, window=10, gen=rng(0, Stream.FLOOR, 0))


def test_recipe_order_is_a_pure_function_of_arrays() -> None:
    pools = [np.arange(0, 30), np.arange(30, 100)]
    keys = [np.linspace(0, 1, 30), np.linspace(1, 0, 70)]
    pacings = [get_pacing("root"), get_pacing("linear")]
    floor = np.zeros(100, dtype=bool)
    floor[:30] = True
    args = (pools, keys, pacings, [30, 70], [0, 10])
    kwargs = {"floor_mask": floor, "floor_need": 2, "floor_window": 20, "seed": 3, "epoch": 1}
    a, b = recipe_order(*args, **kwargs), recipe_order(*args, **kwargs)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    c = recipe_order(*args, **{**kwargs, "epoch": 2})
    assert not np.array_equal(a.indices, c.indices)
    own = a.indices[a.kind == Kind.OWN]
    assert sorted(own.tolist()) == list(range(100))
    assert np.all(a.indices[a.kind == Kind.REPLAY] < 30)  # replays come from phase 0
    assert set(a.kind_names()) <= {"own", "replay", "floor"}
    assert sliding_minimum(floor[a.indices], 20) >= 2


def test_orders_and_recipe_plans_run_without_torch() -> None:
    """The ordering logic is pure numpy: with torch unimportable, plans and orders still work."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError(name + " is blocked")

        sys.meta_path.insert(0, Block())
        import curriculum
        from curriculum import example_recipe, load_demo_corpus

        plan = example_recipe("model_spec_midtraining").plan(load_demo_corpus()[:600])
        order = plan.order(0, num_replicas=3)
        assert order.indices.size % 3 == 0 and "torch" not in sys.modules
        try:
            curriculum.CurriculumSampler
        except ImportError:
            print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_an_empty_queue_stays_empty() -> None:
    empty = RecipeOrder(*(np.zeros(0, dtype=np.int64) for _ in range(3)))
    out = insert_floor(
        empty,
        np.ones(3, dtype=bool),
        need=1,
        window=5,
        num_replicas=2,
        pad=True,
        gen=rng(0, Stream.FLOOR, 0),
    )
    assert out.indices.size == 0
