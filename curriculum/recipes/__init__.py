"""Training recipes: ordered phases, replay of earlier phases, a floor share from step 0.

A :class:`Recipe` (:mod:`~curriculum.recipes.schema`) is an ordered list of :class:`Phase`. Each
selects its part of the corpus, orders it with its own pacing, and has a length; ``replay``
repeats earlier phases' samples, and a :class:`Floor` keeps chosen texts (e.g. value
explanations) at ``share`` of every sliding window of ``window`` samples from the first one.
:meth:`Recipe.plan` resolves it against records into a :class:`RecipePlan`
(:mod:`~curriculum.recipes.plan`); :func:`recipe_order` (:mod:`~curriculum.recipes.order`) is
the pure numpy order of one epoch; :class:`RecipeSampler` runs it in a DataLoader.

Guarantees (tested):

* every sample a phase selects appears exactly once per epoch when no phase has a ``share`` or
  ``samples`` that differs from its size; replay and floor samples are counted as repeats
  (``Kind.REPLAY``, ``Kind.FLOOR``);
* a phase's own samples never appear outside its stretch, and phases come in order;
* a phase's replay share is met to within one sample;
* every sliding window of ``window`` consecutive samples holds at least ``ceil(share * window)``
  floor texts, in the global order and in every rank's share (a sequence shorter than the
  window has no full window);
* with ``pacing: levels``, a phase draws its levels in full one after the other.
"""

from typing import TYPE_CHECKING, Any

from curriculum.recipes.order import Kind, RecipeOrder, insert_floor, recipe_order, sliding_minimum
from curriculum.recipes.plan import RecipePlan, plan_recipe
from curriculum.recipes.schema import SHIPPED_RECIPES, Floor, Phase, Recipe, example_recipe

if TYPE_CHECKING:
    from curriculum.recipes.sampler import RecipeSampler


def __getattr__(name: str) -> Any:
    """:class:`RecipeSampler` (which imports torch), loaded on first use."""
    if name == "RecipeSampler":
        from curriculum.recipes.sampler import RecipeSampler

        return RecipeSampler
    raise AttributeError(f"module 'curriculum.recipes' has no attribute {name!r}")


__all__ = [
    "SHIPPED_RECIPES",
    "Floor",
    "Kind",
    "Phase",
    "Recipe",
    "RecipeOrder",
    "RecipePlan",
    "RecipeSampler",
    "example_recipe",
    "insert_floor",
    "plan_recipe",
    "recipe_order",
    "sliding_minimum",
]
