"""RecipeSampler: a ``Sampler[int]`` that runs a whole recipe in a DataLoader."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._positional import PositionalSampler, Split
from curriculum._validation import check_int
from curriculum.errors import InvalidTypeError, InvalidValueError
from curriculum.recipes.order import RecipeOrder
from curriculum.recipes.plan import RecipePlan

__all__ = ["RecipeSampler"]


class RecipeSampler(PositionalSampler):
    """A ``Sampler[int]`` that runs a whole recipe: phases, replay and floor, epoch after epoch.

    Every rank computes the same global order, with the floor kept in every sliding window of
    every rank's share, and takes ``order[rank::num_replicas]``. A state from
    :meth:`state_dict` resumes exactly (mid-phase too) a sampler built on the same plan, on any
    number of ranks; a plan whose selection, order keys, pacings or floor differ is refused.
    After a resume on another number of ranks, the rest of that epoch follows the saved run's
    order (its floor was placed for the saved ranks); later epochs place it for the new ones.

    Args:
        plan: from :meth:`Recipe.plan <curriculum.recipes.Recipe.plan>`.
        seed: seed of the order.
        num_replicas: number of ranks (default from ``torch.distributed``).
        rank: this rank.
        drop_last: drop the uneven tail instead of padding (the padding is floor repeats).
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
        if not isinstance(plan, RecipePlan):
            raise InvalidTypeError(
                f"plan must be a RecipePlan from Recipe.plan(records), but got "
                f"{type(plan).__name__}"
            )
        self.plan = plan
        self.seed = check_int("seed", seed, minimum=0)
        super().__init__(num_replicas=num_replicas, rank=rank, drop_last=drop_last)
        self._recipe_order: tuple[int, Split, RecipeOrder] | None = None
        if self.drop_last and len(self) == 0:
            raise InvalidValueError(
                f"drop_last=True with {self._epoch_size()} draws per epoch and "
                f"num_replicas={self.num_replicas} leaves every rank empty; use drop_last=False "
                "or more samples"
            )

    def recipe_order(self, epoch: int | None = None, split: Split | None = None) -> RecipeOrder:
        """``(indices, phase, kind)`` of every rank together for ``epoch`` (cached per epoch).

        ``split`` (ranks, ``drop_last``) is the one the floor is placed for; default this
        sampler's. A state saved by a run with other ranks resumes that run's order.
        """
        epoch = self.epoch if epoch is None else check_int("epoch", epoch, minimum=0)
        split = self._split if split is None else split
        if self._recipe_order is None or self._recipe_order[:2] != (epoch, split):
            order = self.plan.order(self.seed, epoch, num_replicas=split[0], drop_last=split[1])
            self._recipe_order = (epoch, split, order)
        return self._recipe_order[2]

    def _order(self, epoch: int, split: Split) -> NDArray[np.signedinteger]:
        return self.recipe_order(epoch, split).indices

    def _config(self) -> dict[str, Any]:
        return {
            "recipe": self.plan.recipe.spec(),
            "plan": self.plan.fingerprint,
            "seed": self.seed,
        }

    def __repr__(self) -> str:
        return (
            f"RecipeSampler({self.plan.recipe.name!r}, seed={self.seed}, "
            f"rank={self.rank}/{self.num_replicas})"
        )
