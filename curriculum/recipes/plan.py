"""A recipe resolved against a corpus: which samples each phase selects and how it orders them.

:func:`plan_recipe` annotates the records (roles, concepts) where the recipe asks, selects each
phase's pool, computes each phase's ordering key through one :class:`ScoreResolver` (so every
scorer goes through the same :class:`~curriculum.cache.ScoreCache`), and builds the pacings. The
result, :class:`RecipePlan`, holds only arrays and records; its order is
:func:`curriculum.recipes.order.recipe_order` of those arrays.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from curriculum._validation import check_int, check_texts
from curriculum.errors import InvalidTypeError, InvalidValueError
from curriculum.fingerprint import fingerprint_array, fingerprint_json, fingerprint_texts
from curriculum.pacing import Pacing, Step, get_pacing
from curriculum.recipes.order import RecipeOrder, recipe_order
from curriculum.recipes.schema import Phase, Recipe, Select
from curriculum.scorers.resolver import ScoreResolver

if TYPE_CHECKING:
    from curriculum.cache import ScoreCache
    from curriculum.framing import Framer
    from curriculum.modes import ModeTagger

__all__ = ["RecipePlan", "plan_recipe"]

#: The graph a recipe's concept fields and ``concept_graph`` order use when it names none.
DEFAULT_GRAPH = "values"
#: A phase may draw its pool at most this many times per epoch (a guard against typos).
MAX_REPEATS = 1000


def plan_recipe(
    recipe: Recipe,
    records: Sequence[Mapping[str, Any]],
    *,
    text_field: str = "text",
    cache: ScoreCache | str | os.PathLike[str] | None = None,
) -> RecipePlan:
    """Resolve ``recipe`` against ``records``; see :meth:`Recipe.plan`."""
    if isinstance(records, (str, Mapping)) or not isinstance(records, Sequence):
        raise InvalidTypeError(
            f"records must be a sequence of mappings, but got {type(records).__name__}"
        )
    bad = next((i for i, r in enumerate(records) if not isinstance(r, Mapping)), None)
    if bad is not None:
        raise InvalidTypeError(
            f"records must be mappings (dicts) holding {text_field!r}, but records[{bad}] is "
            f"{type(records[bad]).__name__}"
        )
    rows = [dict(r) for r in records]
    texts = check_texts([r.get(text_field) for r in rows], name=f"records' {text_field!r}")
    resolver = ScoreResolver(texts, cache=cache)
    # One scorer for the concept fields and the concept_graph order: the corpus is matched
    # against the graph once (the scorer keeps its assignment).
    from curriculum.scorers.concepts import ConceptGraphScorer

    graph = ConceptGraphScorer(
        recipe.annotate.get("graph", DEFAULT_GRAPH), roles=None, unassigned="last"
    )
    _annotate(recipe, rows, texts, graph)
    taken = np.zeros(len(rows), dtype=bool)
    pools = []
    for phase in recipe.phases:
        mask = _select(phase.select, rows, f"phase {phase.name!r}", resolver) & ~taken
        if not mask.any():
            raise InvalidValueError(
                f"phase {phase.name!r} selects no sample (select={phase.select!r}) among the "
                f"{int((~taken).sum())} left by earlier phases; check the field values, or drop "
                "the phase"
            )
        taken |= mask
        pools.append(np.flatnonzero(mask))
    keys, pacings = [], []
    for phase, pool in zip(recipe.phases, pools, strict=True):
        key, levels = _order_key(phase, rows, pool, resolver, graph)
        keys.append(key)
        pacings.append(_pacing(phase, levels))
    floor_mask = None
    if recipe.floor is not None:
        floor_mask = _select(recipe.floor.select, rows, "the floor", resolver)
        if not floor_mask.any():
            raise InvalidValueError(
                f"the floor selects no sample (select={recipe.floor.select!r}); check its select"
            )
    return RecipePlan(recipe, rows, texts, pools, keys, pacings, floor_mask, resolver)


def _annotate(recipe: Recipe, rows: list[dict[str, Any]], texts: list[str], scorer: Any) -> None:
    """Add the fields ``recipe.annotate`` asks for; roles given in the data are kept."""
    if recipe.annotate.get("roles") == "heuristic":
        from curriculum.scorers.concepts import guess_role

        for row, text in zip(rows, texts, strict=True):
            if row.get("role") in (None, ""):
                row["role"] = guess_role(text)
    if recipe.annotate.get("graph") is not None:
        primary = scorer.primary_concepts(texts)
        levels = scorer.levels(texts)
        for row, concepts, level in zip(rows, primary, levels, strict=True):
            row["concept"] = concepts[0] if concepts else "(none)"
            row["has_concept"] = bool(concepts)
            row["depth"] = int(level)


def _select(
    select: Select, rows: list[dict[str, Any]], where: str, resolver: ScoreResolver
) -> NDArray[np.bool_]:
    if select is None:
        return np.ones(len(rows), dtype=bool)
    if callable(select):
        return np.array([bool(select(r)) for r in rows], dtype=bool)
    if not isinstance(select, Mapping):
        raise InvalidTypeError(
            f"{where}: select must be a mapping, a predicate or None, but got {select!r}"
        )
    mask = np.ones(len(rows), dtype=bool)
    for key, wanted in select.items():
        if key == "score":
            if not isinstance(wanted, Mapping) or "scorer" not in wanted:
                raise InvalidValueError(
                    f"{where}: select score needs {{scorer: name, min: x, max: y}}, "
                    f"but got {wanted!r}"
                )
            low, high = wanted.get("min", -np.inf), wanted.get("max", np.inf)
            for bound, value in (("min", low), ("max", high)):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise InvalidValueError(
                        f"{where}: select score {bound} must be a number, got {value!r}"
                    )
            values = resolver.scores(str(wanted["scorer"]))
            mask &= (values >= low) & (values <= high)
            continue
        if not any(key in r for r in rows):
            raise InvalidValueError(
                f"{where}: select uses unknown field {key!r}; fields are {sorted(rows[0])} "
                "(annotate: {roles: heuristic, graph: values} adds role, concept, has_concept, "
                "depth)"
            )
        allowed = list(wanted) if isinstance(wanted, (list, tuple)) else [wanted]
        mask &= np.array([r.get(key) in allowed for r in rows], dtype=bool)
    return mask


def _order_key(
    phase: Phase,
    rows: list[dict[str, Any]],
    pool: NDArray[np.intp],
    resolver: ScoreResolver,
    graph: Any,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The ordering key of a phase's samples, and the levels its first component defines."""
    from curriculum.scorers import combine

    def one(spec: Any) -> NDArray[np.float64]:
        if isinstance(spec, Mapping) and "field" in spec:
            name = spec["field"]
            values = [rows[i].get(name) for i in pool]
            bad = next(
                (
                    int(i)
                    for i, v in zip(pool, values, strict=True)
                    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v)
                ),
                None,
            )
            if bad is not None:
                raise InvalidValueError(
                    f"phase {phase.name!r}: order field {name!r} must hold a finite number in "
                    f"every record, but record {bad} holds {rows[bad].get(name)!r}"
                )
            return np.asarray(values, dtype=np.float64)
        if not isinstance(spec, str):
            raise InvalidValueError(
                f"phase {phase.name!r}: order must name a scorer or {{field: name}}, "
                f"but got {spec!r}"
            )
        if spec == "concept_graph":
            return _concept_key(rows, pool, resolver, graph)
        return resolver.scores(spec)[pool]

    order = phase.order
    if order is None or order == "random":
        zeros = np.zeros(pool.size)
        return zeros, zeros
    if isinstance(order, Mapping) and "lexicographic" in order:
        parts = [one(s) for s in order["lexicographic"]]
        return combine(parts, mode="lexicographic") if len(parts) > 1 else parts[0], parts[0]
    if isinstance(order, list):
        parts = [one(s) for s in order]
        key = combine(parts) if len(parts) > 1 else parts[0]
        return key, key
    key = one(order)
    return key, key


def _concept_key(
    rows: list[dict[str, Any]], pool: NDArray[np.intp], resolver: ScoreResolver, graph: Any
) -> NDArray[np.float64]:
    """Concept level, explanations first: ``2 * level + (role == "demonstrates")``.

    The level is a cached score of the graph (roles off); the role is each record's own ``role``
    field, or the heuristic where it has none.
    """
    from curriculum.scorers.concepts import ROLES, guess_role

    levels = resolver.scores(graph)[pool]
    roles = []
    for i in pool:
        role = rows[i].get("role")
        if role in (None, ""):
            role = guess_role(resolver.texts[i])
        if role not in ROLES:
            raise InvalidValueError(
                f"record {int(i)} has role={role!r}; roles must be 'explains' or 'demonstrates'"
            )
        roles.append(role == "demonstrates")
    return 2.0 * levels + np.asarray(roles, dtype=np.float64)


def _pacing(phase: Phase, levels: NDArray[np.float64]) -> Pacing:
    if phase.pacing == "levels":
        return Step.for_groups(levels)
    return get_pacing(phase.pacing)


@dataclass
class RecipePlan:
    """A recipe resolved against a corpus: who is in which phase, and how each is ordered."""

    recipe: Recipe
    records: list[dict[str, Any]]
    texts: list[str]
    pools: list[NDArray[np.intp]]
    keys: list[NDArray[np.float64]]
    pacings: list[Pacing]
    floor_mask: NDArray[np.bool_] | None
    resolver: ScoreResolver | None = field(default=None, repr=False)
    _framers: dict[tuple[int, int], Framer] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for phase, pool, length in zip(self.recipe.phases, self.pools, self.lengths, strict=True):
            if length > MAX_REPEATS * pool.size:
                raise InvalidValueError(
                    f"phase {phase.name!r} draws {length} samples per epoch from a pool of "
                    f"{pool.size}, more than {MAX_REPEATS} rounds of it; lower its samples or "
                    "share (or the recipe's total)"
                )

    @property
    def lengths(self) -> list[int]:
        """Own draws of each phase per epoch."""
        if self.recipe.phases[0].share is None:
            return [
                int(pool.size) if ph.samples is None else ph.samples
                for ph, pool in zip(self.recipe.phases, self.pools, strict=True)
            ]
        total = self.recipe.total or sum(int(p.size) for p in self.pools)
        return [max(1, round(float(ph.share or 0) * total)) for ph in self.recipe.phases]

    @property
    def replays(self) -> list[int]:
        """Replay draws of each phase per epoch."""
        return [
            round(ph.replay / (1 - ph.replay) * n)
            for ph, n in zip(self.recipe.phases, self.lengths, strict=True)
        ]

    def order(
        self, seed: int = 0, epoch: int = 0, *, num_replicas: int = 1, drop_last: bool = False
    ) -> RecipeOrder:
        """``(indices, phase, kind)`` of one epoch (:func:`~curriculum.recipes.recipe_order`).

        Args:
            seed: seed of the order.
            epoch: epoch number.
            num_replicas: ranks the order is split over: the floor then holds on each rank,
                and (without ``drop_last``) the order is padded to a multiple of them.
            drop_last: whether the ranks drop the uneven tail.
        """
        floor = self.recipe.floor
        return recipe_order(
            self.pools,
            self.keys,
            self.pacings,
            self.lengths,
            self.replays,
            floor_mask=self.floor_mask,
            floor_need=0 if floor is None else floor.need,
            floor_window=1 if floor is None else floor.window,
            seed=check_int("seed", seed, minimum=0),
            epoch=check_int("epoch", epoch, minimum=0),
            num_replicas=check_int("num_replicas", num_replicas, minimum=1),
            drop_last=drop_last,
        )

    @functools.cached_property
    def fingerprint(self) -> str:
        """Hash of everything that decides the order: pools, keys, pacings, lengths, floor."""
        return fingerprint_json(
            {
                "recipe": self.recipe.spec(),
                "corpus": fingerprint_texts(self.texts),
                "pools": [fingerprint_array(p.astype(np.int64)) for p in self.pools],
                "keys": [fingerprint_array(k) for k in self.keys],
                "pacings": [p.spec() for p in self.pacings],
                "lengths": self.lengths,
                "replays": self.replays,
                "floor": None if self.floor_mask is None else fingerprint_array(self.floor_mask),
            },
            callables="name",
            digest_size=16,
        )

    @functools.cached_property
    def _phase_of(self) -> NDArray[np.int64]:
        out = np.full(len(self.records), -1, dtype=np.int64)
        for k, pool in enumerate(self.pools):
            out[pool] = k
        return out

    def phase_of(self) -> NDArray[np.int64]:
        """Phase of each record (-1: selected by no phase)."""
        return self._phase_of.copy()

    def framer(self, phase: int, *, seed: int = 0) -> Framer:
        """The framing pipeline of ``phase``: its transforms, then escaping and its mode tag.

        Tag-like strings of every mode the recipe uses are escaped in every phase's texts, even
        in phases that add no tag, so no text can forge a boundary anywhere in the corpus.
        """
        from curriculum.framing import Framer

        key = (check_int("phase", phase, minimum=0), check_int("seed", seed, minimum=0))
        if key not in self._framers:
            spec = self.recipe.phases[phase]
            self._framers[key] = Framer(
                spec.transforms, tagger=self._tagger, mode=spec.mode, seed=seed
            )
        return self._framers[key]

    @functools.cached_property
    def _tagger(self) -> ModeTagger | None:
        """The one tagger of the recipe's modes (escape only; phases pick their mode)."""
        from curriculum.modes import ModeTagger

        return ModeTagger(self.recipe.modes, mode=None) if self.recipe.modes else None

    def framed(self, index: int, *, seed: int = 0, epoch: int = 0) -> str:
        """The text of record ``index`` with its phase's framing applied (tags last)."""
        index = check_int("index", index, minimum=0)
        if index >= len(self.records):
            raise InvalidValueError(
                f"index must be < {len(self.records)} (the number of records), but got {index}"
            )
        k = int(self._phase_of[index])
        record = {**self.records[index], "text": self.texts[index]}
        if k < 0:  # selected by no phase: only escaped, when the recipe tags at all
            tagger = self._tagger
            text = self.texts[index]
            return text if tagger is None else tagger.tag(text, None, index)
        return self.framer(k, seed=seed)(record, index, epoch)

    def table(self, seed: int = 0, fields: Sequence[str] = ("source",)) -> list[dict[str, Any]]:
        """Per phase: draws, share, replay and floor repeats, mean grade, field shares.

        See :func:`curriculum.report.plan_table`.
        """
        from curriculum.report import plan_table

        return plan_table(self, seed=seed, fields=fields)
