"""Benchmark tasks: what is trained on (a pool per seed) and what is evaluated (fixed items).

* :class:`TextTask`: language modelling on any corpus, ordered by any scorer or scores file;
  validation loss by difficulty bucket (easy, medium and hard thirds of the scores).
* :class:`SkillsTask`: synthetic addition whose levels form a prerequisite chain, a
  :class:`~curriculum.ConceptGraph`; loss and exact match of the answers by level.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from curriculum._streams import Stream, rng
from curriculum._validation import check_int, check_scores, check_texts
from curriculum.concepts import ConceptGraph
from curriculum.errors import InvalidValueError

__all__ = ["EvalItem", "Pool", "SkillsTask", "TextTask", "skills_graph"]

Encode = Callable[[str], list[int]]


@dataclass(frozen=True)
class Pool:
    """One seed's training data: token ids per document, difficulty and level per document.

    ``prompts``: per document, how many leading tokens are a prompt that is not trained on when
    documents are not packed (None: every token is trained on).
    """

    docs: list[NDArray[np.int64]]
    scores: NDArray[np.float64]
    levels: NDArray[np.int64]
    prompts: NDArray[np.int64] | None = None


@dataclass(frozen=True)
class EvalItem:
    """An evaluation item: ``target`` is scored given ``prompt`` (empty: the whole text)."""

    prompt: str
    target: str
    bucket: int


class TextTask:
    """Language modelling on a corpus, ordered by a difficulty score.

    A fixed validation set (``val_share`` of the corpus, at most ``max_val`` texts, the same for
    every seed) is held out; each seed's pool is a random subset of the rest, as large as the run
    needs (one pass by default), so every arm of a seed trains on the same texts.

    Args:
        texts: the corpus.
        scores: one difficulty per text, or the path of a scores file written by
            ``curriculum score`` (its sidecar must name this corpus); None: computed with
            ``scorer``.
        scorer: a scorer name or instance, used when ``scores`` is None.
        val_share: share of the corpus held out for validation (stratified: each difficulty
            third gives its share).
        max_val: most validation texts.
        split_seed: seed of the validation split.
    """

    name = "text"
    buckets = ("easy", "medium", "hard")
    exact = False
    defaults: ClassVar[dict[str, Any]] = {
        "batch_size": 8,
        "context": 128,
        "pack": True,
        "steps": 900,
    }

    def __init__(
        self,
        texts: Sequence[str],
        *,
        scores: ArrayLike | str | os.PathLike[str] | None = None,
        scorer: Any = "readability",
        val_share: float = 0.05,
        max_val: int = 450,
        split_seed: int = 0,
    ) -> None:
        self.texts = check_texts(texts)
        n = len(self.texts)
        if not (isinstance(val_share, (int, float)) and 0 < val_share < 1):
            raise InvalidValueError(f"val_share must be in (0, 1), but got {val_share!r}")
        check_int("max_val", max_val, minimum=3)
        size = min(max_val, max(3, round(val_share * n)))
        if n < size + 10:
            raise InvalidValueError(
                f"texts has {n} texts: too few to hold out {size} for validation and train on "
                "the rest; give a larger corpus"
            )
        if isinstance(scores, (str, os.PathLike)):
            self.scores = _scores_file(Path(scores), self.texts)
        elif scores is None:
            from curriculum.datasets import score_texts

            self.scores = score_texts(self.texts, scorer=scorer)
        else:
            self.scores = check_scores(scores, name="scores", expected_len=n, what="texts")
        if np.unique(self.scores).size < 2:
            raise InvalidValueError(
                "scores are all equal, so every ordering is a shuffle and there is nothing to "
                "compare; give a scorer or scores file whose values vary"
            )
        # Buckets: thirds of the ranking (ties in a random order), so none is ever empty.
        gen = rng(split_seed, Stream.BENCH_SPLIT)
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((gen.random(n), self.scores))] = np.arange(n)
        self.levels = (3 * rank // n).astype(np.int64)
        self.edges = np.array([self.scores[self.levels == b].max() for b in (0, 1)])
        # The validation set is stratified by bucket, so each bucket has its share of it.
        val = []
        for b in range(3):
            members = gen.permutation(np.flatnonzero(self.levels == b))
            val.append(members[: min(members.size - 1, max(1, round(size * members.size / n)))])
        self.val_index = np.sort(np.concatenate(val))
        self.train_index = np.setdiff1d(np.arange(n), self.val_index)
        self._encoded: tuple[Encode, list[NDArray[np.int64]]] | None = None

    def _encode_all(self, encode: Encode) -> list[NDArray[np.int64]]:
        if self._encoded is None or self._encoded[0] is not encode:
            docs = [np.asarray(encode(self.texts[i]), dtype=np.int64) for i in self.train_index]
            self._encoded = (encode, docs)
        return self._encoded[1]

    def capacity(self, encode: Encode, *, extra: int) -> tuple[int, int]:
        """Tokens (each document plus ``extra``) and documents available for training."""
        docs = self._encode_all(encode)
        return sum(d.size + extra for d in docs), len(docs)

    def pool(self, seed: int, encode: Encode, *, tokens: int | None, docs: int | None) -> Pool:
        """A random subset of the training texts, drawn with ``seed``.

        It holds at least ``tokens`` tokens (each document plus one separator) or ``docs``
        documents.
        """
        encoded = self._encode_all(encode)
        perm = rng(seed, Stream.BENCH_POOL).permutation(len(encoded))
        if tokens is not None:
            sizes = np.array([encoded[i].size + 1 for i in perm])
            take = int(np.searchsorted(np.cumsum(sizes), tokens)) + 1
        else:
            take = int(docs or len(perm))
        chosen = np.sort(perm[: min(take, len(perm))])
        index = self.train_index[chosen]
        return Pool([encoded[i] for i in chosen], self.scores[index], self.levels[index])

    def validation(self) -> list[EvalItem]:
        """The held-out texts, bucketed by difficulty.

        Each is scored on its first ``context + 1`` tokens (every next-token prediction there).
        """
        return [EvalItem("", self.texts[i], int(self.levels[i])) for i in self.val_index]

    def describe(self) -> dict[str, Any]:
        """Settings for the report."""
        return {
            "task": self.name,
            "texts": len(self.texts),
            "validation": int(self.val_index.size),
            "bucket_edges": [float(e) for e in self.edges],
        }


def _scores_file(path: Path, texts: list[str]) -> NDArray[np.float64]:
    from curriculum.cache import load_corpus_scores

    return load_corpus_scores(
        path,
        texts,
        fix="score this corpus: curriculum score CORPUS -o scores.npy, and pass that file",
    )


def skills_graph() -> ConceptGraph:
    """The skills of :class:`SkillsTask`, each requiring the one before."""
    return ConceptGraph(
        [
            {"name": "one_digit", "description": "a + b = c with single digits, no carry."},
            {
                "name": "two_digits",
                "description": "two-digit addition without a carry.",
                "requires": ["one_digit"],
            },
            {
                "name": "carry",
                "description": "two-digit addition with a carry into the tens or hundreds.",
                "requires": ["two_digits"],
            },
            {
                "name": "three_digits",
                "description": "three-digit addition with at least one carry.",
                "requires": ["carry"],
            },
        ]
    )


def _problem(gen: np.random.Generator, skill: str) -> tuple[str, str]:
    """One problem of ``skill``: the prompt ``"a+b="`` and the sum's digits, reversed."""
    while True:
        if skill == "one_digit":
            a, b = (int(v) for v in gen.integers(0, 10, 2))
            ok = a + b < 10
        elif skill == "two_digits":
            a, b = (int(v) for v in gen.integers(10, 100, 2))
            ok = a % 10 + b % 10 < 10 and a + b < 100
        elif skill == "carry":
            a, b = (int(v) for v in gen.integers(10, 100, 2))
            ok = a % 10 + b % 10 >= 10 or a + b >= 100
        else:
            a, b = (int(v) for v in gen.integers(100, 1000, 2))
            ok = any((a // 10**k) % 10 + (b // 10**k) % 10 >= 10 for k in range(3))
        if ok:
            return f"{a}+{b}=", str(a + b)[::-1]


class SkillsTask:
    """Multi-digit addition in four skills that form a prerequisite chain.

    The skills (:func:`skills_graph`): one digit, two digits, two digits with a carry, three
    digits with carries.

    Each problem is the text ``"a+b=s"`` with the sum's digits reversed (lowest first, the
    order in which carries are computed, which small transformers learn far more easily). The
    level of a problem is its skill's depth in the graph, so ``step`` draws the skills in
    prerequisite order. Evaluation scores the answer given the prompt: loss and exact match
    (every answer token the model's top choice, which equals greedy decoding) per skill.
    ``one_digit`` has only 55 distinct problems, so it is memorised, not generalised.

    Args:
        mix: share of each skill in the training pool, easiest first (default equal).
        val_per_level: validation problems per skill (fixed, the same for every seed).
        graph: the skills' graph (default :func:`skills_graph`).
    """

    name = "skills"
    exact = True
    defaults: ClassVar[dict[str, Any]] = {
        "batch_size": 64,
        "context": 16,
        "pack": False,
        "steps": 1000,
    }

    def __init__(
        self,
        *,
        mix: Sequence[float] | None = None,
        val_per_level: int = 200,
        graph: ConceptGraph | None = None,
    ) -> None:
        self.graph = graph or skills_graph()
        self.skills = tuple(sorted(self.graph.depths, key=lambda s: (self.graph.depths[s], s)))
        unknown = [
            s for s in self.skills if s not in ("one_digit", "two_digits", "carry", "three_digits")
        ]
        if unknown:
            raise InvalidValueError(
                f"graph has skills {unknown} that SkillsTask cannot generate; use its "
                "one_digit, two_digits, carry and three_digits"
            )
        self.buckets = tuple(self.skills)
        weights = np.full(len(self.skills), 1.0) if mix is None else np.asarray(mix, dtype=float)
        if (
            weights.shape != (len(self.skills),)
            or not np.isfinite(weights).all()
            or (weights < 0).any()
            or weights.sum() <= 0
        ):
            raise InvalidValueError(
                f"mix must be {len(self.skills)} non-negative shares (one per skill, easiest "
                f"first: {', '.join(self.skills)}), but got {np.atleast_1d(weights).tolist()}"
            )
        self.mix = weights / weights.sum()
        self.val_per_level = check_int("val_per_level", val_per_level, minimum=1)
        self._levels = np.array([self.graph.depths[s] for s in self.skills], dtype=np.int64)

    def capacity(self, encode: Encode, *, extra: int) -> tuple[int, int]:
        """Unlimited: problems are generated as needed."""
        return 2**62, 2**62

    def pool(self, seed: int, encode: Encode, *, tokens: int | None, docs: int | None) -> Pool:
        """Problems drawn with ``seed`` in the mix's proportions until ``tokens`` or ``docs``."""
        gen = rng(seed, Stream.BENCH_SKILLS, 0)
        out: list[NDArray[np.int64]] = []
        kinds: list[int] = []
        prompts: list[int] = []
        total = 0
        while (tokens is not None and total < tokens) or (docs is not None and len(out) < docs):
            k = int(gen.choice(len(self.skills), p=self.mix))
            prompt, answer = _problem(gen, self.skills[k])
            head = encode(prompt)
            ids = np.asarray(head + encode(answer), dtype=np.int64)
            out.append(ids)
            kinds.append(k)
            prompts.append(len(head))
            total += ids.size + 1
        levels = self._levels[np.asarray(kinds, dtype=np.int64)]
        return Pool(out, levels.astype(np.float64), levels, np.asarray(prompts, dtype=np.int64))

    def validation(self) -> list[EvalItem]:
        """``val_per_level`` problems per skill, drawn from a fixed seed."""
        gen = rng(0, Stream.BENCH_SKILLS, 1)
        return [
            EvalItem(*_problem(gen, skill), k)
            for k, skill in enumerate(self.skills)
            for _ in range(self.val_per_level)
        ]

    def describe(self) -> dict[str, Any]:
        """Settings for the report."""
        return {
            "task": self.name,
            "skills": list(self.skills),
            "requires": {c.name: list(c.requires) for c in self.graph},
            "mix": self.mix.tolist(),
            "validation_per_skill": self.val_per_level,
        }
