"""SeqLenWarmup: DeepSpeed's schedules, rounding, truncate and split, state, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from curriculum import SeqLenWarmup
from curriculum.pacing import get_pacing


def _deepspeed(step: int, total: int, lo: int, hi: int, root: int, every: int) -> int:
    """DeepSpeed's fixed_root difficulty (fixed_linear is root 1), as in its scheduler."""
    value = (float(step) / total) ** (1.0 / root)
    value = math.floor(value * (hi - lo) + lo)
    value -= value % every
    return min(value, hi)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 200),
    st.sampled_from([8, 64]),
    st.sampled_from([128, 1024, 2048]),
    st.sampled_from([1, 2, 3]),
    st.integers(0, 250),
)
def test_matches_deepspeed_fixed_linear_and_fixed_root(
    total: int, lo: int, hi: int, root: int, step: int
) -> None:
    schedule = "fixed_linear" if root == 1 else "fixed_root"
    warmup = SeqLenWarmup(hi, total_steps=total, min_length=lo, schedule=schedule, root_degree=root)
    expected = _deepspeed(min(step, total), total, lo, hi, root, 8)
    assert warmup.length(step) == expected
    assert warmup.length(step) % 8 == 0 and lo <= warmup.length(step) <= hi
    if step >= total:
        assert warmup.length(step) == hi


def test_any_pacing_gives_the_share_and_lengths_never_shrink() -> None:
    warmup = SeqLenWarmup(512, total_steps=100, schedule=get_pacing("root", c0=0.01))
    lengths = [warmup.length(s) for s in range(0, 120, 5)]
    assert lengths == sorted(lengths) and lengths[-1] == 512 and lengths[0] == 8
    assert all(n % 8 == 0 for n in lengths)
    custom = SeqLenWarmup(64, total_steps=10, schedule=lambda t: t**2, min_length=16)
    assert [custom.length(s) for s in (0, 5, 10)] == [16, 24, 64]


def _batch(rows: int = 3, width: int = 20) -> dict[str, torch.Tensor]:
    ids = torch.arange(rows * width).reshape(rows, width) + 1
    return {
        "input_ids": ids,
        "labels": ids.clone(),
        "attention_mask": torch.ones_like(ids),
        "position_ids": torch.arange(width).repeat(rows, 1),
        "weight": torch.tensor(2.0),
    }


def test_truncate_keeps_the_first_tokens_of_every_sequence_tensor() -> None:
    out = SeqLenWarmup(32, total_steps=10)(_batch(), step=0)  # length 8 at step 0
    assert out["input_ids"].shape == out["labels"].shape == out["attention_mask"].shape == (3, 8)
    assert torch.equal(out["input_ids"], _batch()["input_ids"][:, :8])
    assert out["weight"] == 2.0  # non-sequence entries pass through
    assert SeqLenWarmup(32, total_steps=10)(_batch(), step=10)["input_ids"].shape == (3, 20)


def test_split_keeps_every_token_and_restarts_positions() -> None:
    batch = _batch()
    out = SeqLenWarmup(32, total_steps=10, mode="split", pad_id=0)(batch, step=0)
    assert out["input_ids"].shape == (9, 8)  # 20 tokens -> 3 pieces of 8 per row
    mask = out["attention_mask"].bool()
    assert out["input_ids"][mask].tolist() == batch["input_ids"].flatten().tolist()
    assert (out["labels"][~mask] == -100).all() and (out["input_ids"][~mask] == 0).all()
    pieces = out["position_ids"][:3].tolist()
    assert pieces == [list(range(8)), list(range(8)), [0, 1, 2, 3, 0, 0, 0, 0]]  # each from 0


def test_split_position_ids_of_packed_blocks_restart_per_piece() -> None:
    positions = torch.tensor([[0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]])
    batch = {"input_ids": torch.ones_like(positions), "position_ids": positions}
    out = SeqLenWarmup(16, total_steps=4, mode="split")(batch, step=0)
    assert out["position_ids"].tolist() == [[0, 1, 2, 3, 4, 5, 0, 1], [0, 1, 2, 3, 4, 5, 6, 7]]


def test_step_counter_and_state_round_trip() -> None:
    warmup = SeqLenWarmup(64, total_steps=8)
    for _ in range(4):
        warmup.step()
    assert warmup.length() == warmup.length(4) == 32
    again = SeqLenWarmup(64, total_steps=8)
    again.load_state_dict(warmup.state_dict())
    assert again.steps == 4 and again.length() == 32
    with pytest.raises(ValueError, match=r"total_steps: saved 8, this warm-up 9"):
        SeqLenWarmup(64, total_steps=9).load_state_dict(warmup.state_dict())
    with pytest.raises(TypeError, match=r"state_dict must be a dict"):
        again.load_state_dict([1])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_length": 0, "total_steps": 1}, ValueError, r"max_length must be an integer >= 1"),
        ({"max_length": 8, "total_steps": 0}, ValueError, r"total_steps must be an integer >= 1"),
        (
            {"max_length": 8, "total_steps": 5, "min_length": 16},
            ValueError,
            r"min_length=16 exceeds max_length=8",
        ),
        ({"max_length": 8, "total_steps": 5, "schedule": "cosine"}, ValueError, r"schedule must"),
        ({"max_length": 8, "total_steps": 5, "schedule": 3}, TypeError, r"schedule must be"),
        ({"max_length": 8, "total_steps": 5, "mode": "drop"}, ValueError, r"mode must be"),
    ],
)
def test_bad_settings_get_clear_errors(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        SeqLenWarmup(**kwargs)


def test_bad_batches_and_schedules_get_clear_errors() -> None:
    warmup = SeqLenWarmup(16, total_steps=4)
    with pytest.raises(TypeError, match=r"batch must be a mapping of tensors"):
        warmup([[1, 2]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"batch\['input_ids'\] must be a 2-D tensor"):
        warmup({"input_ids": torch.ones(3)})
    broken = SeqLenWarmup(16, total_steps=4, schedule=lambda t: np.nan)
    with pytest.raises(ValueError, match=r"returned nan, not a number in \[0, 1\]"):
        broken.length(1)


def test_per_row_tensors_follow_the_split_and_odd_shapes_are_refused() -> None:
    batch = {**_batch(rows=2, width=20), "row_label": torch.tensor([5, 6])}
    batch["token_type_ids"] = torch.ones(2, 20, dtype=torch.long)
    batch["inputs_embeds"] = torch.randn(2, 20, 4)
    out = SeqLenWarmup(32, total_steps=10, mode="split")(batch, step=0)
    assert out["row_label"].tolist() == [5, 5, 5, 6, 6, 6]
    assert out["inputs_embeds"].shape == (6, 8, 4)
    mask = out["attention_mask"].bool()
    assert (out["token_type_ids"][~mask] == 0).all()  # a valid embedding index, not -1
    truncated = SeqLenWarmup(32, total_steps=10)(batch, step=0)
    assert truncated["row_label"].tolist() == [5, 6] and truncated["inputs_embeds"].shape == (
        2,
        8,
        4,
    )
    with pytest.raises(ValueError, match=r"batch\['labels'\] has shape \(2, 19\)"):
        SeqLenWarmup(32, total_steps=10)({**_batch(2), "labels": torch.ones(2, 19)}, step=0)
    with pytest.raises(ValueError, match=r"build masks of shape \(batch, 1, sequence, sequence\)"):
        SeqLenWarmup(32, total_steps=10)({**_batch(2), "mask": torch.ones(2, 20, 20)}, step=0)


def test_a_callable_schedule_resumes_by_name_and_bad_values_are_refused() -> None:
    a = SeqLenWarmup(64, total_steps=8, schedule=lambda t: t)
    b = SeqLenWarmup(64, total_steps=8, schedule=lambda t: t)  # a new process: another object
    b.load_state_dict(a.state_dict())
    for bad in (None, "x", [0.1, 0.2]):
        warmup = SeqLenWarmup(64, total_steps=8, schedule=lambda t, bad=bad: bad)
        with pytest.raises(ValueError, match=r"not a number in \[0, 1\]"):
            warmup.length(1)
    with pytest.raises(TypeError, match=r"step must be an integer, but got step='3'"):
        a.length("3")  # type: ignore[arg-type]
