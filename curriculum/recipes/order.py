"""The order of one epoch of a recipe, as pure numpy functions of arrays (no torch, no records).

:func:`recipe_order` takes, per phase, its pool (sample indices), its ordering key and pacing,
its own draws and its replay draws, and returns ``(indices, phase, kind)``:

* each phase's own samples in curriculum order (:func:`curriculum.ordering.curriculum_order` over
  its ranking; a pool smaller than the phase's draws repeats, a larger one is cut);
* replay draws (repeats of earlier phases' samples) spread evenly among them;
* then :func:`insert_floor` adds floor repeats wherever they are needed so that **every sliding
  window** of ``window`` consecutive positions holds at least ``need`` floor samples, in the
  global order and in every rank's share of it (rank ``r`` reads positions ``r, r + R, ...``).
  Without ``drop_last`` the order is padded with floor repeats to a multiple of the ranks, so the
  padding keeps the guarantee too.

Windows are full windows: a sequence shorter than ``window`` has none. A floor repeat takes the
phase of the sample it is inserted before, so phases stay in order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import IntEnum
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from curriculum._streams import Stream, rng
from curriculum.errors import InvalidValueError
from curriculum.ordering import curriculum_order, difficulty_rank
from curriculum.pacing import Pacing

__all__ = ["Kind", "RecipeOrder", "insert_floor", "recipe_order", "sliding_minimum"]


class Kind(IntEnum):
    """What a position of a recipe's order holds."""

    OWN = 0  #: the phase's own sample (once per epoch, unless `share`/`samples` cut or repeat)
    REPLAY = 1  #: a repeat of an earlier phase's sample
    FLOOR = 2  #: a floor repeat (a floor text repeated to keep its share in every window)


class RecipeOrder(NamedTuple):
    """One epoch of a recipe: three arrays of equal length (unpacks as before)."""

    indices: NDArray[np.int64]
    phase: NDArray[np.int64]
    kind: NDArray[np.int64]

    def kind_names(self) -> NDArray[np.str_]:
        """``kind`` as names: ``"own"``, ``"replay"``, ``"floor"``."""
        names = np.array([k.name.lower() for k in Kind])
        return names[self.kind]


def sliding_minimum(hits: NDArray[np.bool_], window: int) -> int | None:
    """The fewest hits in any ``window`` consecutive positions (None: no full window)."""
    if hits.shape[0] < window:
        return None
    cum = np.concatenate(([0], np.cumsum(hits, dtype=np.int64)))
    return int((cum[window:] - cum[:-window]).min())


def _phase_part(
    pool: NDArray[np.intp],
    key: NDArray[np.float64],
    pacing: Pacing,
    length: int,
    *,
    phase: int,
    seed: int,
    epoch: int,
) -> NDArray[np.int64]:
    """A phase's own draws: its pool in curriculum order, repeated or cut to ``length``."""
    ranked = pool[difficulty_rank(key, seed=seed, stream=(phase,))].astype(np.int64)
    rounds = [  # a phase longer than its pool repeats it, each round its own curriculum
        curriculum_order(ranked, pacing, seed=seed, epoch=epoch, stream=(phase, j))
        for j in range(math.ceil(length / pool.size))
    ]
    return np.concatenate(rounds)[:length]


def recipe_order(
    pools: Sequence[NDArray[np.intp]],
    keys: Sequence[NDArray[np.float64]],
    pacings: Sequence[Pacing],
    lengths: Sequence[int],
    replays: Sequence[int],
    *,
    floor_mask: NDArray[np.bool_] | None = None,
    floor_need: int = 0,
    floor_window: int = 1,
    seed: int = 0,
    epoch: int = 0,
    num_replicas: int = 1,
    drop_last: bool = False,
) -> RecipeOrder:
    """One epoch of a recipe; see the module docstring.

    Args:
        pools: per phase, the indices of its samples (disjoint).
        keys: per phase, one ordering key per pool sample (higher = later).
        pacings: per phase, its pacing over its own draws.
        lengths: per phase, its own draws this epoch.
        replays: per phase, its replay draws (0 for the first phase).
        floor_mask: one bool per corpus sample: the floor texts (None: no floor).
        floor_need: floor samples required in every window.
        floor_window: the window length.
        seed: seed of the order.
        epoch: epoch number.
        num_replicas: ranks the order is split over (the floor holds on each).
        drop_last: whether the ranks drop the tail (else the order is padded for them).
    """
    parts, phases, kinds = [], [], []
    seen: list[NDArray[np.int64]] = []
    for k, (pool, key, pacing, length, replay) in enumerate(
        zip(pools, keys, pacings, lengths, replays, strict=True)
    ):
        own = _phase_part(pool, key, pacing, length, phase=k, seed=seed, epoch=epoch)
        if replay:
            if not seen:
                raise InvalidValueError(f"phase {k} replays, but no earlier phase has samples")
            gen = rng(seed, Stream.REPLAY, epoch, k)
            earlier = np.concatenate(seen)
            extra = earlier[gen.integers(0, earlier.size, replay)]
            # Spread the replays evenly among the own draws (a proportional merge).
            spots = np.concatenate(
                [
                    (np.arange(length) + gen.random()) / length,
                    (np.arange(replay) + gen.random()) / replay,
                ]
            )
            merged = np.argsort(spots, kind="stable")
            items = np.concatenate([own, extra])[merged]
            kind = np.concatenate([np.full(length, Kind.OWN), np.full(replay, Kind.REPLAY)]).astype(
                np.int64
            )[merged]
        else:
            items, kind = own, np.full(length, Kind.OWN, dtype=np.int64)
        seen.append(own)
        parts.append(items)
        phases.append(np.full(items.size, k, dtype=np.int64))
        kinds.append(kind)
    order = RecipeOrder(
        np.concatenate(parts).astype(np.int64),
        np.concatenate(phases),
        np.concatenate(kinds).astype(np.int64),
    )
    if floor_mask is None or floor_need <= 0:
        return order
    return insert_floor(
        order,
        floor_mask,
        need=floor_need,
        window=floor_window,
        num_replicas=num_replicas,
        pad=not drop_last,
        gen=rng(seed, Stream.FLOOR, epoch),
    )


class _Windows:
    """The floor positions of one sequence: the global order, or rank ``r``'s share of it.

    The sequence holds the global positions ``offset, offset + stride, ...``. Its next floor
    sample must come at global position :attr:`deadline` at the latest; then every full window
    of ``window`` of its positions holds ``need`` of them. With ``m < need`` floor samples so
    far, the first window still needs ``need - m`` in its last places; after that, the deadline
    is the ``need``-th last floor position plus ``window``.
    """

    def __init__(self, need: int, window: int, offset: int = 0, stride: int = 1) -> None:
        self.need, self.window, self.offset, self.stride = need, window, offset, stride
        self.last: list[int] = []  # local positions of the last `need` floor samples
        self.deadline = self._global(window - need)

    def _global(self, local: int) -> int:
        return self.offset + local * self.stride

    def add(self, position: int) -> None:
        """A floor sample at global ``position`` (one of this sequence's)."""
        self.last.append((position - self.offset) // self.stride)
        if len(self.last) > self.need:
            del self.last[0]
        if len(self.last) < self.need:
            self.deadline = self._global(self.window - (self.need - len(self.last)))
        else:
            self.deadline = self._global(self.last[0] + self.window)


def insert_floor(
    order: RecipeOrder,
    is_floor: NDArray[np.bool_],
    *,
    need: int,
    window: int,
    num_replicas: int = 1,
    pad: bool = False,
    gen: np.random.Generator,
) -> RecipeOrder:
    """Insert floor repeats so that every sliding window holds ``need`` floor samples.

    A greedy pass places a repeat only where waiting longer would leave some window short, in
    the global order or in any rank's share (the earliest of those deadlines decides). That is
    the fewest repeats for one sequence; with several ranks, an insertion shifts later samples
    to other ranks, so it can place somewhat more than the least possible. The pass jumps from
    one floor event to the next, so its cost grows with the number of floor samples, not with
    the length of the order. With ``pad`` the order is then padded with floor repeats to a
    multiple of ``num_replicas``. Repeats are drawn among the floor samples already emitted this
    epoch (before any, among all floor samples); a repeat takes the phase of the sample it is
    inserted before.
    """
    if not 0 < need < window:
        raise InvalidValueError(
            f"a floor of {need} in every {window} samples leaves no room for other samples; "
            "lower the share or widen the window"
        )
    indices, phase, kind = order
    n = int(indices.shape[0])
    if n == 0:
        return order
    natural = np.flatnonzero(is_floor[indices])  # queue positions of floor samples
    fallback = np.flatnonzero(is_floor)
    glob = _Windows(need, window)
    ranks = [_Windows(need, window, r, num_replicas) for r in range(num_replicas)]
    at: list[int] = []  # queue positions before which a repeat goes
    repeats: list[int] = []
    t = q = f = 0  # output position, queue position, next natural floor sample

    def place(before: int) -> None:
        source = indices[natural[:f]] if f else fallback
        at.append(before)
        repeats.append(int(source[gen.integers(0, source.size)]))

    while q < n:
        due = max(t, min(glob.deadline, *(w.deadline for w in ranks)))
        next_natural = t + int(natural[f]) - q if f < natural.size else t + n - q
        step = min(next_natural, due, t + n - q) - t  # non-floor samples, copied as they are
        q, t = q + step, t + step
        if q == n:
            break
        if f < natural.size and natural[f] == q:
            q, f = q + 1, f + 1
        else:
            place(q)
        glob.add(t)
        ranks[t % num_replicas].add(t)
        t += 1
    while pad and t % num_replicas:
        place(n)
        glob.add(t)
        ranks[t % num_replicas].add(t)
        t += 1
    if not at:
        return order
    where = np.asarray(at, dtype=np.intp)
    return RecipeOrder(
        np.insert(indices, where, np.asarray(repeats, dtype=np.int64)),
        np.insert(phase, where, phase[np.minimum(where, n - 1)]),
        np.insert(kind, where, Kind.FLOOR),
    )
