"""Training recipes: ordered phases, replay of earlier phases, and a floor share from step 0.

A :class:`Recipe` is an ordered list of :class:`Phase`. Each phase selects its part of the corpus
(by fields, a predicate, or "the rest"), orders it (any scorer, a field, or a combination) with its
own pacing, and has a length (its samples once, or a share of the epoch). Optionally:

* ``replay``: a share of a phase's draws taken from earlier phases' samples (against forgetting);
  these are repeats of samples already seen this epoch.
* ``floor``: chosen texts (e.g. value explanations) make up at least ``share`` of every window of
  ``window`` samples from step 0 ("values from the first token"). Where the phases alone fall
  short, floor texts already seen (or, before any was seen, any floor text) are repeated.

:meth:`Recipe.plan` resolves a recipe against records into a :class:`RecipePlan`;
:func:`recipe_order` is the pure numpy order of one epoch; :class:`RecipeSampler` runs it in a
DataLoader with ranks, ``set_epoch`` and exact mid-epoch (and mid-phase) resumption.

Every sample selected by a phase appears exactly once per epoch when no phase has a ``share`` or
``samples`` that differs from its size; replay and floor samples are counted as repeats (``kind``
1 and 2). Tolerances: a phase's replay share is met to within one sample; every full window of
``window`` consecutive samples holds at least ``ceil(share * window)`` floor texts (the last,
partial window is not padded).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._documents import read_document
from curriculum._positional import PositionalSampler
from curriculum._validation import check_int
from curriculum.ordering import curriculum_order, difficulty_rank
from curriculum.pacing import Pacing, Step, get_pacing

__all__ = [
    "KINDS",
    "Floor",
    "Phase",
    "Recipe",
    "RecipePlan",
    "RecipeSampler",
    "example_recipe",
    "recipe_order",
]

#: What a position of the order holds: the phase's own sample, a replay, or a floor repeat.
KINDS = ("own", "replay", "floor")
FRAMINGS = ("first_person", "social_scene")

Select = Mapping[str, Any] | Callable[[Mapping[str, Any]], bool] | None


@dataclass(frozen=True)
class Phase:
    """One phase of a recipe.

    Attributes:
        name: shown in tables and plots.
        select: ``{field: value or [values]}`` (all must match; the key ``score`` takes
            ``{"scorer": name, "min": x, "max": y}``, a scorer threshold), a predicate on the
            record, or None for every sample no earlier phase took.
        order: a scorer name (``"readability"``, ``"length"``, ``"concept_graph"``, ...),
            ``{"field": name}``, a list of those (weighted rank average), ``{"lexicographic":
            [...]}``, or None (random).
        pacing: a pacing name, a Pacing, or ``"levels"`` (one step per level of the order's
            first key, e.g. concept depth).
        share: share of the epoch's phase draws; None: the phase's samples, once each.
        samples: own draws per epoch, when shares are not used (fewer than the phase holds:
            only the first of its curriculum order; more: its samples repeat).
        replay: share of this phase's draws taken from earlier phases' samples.
        framing: transforms for :meth:`RecipePlan.framed`: ``first_person``, ``social_scene``,
            ``mode:<name>``.
    """

    name: str
    select: Select = None
    order: Any = "readability"
    pacing: Any = "root"
    share: float | None = None
    replay: float = 0.0
    framing: tuple[str, ...] = field(default_factory=tuple)
    samples: int | None = None


@dataclass(frozen=True)
class Floor:
    """Texts that make up at least ``share`` of every ``window`` consecutive samples."""

    select: Select
    share: float
    window: int = 100


class Recipe:
    """An ordered list of phases, with an optional floor.

    Args:
        phases: the phases, in training order.
        floor: optional :class:`Floor`.
        name: the recipe's name.
        annotate: fields to add to records before selecting: ``{"roles": "heuristic"}`` adds
            ``role`` (explains/demonstrates) where missing; ``{"graph": "example" or path}`` adds
            ``concept`` (the deepest concept touched, or "(none)"), ``has_concept`` and ``depth``.
        total: draws per epoch over all phases when phases have shares (default: the number of
            selected samples).
    """

    def __init__(
        self,
        phases: Sequence[Phase],
        *,
        floor: Floor | None = None,
        name: str = "recipe",
        annotate: Mapping[str, Any] | None = None,
        total: int | None = None,
    ) -> None:
        self.phases = list(phases)
        self.floor = floor
        self.name = name
        self.annotate = dict(annotate or {})
        self.total = total
        self._validate()

    def _validate(self) -> None:
        if not self.phases:
            raise ValueError("a recipe needs at least one phase, but got none")
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError(f"phase names must be unique, but got {names}")
        shares = [p.share for p in self.phases]
        if any(s is not None for s in shares):
            if any(s is None for s in shares):
                given = dict(zip(names, shares, strict=True))
                raise ValueError(f"give every phase a share or none, but got shares {given}")
            bad = [n for n, s in zip(names, shares, strict=True) if not 0 < s <= 1]  # type: ignore[operator]
            if bad:
                raise ValueError(f"phase shares must be in (0, 1], but phases {bad} are not")
            total = sum(shares)  # type: ignore[arg-type]
            if abs(total - 1.0) > 1e-6:
                raise ValueError(
                    f"phase shares must add up to 1, but they add up to {total:.4g}: "
                    f"{dict(zip(names, shares, strict=True))}"
                )
        for i, p in enumerate(self.phases):
            if p.samples is not None:
                check_int(f"phase {p.name!r} samples", p.samples, minimum=1)
                if p.share is not None:
                    raise ValueError(f"phase {p.name!r}: give share or samples, not both")
            if not 0 <= p.replay < 1:
                raise ValueError(
                    f"phase {p.name!r}: replay must be in [0, 1), but got {p.replay!r}"
                )
            if p.replay and i == 0:
                raise ValueError(f"phase {p.name!r} is first: there is no earlier phase to replay")
            for f in p.framing:
                if f not in FRAMINGS and not f.startswith("mode:"):
                    raise ValueError(
                        f"phase {p.name!r}: unknown framing {f!r}; "
                        f"use {list(FRAMINGS)} or mode:<name>"
                    )
        if self.floor is not None:
            if not 0 < self.floor.share < 1:
                raise ValueError(f"floor share must be in (0, 1), but got {self.floor.share!r}")
            check_int("floor window", self.floor.window, minimum=1)

    # -- files ----------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recipe:
        """From a YAML/JSON document: ``name``, ``phases``, optional ``floor``, ``annotate``."""
        if not isinstance(data, Mapping) or "phases" not in data:
            raise ValueError("a recipe document needs a top-level 'phases' list")
        known = {"name", "select", "order", "pacing", "share", "replay", "framing", "samples"}
        phases = []
        for i, raw in enumerate(data["phases"]):
            if not isinstance(raw, Mapping) or "name" not in raw:
                raise ValueError(f"phases[{i}] must be a mapping with a name")
            unknown = sorted(set(raw) - known)
            if unknown:
                raise ValueError(
                    f"phase {raw['name']!r} has unknown keys {unknown}; known: {sorted(known)}"
                )
            phases.append(Phase(**{**raw, "framing": tuple(raw.get("framing") or ())}))
        floor = data.get("floor")
        unknown_top = sorted(set(data) - {"name", "phases", "floor", "annotate", "total"})
        if unknown_top:
            raise ValueError(f"a recipe has unknown top-level keys {unknown_top}")
        return cls(
            phases,
            floor=None if floor is None else Floor(**floor),
            name=str(data.get("name", "recipe")),
            annotate=data.get("annotate"),
            total=data.get("total"),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Recipe:
        """Read a ``.yaml``/``.yml`` or ``.json`` recipe."""
        return cls.from_dict(read_document(path, "recipe"))

    def spec(self) -> str:
        """A content hash of the recipe (callables by name), for resumption checks."""
        doc = json.dumps(
            {
                "name": self.name,
                "phases": [vars(p) for p in self.phases],
                "floor": None if self.floor is None else vars(self.floor),
                "annotate": self.annotate,
                "total": self.total,
            },
            sort_keys=True,
            default=lambda o: getattr(o, "__qualname__", repr(o)),
        )
        return hashlib.blake2b(doc.encode(), digest_size=8).hexdigest()

    # -- resolving against data -----------------------------------------------------------------

    def plan(self, records: Sequence[Mapping[str, Any]], *, text_field: str = "text") -> RecipePlan:
        """Resolve the recipe against ``records`` (dicts holding ``text_field``)."""
        from curriculum._validation import check_texts

        rows = [dict(r) for r in records]
        texts = check_texts([r.get(text_field) for r in rows], name="record texts")
        self._annotate(rows, texts)
        taken = np.zeros(len(rows), dtype=bool)
        pools = []
        scores: dict[str, NDArray[np.float64]] = {}
        for phase in self.phases:
            mask = _select(phase.select, rows, phase.name, texts, scores) & ~taken
            if not mask.any():
                raise ValueError(
                    f"phase {phase.name!r} selects no sample (select={phase.select!r}); "
                    "check the field values, or drop the phase"
                )
            taken |= mask
            pools.append(np.flatnonzero(mask))
        keys, pacings = [], []
        for phase, pool in zip(self.phases, pools, strict=True):
            key, levels = _order_key(phase.order, rows, texts, scores, self, pool)
            keys.append(key)
            pacings.append(
                Step.for_groups(levels) if phase.pacing == "levels" else get_pacing(phase.pacing)
            )
        floor_mask = None
        if self.floor is not None:
            floor_mask = _select(self.floor.select, rows, "floor", texts, scores)
            if not floor_mask.any():
                raise ValueError("the floor selects no sample; check its select")
        return RecipePlan(self, rows, texts, pools, keys, pacings, floor_mask)

    def _annotate(self, rows: list[dict[str, Any]], texts: list[str]) -> None:
        roles = self.annotate.get("roles")
        if roles is not None:
            if roles != "heuristic":
                raise ValueError(f"annotate roles must be 'heuristic', but got {roles!r}")
            from curriculum.scorers.concepts import guess_role

            for row, text in zip(rows, texts, strict=True):
                row.setdefault("role", guess_role(text))
        graph_spec = self.annotate.get("graph")
        if graph_spec is not None:
            from curriculum.scorers.concepts import ConceptGraphScorer

            scorer = ConceptGraphScorer(_graph(graph_spec), roles=None, unassigned="last")
            primary = scorer.primary_concepts(texts)
            levels = scorer.levels(texts)
            for row, concepts, level in zip(rows, primary, levels, strict=True):
                row["concept"] = concepts[0] if concepts else "(none)"
                row["has_concept"] = bool(concepts)
                row["depth"] = int(level)


def example_recipe(name: str) -> Recipe:
    """A recipe shipped in ``curriculum/data/recipes``.

    Args:
        name: ``model_spec_midtraining`` or ``model_raising``.
    """
    from importlib import resources

    ref = resources.files("curriculum").joinpath(f"data/recipes/{name}.yaml")
    if not ref.is_file():
        raise ValueError(
            f"no shipped recipe {name!r}; shipped: model_spec_midtraining, model_raising"
        )
    with resources.as_file(ref) as path:
        return Recipe.load(path)


def _graph(spec: Any) -> Any:
    from curriculum.concepts import ConceptGraph, example_value_graph

    return example_value_graph() if spec == "example" else ConceptGraph.load(spec)


def _scores(
    name: str, texts: list[str], cache: dict[str, NDArray[np.float64]], graph: Any = "example"
) -> NDArray[np.float64]:
    """Scores of a registered scorer on every text, computed once per plan."""
    from curriculum.scorers import get_scorer

    if name not in cache:
        scorer = (
            get_scorer(name, graph=_graph(graph)) if name == "concept_graph" else get_scorer(name)
        )
        cache[name] = np.asarray(scorer.score(texts), dtype=np.float64)
    return cache[name]


def _select(
    select: Select,
    rows: list[dict[str, Any]],
    where: str,
    texts: list[str],
    cache: dict[str, NDArray[np.float64]],
) -> NDArray[np.bool_]:
    if select is None:
        return np.ones(len(rows), dtype=bool)
    if callable(select):
        return np.array([bool(select(r)) for r in rows], dtype=bool)
    if not isinstance(select, Mapping):
        raise TypeError(f"{where}: select must be a mapping, a predicate or None, not {select!r}")
    mask = np.ones(len(rows), dtype=bool)
    for key, wanted in select.items():
        if key == "score":
            if not isinstance(wanted, Mapping) or "scorer" not in wanted:
                raise ValueError(f"{where}: select score needs {{scorer: name, min/max: value}}")
            values = _scores(str(wanted["scorer"]), texts, cache)
            mask &= (values >= wanted.get("min", -np.inf)) & (values <= wanted.get("max", np.inf))
            continue
        if not any(key in r for r in rows):
            raise ValueError(
                f"{where}: select uses unknown field {key!r}; fields are {sorted(rows[0])} "
                "(annotate: {roles: heuristic, graph: example} adds role, concept, has_concept, "
                "depth)"
            )
        allowed = wanted if isinstance(wanted, list) else [wanted]
        mask &= np.array([r.get(key) in allowed for r in rows], dtype=bool)
    return mask


def _order_key(
    order: Any,
    rows: list[dict[str, Any]],
    texts: list[str],
    cache: dict[str, NDArray[np.float64]],
    recipe: Recipe,
    pool: NDArray[np.intp],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The ordering key of a phase's samples, and the levels its first component defines."""
    from curriculum.scorers import combine

    def one(spec: Any) -> NDArray[np.float64]:
        if isinstance(spec, Mapping) and "field" in spec:
            name = spec["field"]
            try:
                return np.array([float(rows[i][name]) for i in pool])
            except (KeyError, TypeError, ValueError):
                raise ValueError(
                    f"order field {name!r} must hold a number in every record"
                ) from None
        if not isinstance(spec, str):
            raise ValueError(f"order must name a scorer or {{field: name}}, but got {spec!r}")
        return _scores(spec, texts, cache, recipe.annotate.get("graph", "example"))[pool]

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

    @property
    def lengths(self) -> list[int]:
        """Own draws of each phase per epoch."""
        if self.recipe.phases[0].share is None:
            return [
                int(pool.size) if ph.samples is None else ph.samples
                for ph, pool in zip(self.recipe.phases, self.pools, strict=True)
            ]
        total = self.recipe.total or sum(int(p.size) for p in self.pools)
        return [max(1, round(ph.share * total)) for ph in self.recipe.phases]  # type: ignore[operator]

    @property
    def replays(self) -> list[int]:
        """Replay draws of each phase per epoch."""
        return [
            round(ph.replay / (1 - ph.replay) * n)
            for ph, n in zip(self.recipe.phases, self.lengths, strict=True)
        ]

    def order(self, seed: int = 0, epoch: int = 0) -> tuple[NDArray[np.int64], ...]:
        """``(indices, phase, kind)`` of one epoch; see :func:`recipe_order`."""
        return recipe_order(self, seed=seed, epoch=epoch)

    @functools.cached_property
    def _phase_of(self) -> NDArray[np.int64]:
        out = np.full(len(self.records), -1, dtype=np.int64)
        for k, pool in enumerate(self.pools):
            out[pool] = k
        return out

    def phase_of(self) -> NDArray[np.int64]:
        """Phase of each record (-1: selected by no phase)."""
        return self._phase_of.copy()

    def table(self, seed: int = 0, fields: Sequence[str] = ("source",)) -> list[dict[str, Any]]:
        """Per phase: draws, share of training, replay and floor repeats, field shares."""
        from curriculum.scorers import ReadabilityScorer

        order, phase, kind = self.order(seed)
        grade = ReadabilityScorer().score(self.texts)
        rows = []
        for k, ph in enumerate(self.recipe.phases):
            mine = phase == k
            idx = order[mine]
            row: dict[str, Any] = {
                "phase": ph.name,
                "samples": int(mine.sum()),
                "share": float(mine.mean()),
                "replay": int((kind[mine] == 1).sum()),
                "floor": int((kind[mine] == 2).sum()),
                "mean_grade": float(grade[idx].mean()),
            }
            for f in fields:
                values = [str(self.records[i].get(f, "")).split("/")[0] for i in idx]
                kinds, counts = np.unique(values, return_counts=True)
                row[f] = {
                    str(v): float(c / len(values)) for v, c in zip(kinds, counts, strict=True)
                }
            rows.append(row)
        return rows

    def framed(self, index: int, *, seed: int = 0, epoch: int = 0) -> str:
        """The text of record ``index`` with its phase's framing applied."""
        from curriculum.framing import FirstPerson, ModeTagger, SocialScene

        k = int(self._phase_of[index])
        record = self.records[index]
        text = self.texts[index]
        for f in self.recipe.phases[k].framing if k >= 0 else ():
            if f == "first_person":
                text = FirstPerson(seed=seed)({**record, "text": text}, index, epoch)
            elif f == "social_scene":
                text = SocialScene(seed=seed)({**record, "text": text}, index, epoch)
            else:
                mode = f.split(":", 1)[1]
                text = ModeTagger((mode,), mode="mode")({"text": text, "mode": mode}, index, epoch)
        return text


def recipe_order(
    plan: RecipePlan, *, seed: int = 0, epoch: int = 0
) -> tuple[NDArray[np.int64], ...]:
    """One epoch of a recipe: ``(indices, phase, kind)``, three arrays of equal length.

    ``phase[i]`` is the phase whose stretch of training position ``i`` falls in and ``kind[i]``
    says whether it holds that phase's own sample (0), a replay of an earlier phase (1) or a floor
    repeat (2). Own samples of phase ``k`` never appear outside phase ``k``'s stretch.
    """
    parts, phases, kinds = [], [], []
    seen: list[NDArray[np.int64]] = []
    for k, (pool, key, pacing, length, replay) in enumerate(
        zip(plan.pools, plan.keys, plan.pacings, plan.lengths, plan.replays, strict=True)
    ):
        rank = pool[difficulty_rank(key, seed=seed, stream=(k,))].astype(np.int64)
        rounds = [  # a share larger than the pool repeats it
            curriculum_order(rank, pacing, seed=seed, epoch=epoch, stream=(k, j))
            for j in range(math.ceil(length / pool.size))
        ]
        own = np.concatenate(rounds)[:length]
        rng = np.random.default_rng([seed, 3, epoch, k])
        if replay:
            earlier = np.concatenate(seen)
            extra = earlier[rng.integers(0, earlier.size, replay)]
            keys = np.concatenate(
                [
                    (np.arange(length) + rng.random()) / length,
                    (np.arange(replay) + rng.random()) / replay,
                ]
            )
            merged = np.argsort(keys, kind="stable")
            items = np.concatenate([own, extra])[merged]
            kind = np.concatenate([np.zeros(length), np.ones(replay)])[merged]
        else:
            items, kind = own, np.zeros(length)
        seen.append(own)
        parts.append(items)
        phases.append(np.full(items.size, k))
        kinds.append(kind)
    order = np.concatenate(parts).astype(np.int64)
    phase = np.concatenate(phases).astype(np.int64)
    kind = np.concatenate(kinds).astype(np.int64)
    if plan.floor_mask is None or plan.recipe.floor is None:
        return order, phase, kind
    return _apply_floor(
        order,
        phase,
        kind,
        plan.floor_mask,
        plan.recipe.floor,
        np.random.default_rng([seed, 4, epoch]),
    )


def _apply_floor(
    order: NDArray[np.int64],
    phase: NDArray[np.int64],
    kind: NDArray[np.int64],
    is_floor: NDArray[np.bool_],
    floor: Floor,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], ...]:
    """Insert floor repeats so every full window of the output holds >= ceil(share * window)."""
    window = floor.window
    need = math.ceil(floor.share * window)
    hits = is_floor[order]
    cum = np.concatenate(([0], np.cumsum(hits)))
    floor_pos = np.flatnonzero(hits)
    fallback = np.flatnonzero(is_floor)
    out_o, out_p, out_k = [], [], []
    p, n = 0, order.size
    while p < n:
        for extra in range(need + 1):
            take = min(window - extra, n - p)
            if cum[p + take] - cum[p] + extra >= need:
                break
        seen = order[floor_pos[: np.searchsorted(floor_pos, p + take)]]
        source = seen if seen.size else fallback
        repeats = source[rng.integers(0, source.size, extra)]
        slots = np.linspace(0, take + extra, extra + 2)[1:-1].astype(int)
        block = list(order[p : p + take])
        block_p = list(phase[p : p + take])
        block_k = list(kind[p : p + take])
        for s, r in zip(slots, repeats, strict=True):
            # A repeat takes the phase of the sample it is inserted before, so phases stay in order.
            after = block_p[s] if s < len(block_p) else (block_p[-1] if block_p else phase[p])
            block.insert(int(s), int(r))
            block_p.insert(int(s), int(after))
            block_k.insert(int(s), 2)
        out_o.extend(block)
        out_p.extend(block_p)
        out_k.extend(block_k)
        p += take
    return (
        np.asarray(out_o, dtype=np.int64),
        np.asarray(out_p, dtype=np.int64),
        np.asarray(out_k, dtype=np.int64),
    )


class RecipeSampler(PositionalSampler):
    """A ``Sampler[int]`` that runs a whole recipe: phases, replay and floor, epoch after epoch.

    Args:
        plan: from :meth:`Recipe.plan`.
        seed: seed of the order.
        num_replicas: number of ranks (default from ``torch.distributed``).
        rank: this rank.
        drop_last: drop the uneven tail instead of padding.
    """

    def __init__(
        self,
        plan: RecipePlan,
        *,
        seed: int = 0,
        num_replicas: int | None = None,
        rank: int | None = None,
        drop_last: bool = False,
    ) -> None:
        self.plan = plan
        self.seed = check_int("seed", seed, minimum=0)
        super().__init__(num_replicas=num_replicas, rank=rank, drop_last=drop_last)
        self._order: tuple[int, NDArray[np.int64]] | None = None

    def global_order(self, epoch: int | None = None) -> NDArray[np.signedinteger]:
        """Every rank's indices together, for ``epoch`` (default: the current epoch)."""
        epoch = self.epoch if epoch is None else check_int("epoch", epoch, minimum=0)
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, self.plan.order(self.seed, epoch)[0])
        return self._order[1]

    def _epoch_size(self) -> int:
        # Floor repeats depend on the epoch's order, so the length is the current epoch's.
        return int(self.global_order().shape[0])

    def _config(self) -> dict[str, Any]:
        from curriculum.cache import corpus_fingerprint

        return {
            "recipe": self.plan.recipe.spec(),
            "corpus": corpus_fingerprint(self.plan.texts),
            "seed": self.seed,
            "num_replicas": self.num_replicas,
            "rank": self.rank,
            "drop_last": self.drop_last,
        }
