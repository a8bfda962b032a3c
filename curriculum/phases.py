"""Former home of the recipe code, kept so that ``from curriculum.phases import ...`` works.

Everything moved to :mod:`curriculum.recipes` (schema, plan, order, sampler).
"""

from curriculum.recipes import (
    Floor,
    Kind,
    Phase,
    Recipe,
    RecipeOrder,
    RecipePlan,
    RecipeSampler,
    example_recipe,
    recipe_order,
)

#: Names of :class:`~curriculum.recipes.Kind`, by value.
KINDS = tuple(k.name.lower() for k in Kind)

__all__ = [
    "KINDS",
    "Floor",
    "Kind",
    "Phase",
    "Recipe",
    "RecipeOrder",
    "RecipePlan",
    "RecipeSampler",
    "example_recipe",
    "recipe_order",
]
