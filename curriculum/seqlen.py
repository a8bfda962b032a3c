"""Sequence-length warm-up: short sequences first, the maximum length growing with training.

DeepSpeed's sequence-length curriculum (Li et al., 2022, "The Stability-Efficiency Dilemma")
trains GPT-style models on truncated sequences early on and lengthens them over a warm-up,
which was reported to allow 8x larger batches and 4x larger learning rates. Its schedules:

* ``fixed_linear``: ``length = min + (max - min) * t``,
* ``fixed_root``: ``length = min + (max - min) * t ** (1 / root_degree)``,

with ``t = step / total_steps`` clipped to 1, rounded down to a multiple of ``multiple_of``
(8 for tensor cores). Any :class:`~curriculum.pacing.Pacing` (or callable of progress) can give
``t`` instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from curriculum._validation import check_int
from curriculum.errors import InvalidTypeError, InvalidValueError
from curriculum.fingerprint import callable_name, differing_settings
from curriculum.pacing import Pacing

__all__ = ["SeqLenWarmup"]

_PADS = {
    "input_ids": None,
    "labels": -100,
    "attention_mask": 0,
    "position_ids": 0,
    "token_type_ids": 0,
}
_SCHEDULES = ("fixed_linear", "fixed_root")


class SeqLenWarmup:
    """Cut a batch's sequences to a maximum length that grows with the training step.

    Apply it to each collated batch in the training loop, with the optimizer step:
    ``batch = warmup(batch, step)`` (or ``warmup(batch)`` and ``warmup.step()`` after each
    optimizer step). It acts on the main process, where the step is known; a collate function
    runs in ``DataLoader`` workers, which do not know it. ``CurriculumTrainer(seqlen_warmup=...)``
    applies it for you and logs ``curriculum/seq_length``.

    Every tensor of shape ``(batch, sequence, ...)`` (``input_ids``, ``attention_mask``,
    ``labels``, ``position_ids``, ``document_ids``, ``inputs_embeds``, ...) is cut alike; other
    per-row tensors ``(batch,)`` follow their rows, other entries pass through, and a per-row
    tensor of another length, or a ``(batch, sequence, sequence)`` mask, is refused:

    * ``mode="truncate"`` keeps the first ``length`` tokens of each row (DeepSpeed's choice);
    * ``mode="split"`` cuts each row into rows of ``length`` tokens, so no token is dropped: the
      batch gets more, shorter rows, and the last piece of each row is padded (``pad_id``;
      ``labels`` with -100, ``attention_mask``, ``position_ids`` and ``token_type_ids`` with 0,
      others with -1). ``position_ids`` of a piece that starts inside a document restart at 0. A
      right-padded row can give pieces of padding only (mask 0, labels -100).

    Args:
        max_length: the full sequence length, reached at ``total_steps``.
        total_steps: optimizer steps of the warm-up.
        min_length: the length at step 0 (default ``multiple_of``).
        schedule: ``"fixed_linear"``, ``"fixed_root"``, a :class:`~curriculum.pacing.Pacing`, or a
            callable of progress (0-1) returning the share (0-1) of the way from ``min_length``
            to ``max_length``.
        root_degree: the root of ``fixed_root``.
        multiple_of: lengths are rounded down to a multiple of this (but never below
            ``min_length``; ``max_length`` itself is used from ``total_steps`` on).
        mode: ``"truncate"`` or ``"split"``.
        pad_id: padding token of ``input_ids`` in split mode.
    """

    def __init__(
        self,
        max_length: int,
        *,
        total_steps: int,
        min_length: int | None = None,
        schedule: str | Pacing | Callable[[float], float] = "fixed_linear",
        root_degree: int = 2,
        multiple_of: int = 8,
        mode: str = "truncate",
        pad_id: int = 0,
    ) -> None:
        self.max_length = check_int("max_length", max_length, minimum=1)
        self.total_steps = check_int("total_steps", total_steps, minimum=1)
        self.multiple_of = check_int("multiple_of", multiple_of, minimum=1)
        self.min_length = check_int(
            "min_length", self.multiple_of if min_length is None else min_length, minimum=1
        )
        if self.min_length > self.max_length:
            raise InvalidValueError(
                f"min_length={self.min_length} exceeds max_length={self.max_length}; the "
                "warm-up grows from min_length to max_length"
            )
        self.root_degree = check_int("root_degree", root_degree, minimum=1)
        if isinstance(schedule, str) and schedule not in _SCHEDULES:
            raise InvalidValueError(
                f"schedule must be one of {list(_SCHEDULES)}, a Pacing or a callable, but got "
                f"schedule={schedule!r}"
            )
        if not isinstance(schedule, str) and not callable(schedule):
            raise InvalidTypeError(
                f"schedule must be a name, a Pacing or a callable, but got "
                f"{type(schedule).__name__}"
            )
        self.schedule = schedule
        if mode not in ("truncate", "split"):
            raise InvalidValueError(f"mode must be 'truncate' or 'split', but got mode={mode!r}")
        self.mode = mode
        self.pad_id = check_int("pad_id", pad_id, minimum=0)
        self.steps = 0

    def share(self, step: int) -> float:
        """Share (0-1) of the way from ``min_length`` to ``max_length`` at ``step``."""
        t = min(1.0, check_int("step", step, minimum=0) / self.total_steps)
        if self.schedule == "fixed_linear":
            return t
        if self.schedule == "fixed_root":
            return float(t ** (1.0 / self.root_degree))
        raw = self.schedule(t)  # type: ignore[operator]
        try:
            value = float(np.asarray(raw, dtype=np.float64).item())
        except (TypeError, ValueError):  # not one real number: numpy cannot convert it
            value = float("nan")
        if not 0.0 <= value <= 1.0:
            raise InvalidValueError(
                f"schedule({t}) returned {raw!r:.60}, not a number in [0, 1]; it must give the "
                "share of the way from min_length to max_length"
            )
        return value

    def length(self, step: int | None = None) -> int:
        """The maximum sequence length at ``step`` (default: the internal step counter)."""
        step = self.steps if step is None else check_int("step", step, minimum=0)
        if step >= self.total_steps:
            return self.max_length
        raw = math.floor(self.min_length + (self.max_length - self.min_length) * self.share(step))
        rounded = raw - raw % self.multiple_of
        return min(self.max_length, max(self.min_length, rounded))

    def step(self) -> None:
        """Count one optimizer step (for calls without an explicit step)."""
        self.steps += 1

    def __call__(self, batch: Mapping[str, Any], step: int | None = None) -> dict[str, Any]:
        """``batch`` with every sequence tensor cut to :meth:`length` at ``step``."""
        if not isinstance(batch, Mapping):
            raise InvalidTypeError(
                f"batch must be a mapping of tensors (a collated batch), but got "
                f"{type(batch).__name__}"
            )
        length = self.length(step)
        ids = batch.get("input_ids")
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
            raise InvalidValueError(
                "batch['input_ids'] must be a 2-D tensor (batch, sequence), but got "
                f"{type(ids).__name__ if not isinstance(ids, torch.Tensor) else tuple(ids.shape)}"
            )
        rows, width = ids.shape
        if width <= length:
            return dict(batch)
        pieces = -(-width // length)
        out: dict[str, Any] = {}
        for key, value in batch.items():
            if not isinstance(value, torch.Tensor) or value.dim() == 0 or value.shape[0] != rows:
                out[key] = value  # not per row: passed through
                continue
            if value.dim() == 1:  # one value per row: each piece of a row keeps it
                split = self.mode == "split"
                out[key] = value.repeat_interleave(pieces) if split else value
                continue
            if value.shape[1] != width or (value.dim() > 2 and value.shape[2] == width):
                raise InvalidValueError(
                    f"batch[{key!r}] has shape {tuple(value.shape)} and input_ids "
                    f"{tuple(ids.shape)}: the warm-up cuts tensors of shape (batch, sequence, "
                    "...) alike; build masks of shape (batch, 1, sequence, sequence) after it"
                )
            if self.mode == "truncate":
                out[key] = value[:, :length]
                continue
            pad = _PADS.get(key, -1)
            pad = self.pad_id if pad is None else pad
            shape = (rows, pieces * length, *value.shape[2:])
            padded = torch.full(shape, pad, dtype=value.dtype, device=value.device)
            padded[:, :width] = value
            out[key] = padded.reshape(rows * pieces, length, *value.shape[2:])
        if self.mode == "split" and "position_ids" in out:
            out["position_ids"] = _restart(out["position_ids"])
        return out

    # -- Stateful -------------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        return {
            "max_length": self.max_length,
            "min_length": self.min_length,
            "total_steps": self.total_steps,
            "schedule": _schedule_name(self.schedule),
            "root_degree": self.root_degree,
            "multiple_of": self.multiple_of,
            "mode": self.mode,
        }

    def state_dict(self) -> dict[str, Any]:
        """The step counter and the settings."""
        return {"steps": self.steps, **self._config()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume the step counter; refuses a state with other settings."""
        if not isinstance(state_dict, dict):
            raise InvalidTypeError(
                f"state_dict must be a dict from SeqLenWarmup.state_dict(), but got "
                f"{type(state_dict).__name__}"
            )
        diffs = differing_settings(state_dict, self._config(), this="this warm-up")
        if diffs:
            raise InvalidValueError(
                "state_dict comes from another warm-up:\n  " + "\n  ".join(diffs)
            )
        self.steps = check_int("state_dict['steps']", state_dict.get("steps"), minimum=0)

    def __repr__(self) -> str:
        return (
            f"SeqLenWarmup({self.min_length}->{self.max_length} over {self.total_steps} steps, "
            f"schedule={self.schedule!r}, mode={self.mode!r})"
        )


def _restart(positions: torch.Tensor) -> torch.Tensor:
    """Make each row's leading piece (a document cut by the split) count from 0."""
    starts = (positions == 0).cumsum(dim=1)
    leading = (starts == 0) | ((starts == 1) & (positions[:, :1] == 0))
    return torch.where(leading, positions - positions[:, :1], positions)


def _schedule_name(schedule: Any) -> Any:
    """A schedule as saved in a state: its name, a pacing's spec, or a callable's name."""
    if isinstance(schedule, str):
        return schedule
    if isinstance(schedule, Pacing):
        return schedule.spec()
    return callable_name(schedule)
