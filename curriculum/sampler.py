"""CurriculumSampler: a drop-in ``Sampler[int]`` that feeds samples from easy to hard."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from curriculum._positional import PositionalSampler, Split
from curriculum._validation import check_int, check_scores, check_strata, fingerprint_array
from curriculum.errors import InvalidValueError
from curriculum.ordering import (
    curriculum_order,
    difficulty_rank,
    stratified_order,
    stratified_ranks,
)
from curriculum.pacing import PacingLike, get_pacing
from curriculum.ranking_cache import shared_ranking

if TYPE_CHECKING:
    from curriculum.cache import ScoreCache
    from curriculum.scorers.base import Scorer

__all__ = ["CurriculumSampler"]


class CurriculumSampler(PositionalSampler):
    """Samples indices from easy to hard, paced by a competence function.

    At each position it draws, uniformly at random, one of the samples that the pacing has opened
    (the easiest ``competence * N`` of the ranking) and that has not been drawn yet this epoch, so
    every index is emitted exactly once per epoch. If the pacing opens fewer samples than have
    been drawn, the window widens just enough to take the next easiest unseen sample. The
    curriculum spans ``num_samples`` draws (summed over ranks); after that, epochs are plain
    shuffles. See :mod:`curriculum.ordering` for the exact model.

    It follows ``DistributedSampler``: every rank takes a disjoint share (``rank::num_replicas``)
    of the same global order, and :meth:`set_epoch` chooses the epoch. Iterating again after a
    complete epoch without :meth:`set_epoch` starts the next epoch (``DistributedSampler`` would
    replay the same one, and a curriculum spanning several epochs would stall). Rank rule: it
    splits only when it reads the ranks from ``torch.distributed`` and no framework shards
    batches itself; once an accelerate ``Accelerator`` exists (Hugging Face ``Trainer`` makes
    one) it is global.

    It is ``Stateful`` in torchdata's sense: :meth:`state_dict` is small and JSON-serialisable
    and records how far the epoch's global order has been read, so a sampler given it with
    :meth:`load_state_dict`, on this number of ranks or another, reads exactly the rest of the
    interrupted epoch. :meth:`stats` gives progress, competence and the mean difficulty of what
    was drawn, for logging.

    Args:
        scores: one difficulty per dataset sample; higher is harder.
        pacing: a name (``"root"``, ``"linear"``, ``"geometric"``, ``"step"``, ``"constant"``),
            a :class:`~curriculum.pacing.Pacing`, or a callable ``progress -> competence``.
        num_samples: draws over which competence goes from ``c0`` to 1, summed over all ranks
            (:func:`~curriculum.training_span` computes it from a run's steps or epochs).
            Default: one epoch, ``len(scores)``.
        seed: seed of the order; the same seed gives the same order on every rank and run.
        num_replicas: number of ranks; default by the rank rule above (the ``torch.distributed``
            world size, else 1).
        rank: this rank; default by the rank rule above.
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
        ranking_dir: optional directory (the score cache, say) where the ranking is stored and
            memory-mapped: the first rank on a node computes it, the others map it instead of
            computing it again (see :mod:`curriculum.ranking_cache`). Default: every sampler
            computes its own. A directory that cannot be written is an error, except the one
            :meth:`from_texts` defaults to its score cache: then a warning, and the ranking is
            kept in memory.

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
        ranking_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        expected = None if dataset is None else len(dataset)
        self.scores = check_scores(scores, expected_len=expected)
        self.pacing = get_pacing(pacing, c0=c0, full_at=full_at)
        n = self.scores.shape[0]
        self.num_samples = check_int(
            "num_samples", n if num_samples is None else num_samples, minimum=1
        )
        self.seed = check_int("seed", seed, minimum=0)
        super().__init__(num_replicas=num_replicas, rank=rank, drop_last=drop_last)
        self.reverse = bool(reverse)
        self.max_blocks = check_int("max_blocks", max_blocks, minimum=1)
        self.strata = None if strata is None else check_strata(strata, n)
        # Hashed once: every state_dict (a StatefulDataLoader takes one per batch) carries it.
        self._strata_fingerprint = None if self.strata is None else fingerprint_array(self.strata)
        if self.strata is not None and self.pacing.exhaustive:
            raise InvalidValueError(
                f"pacing={self.pacing!r} draws one stage per level of the whole ranking, which "
                "strata cannot keep (each stratum holds its own share of every level); drop "
                "strata=, or use a Step without exhaustive=True"
            )
        if self.drop_last and n < self.num_replicas:
            raise InvalidValueError(
                f"drop_last=True with {n} samples and num_replicas={self.num_replicas} leaves "
                "every rank empty; use drop_last=False or more samples"
            )
        self.ranking_dir = None if ranking_dir is None else Path(ranking_dir)
        self._ranking_optional = False  # from_texts: a cache that cannot be written is skipped
        self._rank_order: list[NDArray[np.signedinteger]] | None = None
        self._fingerprint: str | None = None
        self._epoch_order: tuple[int, NDArray[np.signedinteger]] | None = None
        self._percentiles: NDArray[np.float64] | None = None

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
            cache: a :class:`~curriculum.cache.ScoreCache` or a directory for one. The ranking
                is stored there too (``ranking_dir``), so the ranks of a node compute it once;
                if the directory cannot be written, a warning says so and the ranking stays in
                memory.
            **kwargs: passed to :class:`CurriculumSampler`.
        """
        from curriculum.cache import ScoreCache
        from curriculum.datasets import score_texts

        defaulted = cache is not None and "ranking_dir" not in kwargs
        if defaulted:
            kwargs["ranking_dir"] = cache.directory if isinstance(cache, ScoreCache) else cache
        sampler = cls(score_texts(texts, scorer=scorer, cache=cache), **kwargs)
        sampler._ranking_optional = defaulted  # a read-only cache still serves the scores
        return sampler

    @classmethod
    def from_dataset(
        cls,
        dataset: Any,
        *,
        text_field: str = "text",
        score_column: str | None = None,
        scorer: Scorer | str = "readability",
        cache: ScoreCache | str | None = None,
        **kwargs: Any,
    ) -> CurriculumSampler:
        """Build a sampler for a map-style dataset (HF ``datasets.Dataset`` or any ``__getitem__``).

        Args:
            dataset: items are strings, or mappings holding ``text_field`` (or ``score_column``).
                A ``DatasetDict`` or an iterable dataset is refused: pass one map-style split.
            text_field: the column or key holding the text, scored by ``scorer``.
            score_column: the column or key that already holds each item's difficulty (for
                tokenized datasets that carry their scores); no text is read then.
            scorer: a scorer instance or a registered name.
            cache: a :class:`~curriculum.cache.ScoreCache` or a directory for one (scores and
                ranking, as in :meth:`from_texts`).
            **kwargs: passed to :class:`CurriculumSampler`.
        """
        from curriculum.datasets import dataset_scores, dataset_texts

        if score_column is not None:
            return cls(dataset_scores(dataset, score_column=score_column), **kwargs)
        texts = dataset_texts(dataset, text_field=text_field)
        return cls.from_texts(texts, scorer=scorer, cache=cache, **kwargs)

    def _epoch_size(self) -> int:
        return int(self.scores.shape[0])

    # -- the order ------------------------------------------------------------------------------

    def _ranks(self) -> list[NDArray[np.signedinteger]]:
        if self._rank_order is None:  # the ranking is computed once per sampler
            if self.ranking_dir is None:
                self._rank_order = self._compute_ranks()
            else:
                key = {
                    "scores": self.fingerprint,
                    "count": int(self.scores.shape[0]),
                    "seed": self.seed,
                    "reverse": self.reverse,
                    "strata": self._strata_fingerprint,
                }
                self._rank_order = shared_ranking(
                    self.ranking_dir, key, self._compute_ranks, optional=self._ranking_optional
                )
        return self._rank_order

    def _compute_ranks(self) -> list[NDArray[np.signedinteger]]:
        if self.strata is None:
            return [difficulty_rank(self.scores, seed=self.seed, reverse=self.reverse)]
        return stratified_ranks(self.scores, self.strata, seed=self.seed, reverse=self.reverse)

    def ranking(self) -> NDArray[np.signedinteger] | None:
        """The easy-to-hard ranking the pacing opens (ties broken per seed); None with strata."""
        return None if self.strata is not None else self._ranks()[0]

    def _order(self, epoch: int, split: Split) -> NDArray[np.signedinteger]:
        # The order does not depend on the split: ranks only take shares of it.
        if self._epoch_order is not None and self._epoch_order[0] == epoch:
            return self._epoch_order[1]
        ranks = self._ranks()
        common = {
            "num_samples": self.num_samples,
            "seed": self.seed,
            "epoch": epoch,
            "max_blocks": self.max_blocks,
        }
        if self.strata is None:
            order = curriculum_order(ranks[0], self.pacing, **common)
        else:
            order = stratified_order(ranks, self.pacing, **common)
        self._epoch_order = (epoch, order)
        return order

    # -- what training sees ---------------------------------------------------------------------

    def percentiles(self) -> NDArray[np.float64]:
        """Difficulty percentile (0 easiest, 100 hardest) of every sample, ties broken per seed."""
        if self._percentiles is None:
            n = self.scores.shape[0]
            ranking = (  # the sampler's own ranking when it is this one (shared, if stored)
                self._ranks()[0]
                if self.strata is None and not self.reverse
                else difficulty_rank(self.scores, seed=self.seed)
            )
            pct = np.empty(n, dtype=np.float64)
            pct[ranking] = np.arange(n) * (100.0 / max(n - 1, 1))
            self._percentiles = pct
        return self._percentiles

    def stats(self, seen: int | None = None, *, window: int | None = None) -> dict[str, float]:
        """Where the curriculum is after ``seen`` global draws: the numbers worth logging.

        Args:
            seen: draws of all ranks together since the start of training (whole epochs count
                ``len(scores)`` each). Default: :meth:`samples_seen`, this sampler's own count,
                which runs ahead of training when a ``DataLoader`` prefetches.
            window: draws the mean difficulty is taken over, ending at ``seen``. Default: the
                last 1% of an epoch (at least 1).

        Returns:
            ``progress`` (share of the curriculum span done, 0-1), ``competence`` (share of the
            ranking the pacing has opened, 0-1) and ``difficulty`` (mean percentile, 0-100, of
            the samples in the window; NaN before the first draw).
        """
        n = int(self.scores.shape[0])
        seen = self.samples_seen() if seen is None else check_int("seen", seen, minimum=0)
        window = max(1, n // 100) if window is None else check_int("window", window, minimum=1)
        progress = min(1.0, seen / self.num_samples)
        competence = 1.0 if progress >= 1.0 else float(self.pacing(np.array([progress]))[0])
        drawn: list[NDArray[np.signedinteger]] = []
        lo = max(0, seen - window)
        for epoch in range(lo // n, -(-seen // n)):  # the epochs the window touches
            a, b = max(lo - epoch * n, 0), min(seen - epoch * n, n)
            drawn.append(self._order(epoch, self._split)[a:b])
        picked = np.concatenate(drawn) if drawn else np.empty(0, dtype=np.int64)
        difficulty = float(self.percentiles()[picked].mean()) if picked.size else float("nan")
        return {"progress": progress, "competence": competence, "difficulty": difficulty}

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
            "reverse": self.reverse,
            "max_blocks": self.max_blocks,
            "strata_fingerprint": self._strata_fingerprint,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n={self.scores.shape[0]}, pacing={self.pacing!r}, "
            f"num_samples={self.num_samples}, seed={self.seed}, rank={self.rank}/"
            f"{self.num_replicas}, reverse={self.reverse})"
        )
