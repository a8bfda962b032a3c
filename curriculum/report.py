"""Reports on a recipe plan for people: the phase table and the floor in every window.

The command line (``curriculum plan``) and notebooks print these; the recipe code never imports
this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from curriculum.errors import InvalidValueError
from curriculum.recipes.order import Kind, RecipeOrder, sliding_minimum

if TYPE_CHECKING:
    from curriculum.recipes.plan import RecipePlan

__all__ = ["floor_report", "plan_table"]


def _check_fields(plan: RecipePlan, fields: Sequence[str]) -> None:
    known = sorted({key for record in plan.records for key in record})
    missing = [f for f in fields if not any(f in record for record in plan.records)]
    if missing:
        raise InvalidValueError(
            f"fields {missing} are in no record; fields are {known} (annotate: {{roles: "
            "heuristic, graph: values} adds role, concept, has_concept, depth)"
        )


def plan_table(
    plan: RecipePlan,
    *,
    seed: int = 0,
    fields: Sequence[str] = ("source",),
    order: RecipeOrder | None = None,
) -> list[dict[str, Any]]:
    """Per phase: draws, share of training, replay and floor repeats, mean grade, field shares.

    Args:
        plan: the resolved recipe.
        seed: seed of the order (ignored when ``order`` is given).
        fields: record fields whose shares are reported (the part before a ``/``, so
            ``fortunes/art`` counts as ``fortunes``); a record without the field counts as
            ``"(missing)"``.
        order: the epoch to report (default: epoch 0 with ``seed``).

    Raises:
        InvalidValueError: a field is in no record.
    """
    _check_fields(plan, fields)
    indices, phase, kind = plan.order(seed) if order is None else order
    if plan.resolver is not None:
        grade = plan.resolver.scores("readability")
    else:
        from curriculum.scorers import ReadabilityScorer

        grade = ReadabilityScorer().score(plan.texts)
    rows = []
    for k, ph in enumerate(plan.recipe.phases):
        mine = phase == k
        idx = indices[mine]
        row: dict[str, Any] = {
            "phase": ph.name,
            "samples": int(mine.sum()),
            "share": float(mine.mean()),
            "replay": int((kind[mine] == Kind.REPLAY).sum()),
            "floor": int((kind[mine] == Kind.FLOOR).sum()),
            "mean_grade": float(grade[idx].mean()) if idx.size else float("nan"),
        }
        for f in fields:
            values = [
                str(plan.records[i][f]).split("/")[0] if f in plan.records[i] else "(missing)"
                for i in idx
            ]
            names, counts = np.unique(values, return_counts=True)
            row[f] = {str(v): float(c / len(values)) for v, c in zip(names, counts, strict=True)}
        rows.append(row)
    return rows


def floor_report(plan: RecipePlan, order: RecipeOrder, *, num_replicas: int = 1) -> dict[str, Any]:
    """The fewest floor texts in any sliding window, globally and on each rank.

    Returns:
        ``window``, ``need``, ``global`` (None: the order is shorter than a window) and
        ``ranks`` (one minimum per rank's share ``order[r::num_replicas]``).
    """
    floor = plan.recipe.floor
    if floor is None or plan.floor_mask is None:
        raise InvalidValueError(f"recipe {plan.recipe.name!r} has no floor")
    hits = plan.floor_mask[order.indices]
    return {
        "window": floor.window,
        "need": floor.need,
        "global": sliding_minimum(hits, floor.window),
        "ranks": [
            sliding_minimum(hits[r::num_replicas], floor.window) for r in range(num_replicas)
        ],
    }
