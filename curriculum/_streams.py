"""Every random stream of the library, in one table.

Each feature draws from ``np.random.default_rng([seed, TAG, *keys])`` with its own tag, so two
features never share a stream. ``SeedSequence`` pads entropy with zeros (``[s, t, 1]`` and
``[s, t, 1, 0]`` give the same stream), so within a tag the keys must not be a prefix-plus-zeros
of each other for draws that meet. The ordering functions' optional stratum or phase keys are
the one place where they can be: an unstratified ranking (no key) draws the stream of stratum 0,
and a recipe phase's first round ``(k, 0)`` that of stratum ``k``; those never meet in one order.
The global RNG is never used.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["Stream", "rng"]


class Stream(IntEnum):
    """Tags of the random streams, with the keys each is used with."""

    RANK = 0  # keys: (*stratum or phase,): ties of the difficulty ranking
    EPOCH = 1  # keys: (epoch, *stratum or (phase, round)): draws within an epoch
    MERGE = 2  # keys: (epoch,): proportional merge of strata
    REPLAY = 3  # keys: (epoch, phase): which earlier samples a phase replays, and where
    FLOOR = 4  # keys: (epoch,): which floor texts are repeated
    FIRST_PERSON = 5  # keys: (epoch, index): the first-person template of a record
    SOCIAL_SCENE = 6  # keys: (epoch, index): the partner of a social scene
    BENCH_SPLIT = 7  # keys: (): the validation split of a benchmark's TextTask (its split_seed)
    BENCH_POOL = 8  # keys: (): a benchmark seed's training pool of a TextTask
    BENCH_SKILLS = 9  # keys: (0,): a benchmark seed's problems; (1,): validation (seed 0)
    BOOTSTRAP = 10  # keys: (): the resamples of a paired bootstrap interval
    FIT_SAMPLE = 11  # keys: (): the texts a scorer is fitted on before scoring at scale


def rng(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    """The generator of one stream; see :class:`Stream` for the keys each tag takes."""
    return np.random.default_rng([int(seed), int(stream), *(int(k) for k in keys)])
