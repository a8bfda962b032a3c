"""Concept-graph difficulty: prerequisite concepts first, explanations before demonstrations.

Each text is assigned the concepts it touches (keyword match, or embedding similarity to the
concepts' descriptions). Its *level* is the depth of the deepest concept it touches, so every text
comes after the texts of that concept's prerequisites. Texts touching no concept are placed
``"first"``, ``"last"`` (the default) or at a given depth.

With roles on, each level splits in two: texts that *explain* a value come before texts that only
*demonstrate* it (score ``2 * level + (role == "demonstrates")``). Roles come from the data
(``score(texts, roles=...)``) or, failing that, from a documented heuristic: a text counts as a
demonstration when it has more narrative cues (dialogue quotes, "said", "asked", "one day",
past-tense pronoun phrases) than explanatory cues ("because", "why", "should", "means",
"matters", "is the"...).

Pair it with ``Step.for_groups(scores)`` for one training stage per level: then no text of a
concept is drawn before every text of its prerequisites.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._validation import check_texts
from curriculum.concepts import ConceptGraph, load_graph
from curriculum.errors import InvalidValueError
from curriculum.fingerprint import canonical_json, fingerprint_json, fingerprint_texts
from curriculum.scorers.base import Scorer

__all__ = ["ROLES", "ConceptGraphScorer", "guess_role", "keyword_pattern"]

ROLES = ("explains", "demonstrates")

_EXPLAIN = re.compile(
    r"\b(because|why|means?|meaning|matters?|important|importance|should|ought|must|"
    r"virtues?|principles?|reasons?|is (?:the|a|an|what)|are (?:the|what))\b",
    re.IGNORECASE,
)
_NARRATE = re.compile(
    r"\b(said|says|asked|replied|told|answered|once|one day|yesterday|"
    r"(?:he|she|they|I|we) (?:was|were|had|did|went|came|saw|walked))\b",
    re.IGNORECASE,
)


def keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """Case-insensitive whole-word match of any keyword, punctuation included (``c++``, ``.net``).

    A keyword matches where it is not glued to a letter, digit or underscore on either side, so
    ``c++`` matches in "I write C++ daily" and ``.net`` in "on .NET", but ``lie`` not in "believe".
    """
    alternatives = "|".join(re.escape(k) for k in sorted(set(keywords), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def guess_role(text: str) -> str:
    """``"demonstrates"`` if a text reads as narrative or dialogue more than as explanation."""
    narrative = len(_NARRATE.findall(text)) + text.count('"') // 2
    explanatory = len(_EXPLAIN.findall(text))
    return "demonstrates" if narrative > explanatory else "explains"


class ConceptGraphScorer(Scorer):
    """Difficulty from a value-concept dependency graph.

    Args:
        graph: a :class:`~curriculum.concepts.ConceptGraph`, a shipped graph by name
            (``"values"``), or a path to a YAML/JSON file.
        assign: ``"keywords"`` (case-insensitive whole-word match of a concept's name or
            keywords) or ``"embedding"`` (cosine similarity of the text to the concept's
            name and description at least ``threshold``).
        threshold: similarity threshold for ``assign="embedding"``.
        unassigned: where texts touching no concept go: ``"first"`` (before depth 0),
            ``"last"`` (after the deepest concept) or an integer depth.
        roles: ``"heuristic"`` to order explanations before demonstrations within a level using
            :func:`guess_role` when no roles are passed to :meth:`score`; ``None`` to ignore roles.
        model: embedding model for ``assign="embedding"`` (see :mod:`curriculum.embeddings`).
        device: embedding device; default a GPU when present.
        batch_size: texts per embedding batch.
        cache_dir: embedding cache directory.
        progress: embedding progress bar; None shows it when stderr is a terminal.
    """

    name = "concept_graph"

    def __init__(
        self,
        graph: ConceptGraph | str | os.PathLike[str],
        *,
        assign: str = "keywords",
        threshold: float = 0.3,
        unassigned: str | int = "last",
        roles: str | None = "heuristic",
        model: str | os.PathLike[str] | None = None,
        device: str | None = None,
        batch_size: int = 64,
        cache_dir: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
    ) -> None:
        self.graph = graph
        self.assign = assign
        self.threshold = threshold
        self.unassigned = unassigned
        self.roles = roles
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.progress = progress

    # -- settings -------------------------------------------------------------------------------

    @property
    def graph_(self) -> ConceptGraph:
        """The graph, loaded when a shipped name (``values``) or a path was given."""
        if not isinstance(self.graph, ConceptGraph):
            self.graph = load_graph(self.graph)
        return self.graph

    @property
    def per_text(self) -> bool:
        """True for ``assign="keywords"`` (a text's concepts are the keywords in it).

        Embedding assignment compares a batched embedding with a threshold, where the rounding of
        other texts in the batch could tip a borderline text, so it is scored whole.
        """
        return self.assign == "keywords"

    def cache_params(self) -> dict[str, Any]:
        """Settings that change the scores, the graph as a content hash."""
        from curriculum.embeddings import model_id

        return {
            "graph": fingerprint_json(self.graph_.to_dict(), what="the concept graph"),
            "assign": self.assign,
            "threshold": self.threshold if self.assign == "embedding" else None,
            "unassigned": self.unassigned,
            "roles": self.roles,
            "model": model_id(self.model) if self.assign == "embedding" else None,
        }

    def _check(self) -> None:
        if self.assign not in ("keywords", "embedding"):
            raise InvalidValueError(
                f"assign must be 'keywords' or 'embedding', but got assign={self.assign!r}"
            )
        if self.unassigned not in ("first", "last") and (
            isinstance(self.unassigned, bool)
            or not isinstance(self.unassigned, int)
            or self.unassigned < 0
        ):
            raise InvalidValueError(
                "unassigned must be 'first', 'last' or an integer depth >= 0 ('first' places "
                f"them before depth 0), but got unassigned={self.unassigned!r}"
            )
        if self.roles not in ("heuristic", None):
            raise InvalidValueError(
                f"roles must be 'heuristic' or None, but got roles={self.roles!r}"
            )
        if not (isinstance(self.threshold, (int, float)) and -1.0 <= float(self.threshold) <= 1.0):
            raise InvalidValueError(
                f"threshold must be a cosine similarity in [-1, 1], "
                f"but got threshold={self.threshold!r}"
            )

    # -- assignment -----------------------------------------------------------------------------

    def assign_concepts(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """The concepts each text touches, in graph order (prerequisites first).

        The last assignment is kept (keyed by the corpus and the settings), so ``levels``,
        ``primary_concepts``, ``concept_counts`` and ``score`` on the same texts match once.
        """
        self._check()
        items = check_texts(texts)
        key = (fingerprint_texts(items), canonical_json(self.cache_params()))
        memo = getattr(self, "_assigned", None)
        if memo is not None and memo[0] == key:
            return list(memo[1])
        assigned = self._assign(items)
        self._assigned = (key, assigned)
        return list(assigned)

    def _assign(self, items: list[str]) -> list[tuple[str, ...]]:
        graph = self.graph_
        names = graph.order()
        if self.assign == "keywords":
            patterns = {name: keyword_pattern((name, *graph[name].keywords)) for name in names}
            return [tuple(n for n in names if patterns[n].search(text)) for text in items]
        from curriculum.embeddings import embed

        x = embed(
            items,
            model=self.model,
            batch_size=self.batch_size,
            device=self.device,
            cache_dir=self.cache_dir,
            progress=self.progress,
        )
        descriptions = [f"{n}: {graph[n].description}" for n in names]
        c = embed(
            descriptions,
            model=self.model,
            batch_size=self.batch_size,
            device=self.device,
            progress=False,
        )
        touched = (np.asarray(x) @ np.asarray(c).T) >= float(self.threshold)
        return [tuple(n for n, hit in zip(names, row, strict=True) if hit) for row in touched]

    def concept_counts(self, texts: Sequence[str]) -> dict[str, int]:
        """How many texts touch each concept (a text can touch several), plus ``"(none)"``."""
        assigned = self.assign_concepts(texts)
        counts = dict.fromkeys(self.graph_.order(), 0)
        for concepts in assigned:
            for name in concepts:
                counts[name] += 1
        counts["(none)"] = sum(1 for concepts in assigned if not concepts)
        return counts

    def levels(self, texts: Sequence[str]) -> NDArray[np.int64]:
        """Depth of the deepest concept each text touches (unassigned texts placed as set)."""
        self._check()
        graph = self.graph_
        if self.unassigned == "first":
            placement = -1
        elif self.unassigned == "last":
            placement = graph.max_depth + 1
        else:
            placement = int(self.unassigned)
        return np.array(
            [
                max((graph.depths[n] for n in concepts), default=placement)
                for concepts in self.assign_concepts(texts)
            ],
            dtype=np.int64,
        )

    def primary_concepts(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """The deepest concepts each text touches: the ones that place it."""
        depths = self.graph_.depths
        out = []
        for concepts in self.assign_concepts(texts):
            deepest = max((depths[n] for n in concepts), default=None)
            out.append(tuple(n for n in concepts if depths[n] == deepest))
        return out

    # -- scoring --------------------------------------------------------------------------------

    def score(
        self, texts: Sequence[str], roles: Sequence[str] | None = None
    ) -> NDArray[np.float64]:
        """Concept level of each text; with roles, ``2 * level + (role == "demonstrates")``.

        Args:
            texts: the corpus.
            roles: optional role per text (``"explains"`` or ``"demonstrates"``), e.g. from a
                field of the data; overrides the heuristic.
        """
        items = check_texts(texts)
        levels = self.levels(items).astype(np.float64)
        if roles is None and self.roles is None:
            return levels
        if roles is None:
            roles = [guess_role(t) for t in items]
        roles = list(roles)
        if len(roles) != len(items):
            raise InvalidValueError(
                f"roles has {len(roles)} values but there are {len(items)} texts; "
                "give one role per text"
            )
        bad = [i for i, r in enumerate(roles) if r not in ROLES]
        if bad:
            raise InvalidValueError(
                f"roles must be 'explains' or 'demonstrates', but got roles[{bad[0]}]="
                f"{roles[bad[0]]!r} ({len(bad)} such values)"
            )
        demonstrates = np.array([r == "demonstrates" for r in roles], dtype=np.float64)
        return 2.0 * levels + demonstrates
