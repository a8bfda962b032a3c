"""What a recipe says: :class:`Phase`, :class:`Floor`, :class:`Recipe`, and its YAML/JSON form.

Nothing here reads records or draws an order: :meth:`Recipe.plan` resolves a recipe against a
corpus (:mod:`curriculum.recipes.plan`), and the order is computed from the plan's arrays
(:mod:`curriculum.recipes.order`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from curriculum._documents import read_document
from curriculum._validation import check_int
from curriculum.errors import InvalidTypeError, InvalidValueError
from curriculum.fingerprint import fingerprint_json
from curriculum.framing import FRAMINGS
from curriculum.modes import ModeTagger

if TYPE_CHECKING:
    from curriculum.cache import ScoreCache
    from curriculum.recipes.plan import RecipePlan

__all__ = ["SHIPPED_RECIPES", "Floor", "Phase", "Recipe", "Select", "example_recipe"]

Select = Mapping[str, Any] | Callable[[Mapping[str, Any]], bool] | None

#: Recipes shipped in ``curriculum/data/recipes`` (``-`` and ``_`` are interchangeable).
SHIPPED_RECIPES = ("model_spec_midtraining", "model_raising")
_MODE = "mode:"


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
        pacing: a pacing name, a Pacing, or ``"levels"`` (one stage per level of the order's
            first key, e.g. concept depth, drawn in full one after the other).
        share: share of the epoch's phase draws; None: the phase's samples, once each.
        samples: own draws per epoch, when shares are not used (fewer than the phase holds:
            only the first of its curriculum order; more: its samples repeat).
        replay: share of this phase's draws taken from earlier phases' samples.
        framing: transforms for :meth:`RecipePlan.framed`, by registered name
            (``first_person``, ``social_scene``, see :data:`curriculum.framing.FRAMINGS`), and
            at most one ``mode:<name>``. Mode tags are always applied last, whatever their
            place in the list.
    """

    name: str
    select: Select = None
    order: Any = "readability"
    pacing: Any = "root"
    share: float | None = None
    replay: float = 0.0
    framing: tuple[str, ...] = field(default_factory=tuple)
    samples: int | None = None

    @property
    def mode(self) -> str | None:
        """The mode this phase's texts are tagged with, if any."""
        modes = [f[len(_MODE) :] for f in self.framing if f.startswith(_MODE)]
        return modes[0] if modes else None

    @property
    def transforms(self) -> tuple[str, ...]:
        """The framing transforms, in order, without the mode tag."""
        return tuple(f for f in self.framing if not f.startswith(_MODE))


@dataclass(frozen=True)
class Floor:
    """Texts that make up at least ``share`` of every ``window`` consecutive samples.

    "Every" means every sliding window, from the first sample, in the global order and on every
    rank: at least ``ceil(share * window)`` floor texts (:attr:`need`).
    """

    select: Select
    share: float
    window: int = 100

    @property
    def need(self) -> int:
        """Floor texts required in every window."""
        return math.ceil(self.share * self.window - 1e-9)


class Recipe:
    """An ordered list of phases, with an optional floor.

    Args:
        phases: the phases, in training order.
        floor: optional :class:`Floor`.
        name: the recipe's name.
        annotate: fields to add to records before selecting: ``{"roles": "heuristic"}`` adds
            ``role`` (explains/demonstrates) where a record has none; ``{"graph": "values"}``
            (the shipped value graph; also ``"example"``) or a graph file adds ``concept`` (the
            deepest concept touched, or "(none)"), ``has_concept`` and ``depth``.
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
        if isinstance(phases, (str, Mapping)) or not isinstance(phases, Sequence):
            raise InvalidTypeError(
                f"phases must be a list of Phase, but got {type(phases).__name__}: {phases!r:.60}"
            )
        self.phases = list(phases)
        self.floor = floor
        self.name = name
        if annotate is not None and not isinstance(annotate, Mapping):
            raise InvalidTypeError(
                f"annotate must be a mapping such as {{roles: heuristic, graph: values}}, "
                f"but got annotate={annotate!r}"
            )
        self.annotate = dict(annotate or {})
        self.total = check_int("total", total, minimum=1, allow_none=True)
        self._validate()

    def _validate(self) -> None:
        if not self.phases:
            raise InvalidValueError("a recipe needs at least one phase, but got none")
        bad = [p for p in self.phases if not isinstance(p, Phase)]
        if bad:
            raise InvalidTypeError(f"phases must be Phase objects, but got {bad[0]!r:.80}")
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise InvalidValueError(f"phase names must be unique, but got {names}")
        self._validate_shares(names)
        for i, p in enumerate(self.phases):
            if p.samples is not None:
                check_int(f"phase {p.name!r} samples", p.samples, minimum=1)
                if p.share is not None:
                    raise InvalidValueError(f"phase {p.name!r}: give share or samples, not both")
            if isinstance(p.replay, bool) or not isinstance(p.replay, (int, float)):
                raise InvalidTypeError(
                    f"phase {p.name!r}: replay must be a number in [0, 1), but got {p.replay!r}"
                )
            if not 0 <= p.replay < 1:
                raise InvalidValueError(
                    f"phase {p.name!r}: replay must be in [0, 1), but got {p.replay!r}"
                )
            if p.replay and i == 0:
                raise InvalidValueError(
                    f"phase {p.name!r} is first: there is no earlier phase to replay"
                )
            self._validate_framing(p)
        unknown = sorted(set(self.annotate) - {"roles", "graph"})
        if unknown:
            raise InvalidValueError(
                f"annotate has unknown keys {unknown}; known: roles (heuristic), graph"
            )
        if self.annotate.get("roles") not in (None, "heuristic"):
            raise InvalidValueError(
                f"annotate roles must be 'heuristic', but got {self.annotate['roles']!r}"
            )
        if self.floor is not None:
            self._validate_floor(self.floor)

    def _validate_shares(self, names: list[str]) -> None:
        shares = [p.share for p in self.phases]
        if all(s is None for s in shares):
            return
        given = dict(zip(names, shares, strict=True))
        if any(s is None for s in shares):
            raise InvalidValueError(f"give every phase a share or none, but got shares {given}")
        bad = [
            n
            for n, s in given.items()
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 < s <= 1
        ]
        if bad:
            raise InvalidValueError(
                f"phase shares must be numbers in (0, 1], but phases {bad} are not: {given}"
            )
        total = sum(float(s) for s in given.values() if s is not None)
        if abs(total - 1.0) > 1e-6:
            raise InvalidValueError(
                f"phase shares must add up to 1, but they add up to {total:.4g}: {given}"
            )

    @staticmethod
    def _validate_framing(p: Phase) -> None:
        if isinstance(p.framing, str) or not isinstance(p.framing, (tuple, list)):
            raise InvalidTypeError(
                f"phase {p.name!r}: framing must be a list of names, but got {p.framing!r}"
            )
        modes = []
        for f in p.framing:
            if isinstance(f, str) and f.startswith(_MODE):
                modes.append(f[len(_MODE) :])
            elif f not in FRAMINGS:
                raise InvalidValueError(
                    f"phase {p.name!r}: unknown framing {f!r}; use {sorted(FRAMINGS)} or "
                    "mode:<name>"
                )
        if len(modes) > 1:
            raise InvalidValueError(
                f"phase {p.name!r} has {len(modes)} mode tags {modes}; a text has one mode"
            )
        if modes:
            ModeTagger(modes)  # checks the name

    @staticmethod
    def _validate_floor(floor: Floor) -> None:
        if not isinstance(floor, Floor):
            raise InvalidTypeError(f"floor must be a Floor, but got {floor!r:.80}")
        if isinstance(floor.share, bool) or not isinstance(floor.share, (int, float)):
            raise InvalidTypeError(f"floor share must be a number, but got {floor.share!r}")
        if not 0 < floor.share < 1:
            raise InvalidValueError(f"floor share must be in (0, 1), but got {floor.share!r}")
        check_int("floor window", floor.window, minimum=2)
        if floor.need >= floor.window:
            raise InvalidValueError(
                f"floor share {floor.share} of a window of {floor.window} asks for "
                f"{floor.need} floor texts in every {floor.window} samples, leaving no room for "
                "the rest; lower the share or widen the window"
            )

    @property
    def modes(self) -> tuple[str, ...]:
        """Every mode the phases tag with, in phase order (each escaped in every text)."""
        seen: list[str] = []
        for p in self.phases:
            if p.mode is not None and p.mode not in seen:
                seen.append(p.mode)
        return tuple(seen)

    # -- files ----------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recipe:
        """From a YAML/JSON document: ``name``, ``phases``, optional ``floor``, ``annotate``."""
        if not isinstance(data, Mapping) or "phases" not in data:
            raise InvalidValueError("a recipe document needs a top-level 'phases' list")
        unknown_top = sorted(set(data) - {"name", "phases", "floor", "annotate", "total"})
        if unknown_top:
            raise InvalidValueError(
                f"a recipe has unknown top-level keys {unknown_top}; known: name, phases, "
                "floor, annotate, total"
            )
        raw_phases = data["phases"]
        if not isinstance(raw_phases, list):
            raise InvalidValueError(
                f"'phases' must be a list of phases (mappings with a name), but got "
                f"phases: {raw_phases!r:.60}"
            )
        known = {f.name for f in fields(Phase)}
        phases = []
        for i, raw in enumerate(raw_phases):
            if not isinstance(raw, Mapping) or "name" not in raw:
                raise InvalidValueError(f"phases[{i}] must be a mapping with a name, got {raw!r}")
            unknown = sorted(set(raw) - known)
            if unknown:
                raise InvalidValueError(
                    f"phase {raw['name']!r} has unknown keys {unknown}; known: {sorted(known)}"
                )
            framing = raw.get("framing") or ()
            if isinstance(framing, str):
                framing = (framing,)
            if not isinstance(framing, (list, tuple)):
                raise InvalidValueError(
                    f"phase {raw['name']!r}: framing must be a list of names, got {framing!r}"
                )
            phases.append(Phase(**{**raw, "framing": tuple(framing)}))
        floor = data.get("floor")
        if floor is not None:
            if not isinstance(floor, Mapping) or not {"select", "share"} <= set(floor):
                raise InvalidValueError(
                    f"floor must be a mapping with select, share and optionally window, "
                    f"but got floor: {floor!r:.80}"
                )
            unknown = sorted(set(floor) - {"select", "share", "window"})
            if unknown:
                raise InvalidValueError(
                    f"floor has unknown keys {unknown}; known: select, share, window"
                )
            floor = Floor(**floor)
        return cls(
            phases,
            floor=floor,
            name=str(data.get("name", "recipe")),
            annotate=data.get("annotate"),
            total=data.get("total"),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Recipe:
        """Read a ``.yaml``/``.yml`` or ``.json`` recipe."""
        return cls.from_dict(read_document(path, "recipe"))

    def to_dict(self) -> dict[str, Any]:
        """The recipe as a document (callables appear by name: they cannot be written out)."""
        return {
            "name": self.name,
            "phases": [vars(p) for p in self.phases],
            "floor": None if self.floor is None else vars(self.floor),
            "annotate": self.annotate,
            "total": self.total,
        }

    def spec(self) -> str:
        """A content hash of the recipe, for resumption checks and messages.

        Callables (a predicate ``select``, a pacing function) enter by name only; what they
        decide is covered by the plan's fingerprint and the sampler's order fingerprint.
        """
        return fingerprint_json(self.to_dict(), callables="name", what="the recipe")

    # -- resolving against data -----------------------------------------------------------------

    def plan(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        text_field: str = "text",
        cache: ScoreCache | str | os.PathLike[str] | None = None,
    ) -> RecipePlan:
        """Resolve the recipe against ``records`` (dicts holding ``text_field``).

        Args:
            records: the corpus.
            text_field: the field holding the text.
            cache: a :class:`~curriculum.cache.ScoreCache` (or its directory) through which every
                scorer the recipe names is computed.
        """
        from curriculum.recipes.plan import plan_recipe

        return plan_recipe(self, records, text_field=text_field, cache=cache)

    def __repr__(self) -> str:
        names = ", ".join(p.name for p in self.phases)
        return f"Recipe({self.name!r}: {names}{', floor' if self.floor else ''})"


def example_recipe(name: str) -> Recipe:
    """A recipe shipped in ``curriculum/data/recipes``.

    Args:
        name: ``model_spec_midtraining`` or ``model_raising`` (``-`` works as ``_``).
    """
    from importlib import resources

    key = str(name).strip().replace("-", "_")
    if key not in SHIPPED_RECIPES:
        raise InvalidValueError(
            f"no shipped recipe {name!r}; shipped: {', '.join(SHIPPED_RECIPES)} "
            "(or give a .yaml/.json path)"
        )
    ref = resources.files("curriculum").joinpath(f"data/recipes/{key}.yaml")
    with resources.as_file(ref) as path:
        return Recipe.load(path)
