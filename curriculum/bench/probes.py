"""A small evaluation callback: value minimal pairs.

Each pair is a prompt and two continuations, one that acts on a value (honesty, care, fairness,
responsibility, respect, avoiding harm, humility, patience, gratitude, courage) and one that
does not, written by hand for this library (``curriculum/data/value_probes.jsonl``, 40 pairs).
A model "prefers" the good continuation when its mean log-probability per token, given the
prompt, is higher. Forty pairs measure a direction, not a capability: a small model trained on
general text sits near chance (0.5); the probe is there to show how a user's own evaluation
plugs into :func:`~curriculum.bench.run_bench` (and to compare values-first orderings at scale).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from curriculum.errors import InvalidValueError

__all__ = ["ValueProbes", "load_value_probes"]


def load_value_probes(path: str | os.PathLike[str] | None = None) -> list[dict[str, str]]:
    """The shipped value pairs, or a JSON-lines file of ``{prompt, good, bad}`` records."""
    if path is None:
        text = resources.files("curriculum").joinpath("data/value_probes.jsonl").read_text("utf-8")
        where = "value_probes.jsonl"
    else:
        from curriculum._files import check_input

        text = check_input(path, what="probes").read_text(encoding="utf-8")
        where = str(path)
    pairs = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidValueError(f"{where} line {lineno} is not JSON: {exc.msg}") from None
        if not isinstance(record, dict) or not all(
            isinstance(record.get(k), str) and record.get(k) for k in ("prompt", "good", "bad")
        ):
            raise InvalidValueError(
                f"{where} line {lineno} must be an object with non-empty string fields "
                "prompt, good and bad"
            )
        pairs.append(record)
    if not pairs:
        raise InvalidValueError(f"{where} holds no pairs")
    return pairs


class ValueProbes:
    """Evaluation callback: the share of value pairs where the model prefers the good one.

    Use it as ``run_bench(task, evaluate=ValueProbes())``; it returns ``probe/accuracy`` (share
    of pairs preferred correctly) and ``probe/margin`` (mean difference of mean log-probability
    per token, good minus bad), both higher-is-better.

    Args:
        path: a JSON-lines file of ``{prompt, good, bad}`` pairs; default the shipped set.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.pairs = load_value_probes(path)

    def __call__(self, model: nn.Module, encode: Callable[[str], list[int]]) -> dict[str, float]:
        """Score every pair with ``model`` (``model(ids) -> logits``)."""
        device = next(model.parameters()).device
        context = int(getattr(model, "context", 10**9))
        wins, margins = 0, []
        for pair in self.pairs:
            good = _mean_logprob(model, encode, pair["prompt"], pair["good"], context, device)
            bad = _mean_logprob(model, encode, pair["prompt"], pair["bad"], context, device)
            wins += good > bad
            margins.append(good - bad)
        return {
            "probe/accuracy": wins / len(self.pairs),
            "probe/margin": float(sum(margins) / len(margins)),
        }

    def __repr__(self) -> str:
        return f"ValueProbes({len(self.pairs)} pairs)"


@torch.no_grad()
def _mean_logprob(
    model: nn.Module,
    encode: Callable[[str], list[int]],
    prompt: str,
    continuation: str,
    context: int,
    device: Any,
) -> float:
    head, tail = encode(prompt), encode(continuation)
    ids = (head + tail)[-(context + 1) :]
    start = len(ids) - len(tail)  # index of the first continuation token
    x = torch.tensor([ids[:-1]], device=device)
    logp = torch.log_softmax(model(x).float()[0], dim=-1)
    targets = torch.tensor(ids[1:], device=device)
    picked = logp[torch.arange(targets.numel(), device=device), targets]
    return float(picked[max(0, start - 1) :].mean())
