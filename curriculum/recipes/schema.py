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
from pathlib import Path
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
        """Floor texts required in every window (at least one)."""
        return max(1, math.ceil(self.share * self.window - 1e-9))


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
        modes: every mode of the corpus and of the model that will read it (e.g. ``["human",
            "model"]``): tag-like strings of all of them are escaped in every text, even modes no
            phase tags with. Default: the modes the phases tag with.
    """

    def __init__(
        self,
        phases: Sequence[Phase],
        *,
        floor: Floor | None = None,
        name: str = "recipe",
        annotate: Mapping[str, Any] | None = None,
        total: int | None = None,
        modes: Sequence[str] | None = None,
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
        if modes is not None and (isinstance(modes, str) or not isinstance(modes, Sequence)):
            raise InvalidTypeError(f"modes must be a list of mode names, but got modes={modes!r}")
        self.declared_modes = None if modes is None else tuple(modes)
        self._validate()

    def _validate(self) -> None:
        if not self.phases:
            raise InvalidValueError("a recipe needs at least one phase, but got none")
        bad = [p for p in self.phases if not isinstance(p, Phase)]
        if bad:
            raise InvalidTypeError(f"phases must be Phase objects, but got {bad[0]!r:.80}")
        names = [p.name for p in self.phases]
        bad_names = [n for n in names if not isinstance(n, str) or not n.strip()]
        if bad_names:
            raise InvalidValueError(
                f"phase names must be non-empty strings, but got {bad_names[0]!r}"
            )
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
            _check_order(p.name, p.order)
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
        used = [p.mode for p in self.phases if p.mode is not None]
        if self.declared_modes is not None:
            missing = sorted({m for m in used if m not in self.declared_modes})
            if missing:
                raise InvalidValueError(
                    f"phases tag with modes {missing} that modes={list(self.declared_modes)} "
                    "does not list; add them to modes"
                )
        if self.modes:
            ModeTagger(self.modes)  # valid XML names, unique ignoring case

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
            if not isinstance(f, str):
                raise InvalidTypeError(
                    f"phase {p.name!r}: framing entries must be names such as first_person or "
                    f"mode:human, but got {f!r}"
                )
            if f.startswith(_MODE):
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
        if floor.select is None:
            raise InvalidValueError(
                "the floor must select its texts ({field: value}, a scorer threshold or a "
                "predicate), but got select=None, which would make every text a floor text"
            )
        if floor.need >= floor.window:
            raise InvalidValueError(
                f"floor share {floor.share} of a window of {floor.window} asks for "
                f"{floor.need} floor texts in every {floor.window} samples, leaving no room for "
                "the rest; lower the share or widen the window"
            )

    @property
    def modes(self) -> tuple[str, ...]:
        """Every mode escaped in every text: ``modes=`` if given, else those the phases use."""
        if self.declared_modes is not None:
            return self.declared_modes
        seen: list[str] = []
        for p in self.phases:
            if p.mode is not None and p.mode not in seen:
                seen.append(p.mode)
        return tuple(seen)

    # -- files ----------------------------------------------------------------------------------

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base_dir: str | os.PathLike[str] | None = None
    ) -> Recipe:
        """From a YAML/JSON document: ``name``, ``phases``, optional ``floor``, ``annotate``...

        Args:
            data: the document.
            base_dir: where a relative ``annotate: {graph: path}`` is looked up first (the
                recipe file's directory, when loaded with :meth:`load`).
        """
        if not isinstance(data, Mapping) or "phases" not in data:
            raise InvalidValueError("a recipe document needs a top-level 'phases' list")
        unknown_top = sorted(set(data) - {"name", "phases", "floor", "annotate", "total", "modes"})
        if unknown_top:
            raise InvalidValueError(
                f"a recipe has unknown top-level keys {unknown_top}; known: name, phases, "
                "floor, annotate, total, modes"
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
        annotate = data.get("annotate")
        if isinstance(annotate, Mapping) and base_dir is not None:
            annotate = {**annotate, "graph": _beside(annotate.get("graph"), base_dir)}
            if annotate["graph"] is None:
                del annotate["graph"]
        return cls(
            phases,
            floor=floor,
            name=str(data.get("name", "recipe")),
            annotate=annotate,
            total=data.get("total"),
            modes=data.get("modes"),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Recipe:
        """Read a ``.yaml``/``.yml``/``.json`` recipe; a relative graph path is found beside it."""
        return cls.from_dict(read_document(path, "recipe"), base_dir=Path(path).parent)

    def to_dict(self) -> dict[str, Any]:
        """The recipe as a document (callables appear by name: they cannot be written out)."""
        return {
            "name": self.name,
            "phases": [vars(p) for p in self.phases],
            "floor": None if self.floor is None else vars(self.floor),
            "annotate": self.annotate,
            "total": self.total,
            "modes": list(self.modes),
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


def _beside(graph: Any, base_dir: str | os.PathLike[str]) -> Any:
    """A relative graph path that exists beside the recipe file, made absolute; else as given."""
    from curriculum.concepts import SHIPPED_GRAPHS

    if not isinstance(graph, str) or graph in SHIPPED_GRAPHS or Path(graph).is_absolute():
        return graph
    candidate = Path(base_dir, graph)
    return str(candidate.resolve()) if candidate.exists() else graph


def _check_order(phase: str, order: Any) -> None:
    """The shape of a phase's ``order``; scorer names are checked when the plan resolves them."""

    def one(spec: Any) -> None:
        if isinstance(spec, str):
            return
        if isinstance(spec, Mapping) and set(spec) == {"field"} and isinstance(spec["field"], str):
            return
        raise InvalidValueError(
            f"phase {phase!r}: order must be a scorer name or {{field: name}} (or a list of "
            f"them, or {{lexicographic: [...]}}), but got {spec!r}"
        )

    if order is None or order == "random":
        return
    if isinstance(order, Mapping) and "lexicographic" in order:
        parts = order["lexicographic"]
        if set(order) != {"lexicographic"} or not isinstance(parts, list) or not parts:
            raise InvalidValueError(
                f"phase {phase!r}: order lexicographic must be a non-empty list of scorer names "
                f"or {{field: name}}, but got {order!r}"
            )
    elif isinstance(order, list):
        if not order:
            raise InvalidValueError(
                f"phase {phase!r}: order must not be an empty list; use order: random"
            )
        parts = order
    else:
        parts = [order]
    for part in parts:
        one(part)


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
