"""CurriculumSampler: a drop-in ``Sampler[int]`` that feeds samples from easy to hard."""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch.distributed as dist
from numpy.typing import ArrayLike, NDArray
from torch.utils.data import Sampler

from curriculum._validation import check_int, check_scores, check_strata, fingerprint_array
from curriculum.ordering import (
    curriculum_order,
    difficulty_rank,
    rank_share,
    stratified_order,
    stratified_ranks,
)
from curriculum.pacing import PacingLike, get_pacing

if TYPE_CHECKING:
    from curriculum.cache import ScoreCache
    from curriculum.scorers.base import Scorer

__all__ = ["CurriculumSampler"]

_STATE_VERSION = 1
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


class CurriculumSampler(Sampler[int]):
    """Samples indices from easy to hard, paced by a competence function.

    At each position it draws, uniformly at random, one of the samples that the pacing has opened
    (the easiest ``competence * N`` of the ranking) and that has not been drawn yet this epoch, so
    every index is emitted exactly once per epoch. If the pacing opens fewer samples than have
    been drawn, the window widens just enough to take the next easiest unseen sample. The
    curriculum spans ``num_samples`` draws (summed over ranks); after that, epochs are plain
    shuffles. See :mod:`curriculum.ordering` for the exact model.

    It follows ``DistributedSampler``: call :meth:`set_epoch` at the start of every epoch, and
    every rank takes a disjoint share (``rank::num_replicas``) of the same global order. It is
    ``Stateful`` in torchdata's sense: :meth:`state_dict` is small and JSON-serialisable, and a
    sampler given it with :meth:`load_state_dict` yields exactly the rest of the interrupted epoch.

    Args:
        scores: one difficulty per dataset sample; higher is harder.
        pacing: a name (``"root"``, ``"linear"``, ``"geometric"``, ``"step"``, ``"constant"``),
            a :class:`~curriculum.pacing.Pacing`, or a callable ``progress -> competence``.
        num_samples: draws over which competence goes from ``c0`` to 1, summed over all ranks
            (for example ``steps * batch_size * world_size``). Default: one epoch, ``len(scores)``.
        seed: seed of the order; the same seed gives the same order on every rank and run.
        num_replicas: number of ranks; default the ``torch.distributed`` world size, else 1.
        rank: this rank; default the ``torch.distributed`` rank, else 0.
        reverse: hardest first (anti-curriculum), for benchmarks.
        drop_last: drop the tail that does not divide evenly among ranks instead of padding.
        c0: start competence of a named pacing (its default when None).
        full_at: share of the curriculum at which competence reaches 1 (default 1.0).
        dataset: optional; when given, its length must equal ``len(scores)``.
        strata: optional label per sample (cluster, source, concept). Each stratum then runs its
            own curriculum and the strata are interleaved in proportion to their sizes, so every
            stage of training is as diverse as the corpus (see
            :func:`~curriculum.ordering.stratified_order`).
        max_blocks: time resolution of the pacing within an epoch.

    Example:
        >>> sampler = CurriculumSampler(scores, pacing="root", seed=0)  # doctest: +SKIP
        >>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)  # doctest: +SKIP
    """

    def __init__(
        self,
        scores: ArrayLike,
        *,
        pacing: PacingLike = "root",
        num_samples: int | None = None,
        seed: int = 0,
        num_replicas: int | None = None,
        rank: int | None = None,
        reverse: bool = False,
        drop_last: bool = False,
        c0: float | None = None,
        full_at: float | None = None,
        dataset: Sequence[Any] | None = None,
        strata: ArrayLike | None = None,
        max_blocks: int = 512,
    ) -> None:
        expected = None if dataset is None else len(dataset)
        self.scores = check_scores(scores, expected_len=expected)
        self.pacing = get_pacing(pacing, c0=c0, full_at=full_at)
        n = self.scores.shape[0]
        self.num_samples = check_int(
            "num_samples", n if num_samples is None else num_samples, minimum=1
        )
        self.seed = check_int("seed", seed, minimum=0)
        self.num_replicas, self.rank = _resolve_ranks(num_replicas, rank)
        self.reverse = bool(reverse)
        self.drop_last = bool(drop_last)
        self.max_blocks = check_int("max_blocks", max_blocks, minimum=1)
        self.strata = None if strata is None else check_strata(strata, n)
        if self.drop_last and n < self.num_replicas:
            raise ValueError(
                f"drop_last=True with {n} samples and num_replicas={self.num_replicas} leaves "
                "every rank empty; use drop_last=False or more samples"
            )
        self.epoch = 0
        self._rank_order: list[NDArray[np.signedinteger]] | None = None
        self._fingerprint: str | None = None
        self._cached: tuple[int, NDArray[np.signedinteger]] | None = None
        self._resume: tuple[int, int] | None = None
        self._progress: _Progress | None = None

    # -- construction helpers -------------------------------------------------------------------

    @classmethod
    def from_texts(
        cls,
        texts: Sequence[str],
        *,
        scorer: Scorer | str = "readability",
        cache: ScoreCache | str | None = None,
        **kwargs: Any,
    ) -> CurriculumSampler:
        """Score ``texts`` (through ``cache`` when given) and build a sampler over them.

        Args:
            texts: the corpus, in dataset order.
            scorer: a scorer instance or a registered name (``"readability"``, ``"length"``, ...).
            cache: a :class:`~curriculum.cache.ScoreCache` or a directory for one.
            **kwargs: passed to :class:`CurriculumSampler`.
        """
        from curriculum.datasets import score_texts

        return cls(score_texts(texts, scorer=scorer, cache=cache), **kwargs)

    @classmethod
    def from_dataset(
        cls,
        dataset: Any,
        *,
        text_field: str = "text",
        scorer: Scorer | str = "readability",
        cache: ScoreCache | str | None = None,
        **kwargs: Any,
    ) -> CurriculumSampler:
        """Build a sampler for a map-style dataset (HF ``datasets.Dataset`` or any ``__getitem__``).

        Args:
            dataset: items are strings, or mappings holding ``text_field``.
            text_field: the column or key holding the text.
            scorer: a scorer instance or a registered name.
            cache: a :class:`~curriculum.cache.ScoreCache` or a directory for one.
            **kwargs: passed to :class:`CurriculumSampler`.
        """
        from curriculum.datasets import dataset_texts

        texts = dataset_texts(dataset, text_field=text_field)
        return cls.from_texts(texts, scorer=scorer, cache=cache, **kwargs)

    # -- Sampler protocol -----------------------------------------------------------------------

    def __len__(self) -> int:
        """Indices this rank yields per epoch."""
        n = self.scores.shape[0]
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

    # -- the order ------------------------------------------------------------------------------

    def global_order(self, epoch: int | None = None) -> NDArray[np.signedinteger]:
        """The order of all ranks together for ``epoch`` (default: the current epoch)."""
        epoch = self.epoch if epoch is None else check_int("epoch", epoch, minimum=0)
        if self._rank_order is None:  # the ranking is computed once per sampler
            self._rank_order = (
                [difficulty_rank(self.scores, seed=self.seed, reverse=self.reverse)]
                if self.strata is None
                else stratified_ranks(
                    self.scores, self.strata, seed=self.seed, reverse=self.reverse
                )
            )
        if self.strata is None:
            return curriculum_order(
                self._rank_order[0],
                self.pacing,
                num_samples=self.num_samples,
                seed=self.seed,
                epoch=epoch,
                max_blocks=self.max_blocks,
            )
        return stratified_order(
            self._rank_order,
            self.pacing,
            num_samples=self.num_samples,
            seed=self.seed,
            epoch=epoch,
            max_blocks=self.max_blocks,
        )

    def indices(self, epoch: int | None = None) -> NDArray[np.signedinteger]:
        """This rank's indices for ``epoch`` (default: the current epoch), as a numpy array."""
        epoch = self.epoch if epoch is None else check_int("epoch", epoch, minimum=0)
        if self._cached is None or self._cached[0] != epoch:
            order = self.global_order(epoch)
            share = rank_share(order, self.num_replicas, self.rank, drop_last=self.drop_last)
            self._cached = (epoch, share)
        return self._cached[1]

    # -- Stateful -------------------------------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        """Content hash of the scores; a saved state only resumes on the same scores."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint_array(self.scores)
        return self._fingerprint

    def _config(self) -> dict[str, Any]:
        return {
            "num_items": int(self.scores.shape[0]),
            "scores_fingerprint": self.fingerprint,
            "pacing": self.pacing.spec(),
            "num_samples": self.num_samples,
            "seed": self.seed,
            "num_replicas": self.num_replicas,
            "rank": self.rank,
            "reverse": self.reverse,
            "drop_last": self.drop_last,
            "max_blocks": self.max_blocks,
            "strata_fingerprint": None if self.strata is None else fingerprint_array(self.strata),
        }

    def state_dict(self) -> dict[str, Any]:
        """Small JSON-serialisable state: position in the epoch plus the settings that fix it."""
        if self._progress is not None:
            epoch, position = self._progress.epoch, self._progress.position
        elif self._resume is not None:
            epoch, position = self._resume
        else:
            epoch, position = self.epoch, 0
        return {"version": _STATE_VERSION, "epoch": epoch, "yielded": position, **self._config()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict`: the next iteration yields the rest of that epoch.

        Raises:
            TypeError: ``state_dict`` is not a mapping.
            ValueError: it is malformed, or was saved with other scores or settings; the
                message lists every difference.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"state_dict must be a dict from CurriculumSampler.state_dict(), "
                f"but got {type(state_dict).__name__}"
            )
        version = state_dict.get("version")
        if version != _STATE_VERSION:
            raise ValueError(
                f"state_dict has version={version!r}, this sampler reads version "
                f"{_STATE_VERSION}; it was not saved by this CurriculumSampler"
            )
        mine = self._config()
        missing = sorted(set(mine) - set(state_dict))
        if missing:
            raise ValueError(f"state_dict lacks keys {missing}; save it with state_dict()")
        diffs = [
            f"{key}: saved {state_dict[key]!r}, this sampler {value!r}"
            for key, value in mine.items()
            if state_dict[key] != value
        ]
        if diffs:
            raise ValueError(
                "state_dict comes from a different run and cannot resume this sampler:\n  "
                + "\n  ".join(diffs)
                + "\nBuild the sampler with the saved settings and scores, or start a fresh run."
            )
        epoch = check_int("state_dict['epoch']", state_dict.get("epoch"), minimum=0)
        position = check_int("state_dict['yielded']", state_dict.get("yielded"), minimum=0)
        if position > len(self):
            raise ValueError(
                f"state_dict['yielded']={position} exceeds this rank's {len(self)} samples "
                "per epoch; the state is corrupt"
            )
        self.epoch = epoch
        self._resume = (epoch, position)
        self._progress = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n={self.scores.shape[0]}, pacing={self.pacing!r}, "
            f"num_samples={self.num_samples}, seed={self.seed}, rank={self.rank}/"
            f"{self.num_replicas}, reverse={self.reverse})"
        )


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
        raise ValueError(
            f"rank must be in [0, num_replicas - 1] = [0, {num_replicas - 1}], but got rank={rank}"
        )
    return num_replicas, rank
