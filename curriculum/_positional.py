"""Shared machinery of the samplers: ranks, epochs, chunked iteration and exact resumption.

A subclass provides ``global_order(epoch)`` (every rank's order together) and ``_config()`` (the
settings that fix it); this base gives it ``DistributedSampler``'s rank split, ``set_epoch``, fast
iteration, and torchdata-style ``state_dict`` / ``load_state_dict``.

A state also carries a fingerprint of the indices this rank yields in the saved epoch. Settings
are compared first (so the error names what differs), and the fingerprint decides: a state
resumes only a sampler whose epoch is the same sequence, whatever produced it (a callable pacing
or selection, which cannot be fingerprinted by its name, included).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch.distributed as dist
from numpy.typing import NDArray
from torch.utils.data import Sampler

from curriculum._validation import check_int
from curriculum.errors import InvalidTypeError, InvalidValueError
from curriculum.fingerprint import canonical_json, fingerprint_array
from curriculum.ordering import rank_share

__all__ = ["PositionalSampler"]

STATE_VERSION = 2
_CHUNK = 8192  # indices converted to Python ints at a time while iterating


@dataclass
class _Progress:
    """Where the live iterator is: position = chunk_end - items left in the current chunk."""

    epoch: int
    chunk_end: int
    chunk: Iterator[int] = field(default_factory=lambda: iter(()))

    @property
    def position(self) -> int:
        return self.chunk_end - operator.length_hint(self.chunk)


class PositionalSampler(Sampler[int]):
    """Base of the samplers: a global order per epoch, split over ranks, resumable by position.

    Args:
        num_replicas: number of ranks; default the ``torch.distributed`` world size, else 1.
        rank: this rank; default the ``torch.distributed`` rank, else 0.
        drop_last: drop the tail that does not divide evenly among ranks instead of padding.
    """

    def __init__(
        self, *, num_replicas: int | None = None, rank: int | None = None, drop_last: bool = False
    ) -> None:
        self.num_replicas, self.rank = _resolve_ranks(num_replicas, rank)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        self._cached: tuple[int, NDArray[np.signedinteger]] | None = None
        self._resume: tuple[int, int] | None = None
        self._progress: _Progress | None = None
        self._share_fingerprint: tuple[int, str] | None = None

    def global_order(self, epoch: int | None = None) -> NDArray[np.signedinteger]:
        """Every rank's indices together, in order, for ``epoch``."""
        raise NotImplementedError

    def _epoch_size(self) -> int:
        """Length of the global order of one epoch."""
        raise NotImplementedError

    def _config(self) -> dict[str, Any]:
        """The settings that fix the order; a saved state only resumes when they match."""
        raise NotImplementedError

    # -- Sampler protocol -----------------------------------------------------------------------

    def __len__(self) -> int:
        """Indices this rank yields per epoch."""
        n = self._epoch_size()
        if self.drop_last:
            return n // self.num_replicas
        return -(-n // self.num_replicas)

    def __iter__(self) -> Iterator[int]:
        epoch, start = self.epoch, 0
        if self._resume is not None:
            saved_epoch, saved_position = self._resume
            self._resume = None
            if saved_epoch == epoch:
                start = saved_position
        indices = self.indices(epoch)
        progress = _Progress(epoch=epoch, chunk_end=start)
        self._progress = progress
        return self._generate(indices, start, progress)

    @staticmethod
    def _generate(
        indices: NDArray[np.signedinteger], start: int, progress: _Progress
    ) -> Iterator[int]:
        for lo in range(start, indices.shape[0], _CHUNK):
            chunk = indices[lo : lo + _CHUNK].tolist()
            progress.chunk = iter(chunk)
            progress.chunk_end = lo + len(chunk)
            yield from progress.chunk

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch for the next iteration: the order depends on ``(seed, epoch)``."""
        self.epoch = check_int("epoch", epoch, minimum=0)
        if self._progress is not None and self._progress.epoch != self.epoch:
            self._progress = None  # the finished epoch's position no longer describes us
        if self._resume is not None and self._resume[0] != self.epoch:
            self._resume = None  # a resume into another epoch is dropped, as iteration would

    def indices(self, epoch: int | None = None) -> NDArray[np.signedinteger]:
        """This rank's indices for ``epoch`` (default: the current epoch), as a numpy array."""
        epoch = self.epoch if epoch is None else check_int("epoch", epoch, minimum=0)
        if self._cached is None or self._cached[0] != epoch:
            order = self.global_order(epoch)
            share = rank_share(order, self.num_replicas, self.rank, drop_last=self.drop_last)
            self._cached = (epoch, share)
        return self._cached[1]

    def indices_fingerprint(self, epoch: int | None = None) -> str:
        """Content hash of this rank's indices for ``epoch`` (cached per epoch)."""
        epoch = self.epoch if epoch is None else check_int("epoch", epoch, minimum=0)
        if self._share_fingerprint is None or self._share_fingerprint[0] != epoch:
            self._share_fingerprint = (epoch, fingerprint_array(self.indices(epoch)))
        return self._share_fingerprint[1]

    def state_dict(self) -> dict[str, Any]:
        """Small JSON-serialisable state: position in the epoch plus the settings that fix it."""
        if self._progress is not None:
            epoch, position = self._progress.epoch, self._progress.position
        elif self._resume is not None:
            epoch, position = self._resume
        else:
            epoch, position = self.epoch, 0
        return {
            "version": STATE_VERSION,
            "epoch": epoch,
            "yielded": position,
            **self._config(),
            "indices_fingerprint": self.indices_fingerprint(epoch),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict`: the next iteration yields the rest of that epoch.

        Raises:
            TypeError: ``state_dict`` is not a mapping.
            ValueError: it is malformed, or was saved with other scores or settings; the
                message lists every difference.
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
        missing = sorted((set(mine) | {"indices_fingerprint"}) - set(state_dict))
        if missing:
            raise InvalidValueError(f"state_dict lacks keys {missing}; save it with state_dict()")
        diffs = [
            f"{key}: saved {state_dict[key]!r:.120}, this sampler {value!r}"
            for key, value in mine.items()
            if _differs(state_dict[key], value)
        ]
        if diffs:
            raise InvalidValueError(
                "state_dict comes from a different run and cannot resume this sampler:\n  "
                + "\n  ".join(diffs)
                + "\nBuild the sampler with the saved settings and scores, or start a fresh run."
            )
        epoch = check_int("state_dict['epoch']", state_dict.get("epoch"), minimum=0)
        position = check_int("state_dict['yielded']", state_dict.get("yielded"), minimum=0)
        saved = state_dict.get("indices_fingerprint")
        if saved != self.indices_fingerprint(epoch):
            raise InvalidValueError(
                f"state_dict comes from a different run: the indices of epoch {epoch} on rank "
                f"{self.rank} differ (fingerprint saved {saved!r}, this sampler "
                f"{self.indices_fingerprint(epoch)!r}) although every setting it can compare "
                "matches. A callable (pacing, selection or order) or data that the settings do "
                "not cover decides the order differently, or the state was edited; build the "
                "sampler as in the saved run"
            )
        size = int(self.indices(epoch).shape[0])
        if position > size:
            raise InvalidValueError(
                f"state_dict['yielded']={position} exceeds the {size} samples this rank yields "
                f"in epoch {epoch}; the state is corrupt"
            )
        self.epoch = epoch
        self._resume = (epoch, position)
        self._progress = None


def _differs(saved: Any, mine: Any) -> bool:
    """Whether a saved setting differs from this sampler's (compared as canonical JSON)."""
    try:
        return canonical_json(saved, callables="name") != canonical_json(mine, callables="name")
    except InvalidTypeError:
        return True


def _resolve_ranks(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    """Fill ``num_replicas``/``rank`` from ``torch.distributed`` when initialised, else 1/0."""
    initialised = dist.is_available() and dist.is_initialized()
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
