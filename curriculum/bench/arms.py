"""The orderings a benchmark compares ("arms"), each built from the library's own samplers.

==========  ==========================================================================
``random``  ``torch.utils.data.RandomSampler``: the baseline every arm is paired with.
``full``    :class:`~curriculum.CurriculumSampler`, root pacing, easy to hard over the whole run.
``warmup``  the same, full at ``full_at`` (default 0.2) of the run, then a plain shuffle
            (Zhang et al., 2025: a curriculum as a warm-up). ``warmup:0.1`` sets ``full_at``.
``anti``    the same as ``full``, hardest first.
``step``    one stage per difficulty level (``Step.for_groups``): each level drawn in full
            before the next.
``replay``  ``step`` with replay of earlier levels (the recipe machinery's ``replay``): a share
            ``replay`` (default 0.2, ``replay:0.3``) of each later level's draws repeats
            earlier levels' samples, and the same number of that level's samples, chosen at
            random, are left out, so the run has as many draws as the others (each level keeps
            at least one own sample). With several passes its level order repeats every pass;
            the other curricula span all passes.
``seqlen``  random order with a sequence-length warm-up (:class:`~curriculum.SeqLenWarmup`,
            ``fixed_linear`` from 8 tokens to the context over ``full_at`` of the run, split mode:
            no token is dropped).
==========  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import RandomSampler, Sampler

from curriculum.errors import InvalidValueError
from curriculum.pacing import Constant, Step
from curriculum.recipes.order import recipe_order
from curriculum.sampler import CurriculumSampler

__all__ = ["ARMS", "Arm", "parse_arms"]

ARMS: dict[str, float] = {
    "random": 1.0,
    "full": 1.0,
    "warmup": 0.2,
    "anti": 1.0,
    "step": 1.0,
    "replay": 0.2,
    "seqlen": 0.2,
}
"""Arm names and the default of their parameter (``full_at``, or ``replay`` for ``replay``)."""


@dataclass(frozen=True)
class Arm:
    """One ordering: a kind from :data:`ARMS` and its parameter.

    Attributes:
        kind: the name in :data:`ARMS`.
        param: ``full_at`` of ``warmup``/``seqlen`` (share of the run), or ``replay``'s share.
    """

    kind: str
    param: float

    @property
    def name(self) -> str:
        """``kind``, with the parameter when it is not the default (``warmup:0.1``)."""
        return self.kind if self.param == ARMS[self.kind] else f"{self.kind}:{self.param:g}"

    def sampler(
        self,
        scores: NDArray[np.float64],
        levels: NDArray[np.int64],
        *,
        draws: int,
        seed: int,
    ) -> Sampler[int]:
        """The arm's sampler over ``len(scores)`` samples, its curriculum spanning ``draws``.

        Args:
            scores: difficulty per sample (higher is harder).
            levels: difficulty level per sample (0 = easiest), increasing with ``scores``.
            draws: draws of the whole run (samples per epoch times epochs).
            seed: seed of the order.
        """
        n = len(scores)
        if self.kind in ("random", "seqlen"):
            return RandomSampler(range(n), generator=torch.Generator().manual_seed(seed))
        if self.kind in ("full", "warmup", "anti"):
            return CurriculumSampler(
                scores,
                pacing="root",
                full_at=self.param if self.kind == "warmup" else 1.0,
                num_samples=draws,
                seed=seed,
                reverse=self.kind == "anti",
                num_replicas=1,
                rank=0,
            )
        if self.kind == "step":
            return CurriculumSampler(
                levels.astype(np.float64),
                pacing=Step.for_groups(levels),
                num_samples=draws,
                seed=seed,
                num_replicas=1,
                rank=0,
            )
        return ReplayOrder(levels, replay=self.param, seed=seed)


class ReplayOrder(Sampler[int]):
    """Levels one after the other, each shuffled, with replay of earlier levels.

    A share ``replay`` of each later level's draws is taken from earlier levels
    (:func:`~curriculum.recipes.recipe_order`); one epoch per iteration, the epoch advancing
    each time.
    """

    def __init__(self, levels: NDArray[np.int64], *, replay: float, seed: int) -> None:
        self.levels = np.asarray(levels)
        self.replay = replay
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch of the next iteration."""
        self.epoch = epoch

    def order(self, epoch: int) -> NDArray[np.int64]:
        """The order of epoch ``epoch``."""
        pools = [np.flatnonzero(self.levels == v) for v in np.unique(self.levels)]
        lengths, replays = [], []
        for k, pool in enumerate(pools):
            extra = 0 if k == 0 else min(round(self.replay * pool.size), pool.size - 1)
            lengths.append(pool.size - extra)
            replays.append(extra)
        keys = [np.zeros(p.size) for p in pools]
        pacings = [Constant() for _ in pools]
        return recipe_order(
            pools, keys, pacings, lengths, replays, seed=self.seed, epoch=epoch
        ).indices

    def __iter__(self) -> Iterator[int]:
        order = self.order(self.epoch)
        self.epoch += 1
        return iter(order.tolist())

    def __len__(self) -> int:
        return int(self.levels.size)


def parse_arms(names: str | Sequence[str]) -> list[Arm]:
    """Arms from names (``"random,warmup:0.1,full"`` or a list); ``random`` must be among them.

    Unknown names, parameters out of range, duplicates and a missing ``random`` are refused.
    """
    items = [s.strip() for s in names.split(",")] if isinstance(names, str) else list(names)
    arms: list[Arm] = []
    for item in items:
        kind, _, value = str(item).partition(":")
        if kind not in ARMS:
            raise InvalidValueError(
                f"arms has unknown arm {item!r}; choose from {', '.join(ARMS)} "
                "(warmup, seqlen and replay take a parameter: warmup:0.1)"
            )
        param = ARMS[kind]
        if value or item.endswith(":"):
            if kind not in ("warmup", "seqlen", "replay"):
                raise InvalidValueError(f"arm {kind!r} takes no parameter, but got {item!r}")
            try:
                param = float(value)
            except ValueError:
                param = float("nan")
            if not np.isfinite(param):
                raise InvalidValueError(
                    f"arm {item!r} needs a number after ':', e.g. {kind}:{ARMS[kind]}"
                )
            upper_open = kind == "replay"
            if not (0 < param < 1 if upper_open else 0 < param <= 1):
                raise InvalidValueError(
                    f"arm {item!r}: the parameter must be in (0, 1{')' if upper_open else ']'}"
                )
        arm = Arm(kind, param)
        if arm.name in [a.name for a in arms]:
            raise InvalidValueError(f"arms lists {arm.name!r} twice")
        arms.append(arm)
    if Arm("random", 1.0) not in arms:
        raise InvalidValueError(
            "arms must include 'random': every arm is paired with it; add random to the list"
        )
    if len(arms) < 2:
        raise InvalidValueError(
            "arms holds only random: give at least one arm to compare with it, e.g. random,full"
        )
    return arms
