"""Shared machinery of the samplers: ranks, epochs, chunked iteration and elastic resumption.

A subclass provides ``_order(epoch, split)`` (every rank's order together) and ``_config()`` (the
settings that fix it); this base gives it ``DistributedSampler``'s rank split, ``set_epoch``, an
automatic epoch counter, fast iteration, and torchdata-style ``state_dict`` / ``load_state_dict``.

A state is global, as in mosaicml-streaming: it records how far the *global* order of an epoch
has been consumed, not where one rank is. Any rank's state therefore resumes every rank of a run
with another number of ranks: together they read exactly the rest of the global order. The
``split`` of a state (ranks and ``drop_last``) only matters to orders that depend on it (a
recipe's floor is placed per rank). A state also carries a fingerprint of the epoch's global
order. Settings are compared first (so the error names what differs), and the fingerprint
decides: a state resumes only a sampler whose epoch is the same sequence, whatever produced it (a
callable pacing or selection, which cannot be fingerprinted by its name, included).
"""

from __future__ import annotations

import itertools
import operator
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch.distributed as dist
from numpy.typing import NDArray
from torch.utils.data import Sampler

from curriculum._validation import check_int
from curriculum.errors import InvalidTypeError, InvalidValueError
from curriculum.fingerprint import differing_settings, fingerprint_array
from curriculum.ordering import rank_share

__all__ = ["PositionalSampler", "Split", "framework_shards_batches"]

STATE_VERSION = 3
_CHUNK = 8192  # indices converted to Python ints at a time while iterating
_MAX_RANKS = 1 << 16  # a saved split beyond this is corrupt (building its order would take long)

Split = tuple[int, bool]  # (num_replicas, drop_last) an order was split with


@dataclass
class _Resume:
    """A loaded state: the next iteration of ``epoch`` starts at global ``position``."""

    epoch: int
    position: int
    split: Split


@dataclass
class _Progress:
    """Where the live iterator is, in this rank's share and in the global order."""

    epoch: int
    start: int  # global position this iteration started at
    stride: int  # ranks the rest of the order is split over
    split: Split  # split of the order being followed
    order_len: int
    total: int  # indices this rank yields in this iteration
    chunk_end: int = 0
    chunk: Iterator[int] = field(default_factory=lambda: iter(()))

    @property
    def yielded(self) -> int:
        return self.chunk_end - operator.length_hint(self.chunk)

    @property
    def position(self) -> int:
        """Global position: every rank has read as many indices as this one (lockstep).

        A finished share is the whole epoch (with ``drop_last`` the trimmed tail is skipped).
        """
        if self.done:
            return self.order_len
        return min(self.start + self.yielded * self.stride, self.order_len)

    @property
    def done(self) -> bool:
        return self.yielded >= self.total


class PositionalSampler(Sampler[int]):
    """Base of the samplers: a global order per epoch, split over ranks, resumable by position.

    Rank rule: the sampler splits the order over ranks only when it reads them from
    ``torch.distributed`` and no framework shards batches itself; once an accelerate
    ``Accelerator`` exists (Hugging Face ``Trainer`` makes one), which splits batches, it is
    global. Pass ``num_replicas`` and ``rank`` to decide yourself.

    Args:
        num_replicas: number of ranks; default as in the rank rule above.
        rank: this rank; default as in the rank rule above.
        drop_last: drop the tail that does not divide evenly among ranks instead of padding.
    """

    def __init__(
        self, *, num_replicas: int | None = None, rank: int | None = None, drop_last: bool = False
    ) -> None:
        _resolve_ranks(num_replicas, rank)  # explicit values are checked now
        self._requested = (num_replicas, rank)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        self._cached: tuple[tuple[int, int, int], NDArray[np.signedinteger]] | None = None
        self._resume: _Resume | None = None
        self._progress: _Progress | None = None
        self._order_fingerprint: tuple[int, Split, str] | None = None
        self._epoch_pinned = False  # set_epoch or load_state_dict chose the next epoch

    def _order(self, epoch: int, split: Split) -> NDArray[np.signedinteger]:
        """Every rank's indices together for ``epoch``, for an order split as ``split``."""
        raise NotImplementedError

    def _config(self) -> dict[str, Any]:
        """The settings that fix the order; a saved state only resumes when they match."""
        raise NotImplementedError

    @property
    def num_replicas(self) -> int:
        """Ranks the order is split over: as given, or by the rank rule when it is read.

        Read at use, not at construction, so a sampler built before ``init_process_group`` (or
        before a framework starts its processes) still follows the rule.
        """
        return _resolve_ranks(*self._requested)[0]

    @property
    def rank(self) -> int:
        """This rank: as given, or by the rank rule when it is read."""
        return _resolve_ranks(*self._requested)[1]

    @property
    def _split(self) -> Split:
        return (self.num_replicas, self.drop_last)

    def global_order(self, epoch: int | None = None) -> NDArray[np.signedinteger]:
        """Every rank's indices together, in order, for ``epoch`` (default: the current one)."""
        epoch = self.epoch if epoch is None else check_int("epoch", epoch, minimum=0)
        return self._order(epoch, self._split)

    def _epoch_size(self) -> int:
        """Length of the global order of the current epoch."""
        return int(self.global_order().shape[0])

    # -- Sampler protocol -----------------------------------------------------------------------

    def __len__(self) -> int:
        """Indices this rank yields in a whole epoch."""
        n = self._epoch_size()
        if self.drop_last:
            return n // self.num_replicas
        return -(-n // self.num_replicas)

    def __iter__(self) -> Iterator[int]:
        previous = self._progress
        if (
            not self._epoch_pinned
            and previous is not None
            and previous.done
            and previous.epoch == self.epoch
        ):
            # Iterating again after a whole epoch without set_epoch: go on to the next epoch
            # (DistributedSampler would replay the same order, and the curriculum would stall).
            self.epoch += 1
            self._cached = None
        self._epoch_pinned = False
        epoch, start, split = self.epoch, 0, self._split
        if self._resume is not None:
            if self._resume.epoch == epoch:
                start, split = self._resume.position, self._resume.split
            self._resume = None
        if self.drop_last and self._epoch_size() < self.num_replicas:
            raise InvalidValueError(
                f"drop_last=True with {self._epoch_size()} samples per epoch and "
                f"num_replicas={self.num_replicas} leaves every rank empty; use drop_last=False "
                "or more samples"
            )
        if start == 0 and split == self._split:
            indices = self.indices(epoch)
            order_len = int(self.global_order(epoch).shape[0])
        else:
            order = self._order(epoch, split)
            order_len = int(order.shape[0])
            indices = rank_share(
                order[start:], self.num_replicas, self.rank, drop_last=self.drop_last
            )
        progress = _Progress(
            epoch=epoch,
            start=start,
            stride=self.num_replicas,
            split=split,
            order_len=order_len,
            total=int(indices.shape[0]),
        )
        self._progress = progress
        # The indices come from list iterators chained in C: no Python frame per index.
        return itertools.chain.from_iterable(self._chunks(indices, progress))

    @staticmethod
    def _chunks(indices: NDArray[np.signedinteger], progress: _Progress) -> Iterator[Iterator[int]]:
        """This rank's indices as iterators over Python ints, one chunk at a time.

        ``chain`` asks for the next chunk only when the last is used up, so ``progress``
        always describes the chunk being read and how far it has been read.
        """
        for lo in range(0, indices.shape[0], _CHUNK):
            chunk = indices[lo : lo + _CHUNK].tolist()
            progress.chunk = iter(chunk)
            progress.chunk_end = lo + len(chunk)
            yield progress.chunk

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch of the next iteration: the order depends on ``(seed, epoch)``.

        Without it, iterating again after a complete epoch starts the next epoch by itself.
        "Complete" means this sampler was drained, which a prefetching ``DataLoader`` does a few
        batches before training finishes them: when you break out of an epoch early and iterate
        again, call ``set_epoch``.
        """
        self.epoch = check_int("epoch", epoch, minimum=0)
        self._epoch_pinned = True
        if self._progress is not None and self._progress.epoch != self.epoch:
            self._progress = None  # the finished epoch's position no longer describes us
        if self._resume is not None and self._resume.epoch != self.epoch:
            self._resume = None  # a resume into another epoch is dropped, as iteration would

    def indices(self, epoch: int | None = None) -> NDArray[np.signedinteger]:
        """This rank's indices for a whole ``epoch`` (default: the current one), as an array."""
        epoch = self.epoch if epoch is None else check_int("epoch", epoch, minimum=0)
        key = (epoch, self.num_replicas, self.rank)
        if self._cached is None or self._cached[0] != key:
            order = self.global_order(epoch)
            share = rank_share(order, key[1], key[2], drop_last=self.drop_last)
            self._cached = (key, share)
        return self._cached[1]

    def order_fingerprint(self, epoch: int | None = None, split: Split | None = None) -> str:
        """Content hash of the global order of ``epoch`` (cached for the last one asked)."""
        epoch = self.epoch if epoch is None else check_int("epoch", epoch, minimum=0)
        split = self._split if split is None else split
        cached = self._order_fingerprint
        if cached is None or cached[:2] != (epoch, split):
            cached = (epoch, split, fingerprint_array(self._order(epoch, split)))
            self._order_fingerprint = cached
        return cached[2]

    # -- where training is ----------------------------------------------------------------------

    def _where(self) -> tuple[int, int, Split, int]:
        """``(epoch, global position, split, order length)`` of the live or resumed iteration."""
        if self._progress is not None:
            p = self._progress
            return p.epoch, p.position, p.split, p.order_len
        if self._resume is not None:
            r = self._resume
            return r.epoch, r.position, r.split, int(self._order(r.epoch, r.split).shape[0])
        return self.epoch, 0, self._split, self._epoch_size()

    def samples_seen(self) -> int:
        """Global draws before the current position: whole epochs plus the position in this one.

        Each epoch counts as the length of its global order (without rank padding), so this is
        the count a pacing's progress is measured in.
        """
        epoch, position, _, _ = self._where()
        return epoch * self._draws_per_epoch() + position

    def _draws_per_epoch(self) -> int:
        return self._epoch_size()

    # -- Stateful -------------------------------------------------------------------------------

    def state_dict(self, consumed: int | None = None) -> dict[str, Any]:
        """Small JSON-serialisable state: how far the global order of the epoch has been read.

        Args:
            consumed: global position to save: the samples of the current epoch the training
                loop has consumed on all ranks together, counted from the start of the epoch.
                Default: what this sampler has yielded times the number of ranks. Pass it when a
                ``DataLoader`` with workers or prefetching runs ahead of training: for a
                rank-split sampler it is ``start + batches consumed on a rank * batch_size *
                num_replicas``; for a global sampler under accelerate, ``start + batches
                consumed per process * batch_size * num_processes``, where ``start`` is 0, or
                the saved ``position`` when this epoch was resumed. A count past the end of the
                epoch (padded last batches) means the whole epoch.
        """
        epoch, position, split, order_len = self._where()
        if consumed is not None:
            position = min(check_int("consumed", consumed, minimum=0), order_len)
        return self._state(epoch, position, split)

    def state_dict_at(self, epoch: int, position: int) -> dict[str, Any]:
        """The state of a run that has consumed ``position`` samples of ``epoch``'s global order.

        For frameworks that count their own steps: it does not depend on how far this sampler's
        iterator has run.
        """
        epoch = check_int("epoch", epoch, minimum=0)
        position = check_int("position", position, minimum=0)
        size = int(self._order(epoch, self._split).shape[0])
        if position > size:
            raise InvalidValueError(
                f"position={position} exceeds the {size} samples of epoch {epoch}'s global order"
            )
        return self._state(epoch, position, self._split)

    def _state(self, epoch: int, position: int, split: Split) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "epoch": epoch,
            "position": position,
            "split": list(split),
            **self._config(),
            "order_fingerprint": self.order_fingerprint(epoch, split),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict`: the next iteration reads the rest of that epoch.

        The state may come from any rank of a run with any number of ranks: the ranks of this
        run then share the rest of the saved epoch's global order, each sample once (padded or
        trimmed to a multiple of the ranks as ``drop_last`` says).

        Raises:
            TypeError: ``state_dict`` is not a mapping.
            ValueError: it is malformed, or was saved with other scores or settings; the
                message lists every difference.
        """
        resume = self.check_state_dict(state_dict)
        self.epoch = resume.epoch
        self._resume = resume
        self._progress = None
        self._epoch_pinned = True

    def check_state_dict(self, state_dict: dict[str, Any]) -> _Resume:
        """Check that ``state_dict`` resumes this sampler, without loading it.

        Returns:
            The saved ``epoch``, global ``position`` and ``split``.

        Raises:
            TypeError, ValueError: as :meth:`load_state_dict`.
        """
        if not isinstance(state_dict, dict):
            raise InvalidTypeError(
                f"state_dict must be a dict from {type(self).__name__}.state_dict(), "
                f"but got {type(state_dict).__name__}"
            )
        version = state_dict.get("version")
        if version != STATE_VERSION:
            raise InvalidValueError(
                f"state_dict has version={version!r}, this sampler reads version "
                f"{STATE_VERSION}; it was saved by another version of curriculum or is not a "
                f"{type(self).__name__} state: start the epoch afresh"
            )
        mine = self._config()
        missing = sorted((set(mine) | {"order_fingerprint", "split"}) - set(state_dict))
        if missing:
            raise InvalidValueError(f"state_dict lacks keys {missing}; save it with state_dict()")
        diffs = differing_settings(state_dict, mine, this="this sampler")
        if diffs:
            raise InvalidValueError(
                "state_dict comes from a different run and cannot resume this sampler:\n  "
                + "\n  ".join(diffs)
                + "\nBuild the sampler with the saved settings and scores, or start a fresh run."
            )
        epoch = check_int("state_dict['epoch']", state_dict.get("epoch"), minimum=0)
        position = check_int("state_dict['position']", state_dict.get("position"), minimum=0)
        split = _check_split(state_dict.get("split"))
        saved = state_dict.get("order_fingerprint")
        if saved != self.order_fingerprint(epoch, split):
            raise InvalidValueError(
                f"state_dict comes from a different run: the global order of epoch {epoch} "
                f"differs (fingerprint saved {saved!r}, this sampler "
                f"{self.order_fingerprint(epoch, split)!r}) although every setting it can "
                "compare matches. A callable (pacing, selection or order) or data that the "
                "settings do not cover decides the order differently, the state was edited, or "
                "an earlier version of curriculum saved it (rankings of more than 4,194,304 "
                "samples break ties differently since 0.1); build the sampler as in the saved run"
            )
        size = int(self._order(epoch, split).shape[0])
        if position > size:
            raise InvalidValueError(
                f"state_dict['position']={position} exceeds the {size} samples of epoch "
                f"{epoch}'s global order; the state is corrupt"
            )
        return _Resume(epoch, position, split)


def _check_split(value: Any) -> Split:
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and 1 <= value[0] <= _MAX_RANKS
        and isinstance(value[1], bool)
    ):
        return (int(value[0]), bool(value[1]))
    raise InvalidValueError(
        f"state_dict['split'] must be [num_replicas in 1..{_MAX_RANKS}, drop_last], but got "
        f"{value!r:.80}; "
        "the state is corrupt"
    )


def framework_shards_batches() -> bool:
    """Whether an accelerate ``Accelerator`` (alone or in Hugging Face ``Trainer``) exists here.

    accelerate splits the batches of a prepared ``DataLoader`` over processes itself, so a sampler
    must not split them again. A bare ``PartialState`` (which ``TrainingArguments`` creates) does
    not count: it prepares no ``DataLoader``.
    """
    state = sys.modules.get("accelerate.state")
    if state is None:
        return False
    shared = getattr(getattr(state, "AcceleratorState", None), "_shared_state", None)
    return bool(shared)


def _resolve_ranks(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    """Fill ``num_replicas``/``rank``: global under accelerate, else from ``torch.distributed``."""
    initialised = dist.is_available() and dist.is_initialized() and not framework_shards_batches()
    if num_replicas is None:
        num_replicas = dist.get_world_size() if initialised else 1
    if rank is None:
        rank = dist.get_rank() if initialised else 0
    num_replicas = check_int("num_replicas", num_replicas, minimum=1)
    rank = check_int("rank", rank, minimum=0)
    if rank >= num_replicas:
        raise InvalidValueError(
            f"rank must be in [0, num_replicas - 1] = [0, {num_replicas - 1}], but got rank={rank}"
        )
    return num_replicas, rank
