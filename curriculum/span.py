"""How many draws a curriculum spans over a whole training run (``num_samples`` of a sampler)."""

from __future__ import annotations

import math

from curriculum._validation import check_int
from curriculum.errors import InvalidValueError

__all__ = ["steps_in_epoch", "training_span"]


def training_span(
    dataset_size: int,
    *,
    batch_size: int,
    max_steps: int | None = None,
    epochs: float | None = None,
    grad_accum: int = 1,
    world_size: int = 1,
    drop_last: bool = False,
) -> int:
    """Draws of all ranks together over a run: pass it as a sampler's ``num_samples``.

    A run of ``max_steps`` optimizer steps (or ``epochs`` passes) takes ``batch_size *
    grad_accum * world_size`` samples a step, and each epoch draws ``dataset_size`` samples from
    the sampler (the padding that evens out the last batches of an epoch is not drawn). The
    count follows Hugging Face ``Trainer``'s arithmetic (``ceil`` of batches per rank over
    ``grad_accum``), so with it the curriculum reaches full competence at the run's last step.

    Args:
        dataset_size: samples in one epoch.
        batch_size: samples per batch on one rank (``per_device_train_batch_size``).
        max_steps: optimizer steps of the run; give this or ``epochs``.
        epochs: passes over the data (may be fractional); give this or ``max_steps``.
        grad_accum: batches per optimizer step (gradient accumulation).
        world_size: ranks (processes) training together.
        drop_last: whether the last incomplete batch of an epoch is dropped.

    Returns:
        The span in draws, at least 1.

    Example:
        >>> training_span(10_000, batch_size=32, epochs=3, world_size=2)
        30000
        >>> training_span(10_000, batch_size=32, max_steps=100, grad_accum=2, world_size=2)
        12688
    """
    n = check_int("dataset_size", dataset_size, minimum=1)
    batch = check_int("batch_size", batch_size, minimum=1)
    accum = check_int("grad_accum", grad_accum, minimum=1)
    world = check_int("world_size", world_size, minimum=1)
    if (max_steps is None) == (epochs is None):
        raise InvalidValueError(
            f"give exactly one of max_steps and epochs, but got max_steps={max_steps!r}, "
            f"epochs={epochs!r}"
        )
    global_batch = batch * world
    steps_per_epoch = steps_in_epoch(
        n, batch_size=batch, grad_accum=accum, world_size=world, drop_last=drop_last
    )
    if max_steps is not None:
        steps = check_int("max_steps", max_steps, minimum=1)
    else:
        if (
            isinstance(epochs, bool)
            or not isinstance(epochs, (int, float))
            or not 0 < epochs < float("inf")
        ):
            raise InvalidValueError(
                f"epochs must be a finite number > 0, but got epochs={epochs!r}"
            )
        steps = math.ceil(epochs * steps_per_epoch)
    full, rest = divmod(steps, steps_per_epoch)
    return max(1, full * n + min(rest * accum * global_batch, n))


def steps_in_epoch(
    dataset_size: int,
    *,
    batch_size: int,
    grad_accum: int = 1,
    world_size: int = 1,
    drop_last: bool = False,
) -> int:
    """Optimizer steps per epoch, as Hugging Face ``Trainer`` counts them.

    Raises:
        InvalidValueError: with ``drop_last``, the dataset is smaller than one global batch.
    """
    global_batch = batch_size * world_size
    batches = dataset_size // global_batch if drop_last else -(-dataset_size // global_batch)
    if batches == 0:
        raise InvalidValueError(
            f"drop_last=True with dataset_size={dataset_size} below one global batch "
            f"({batch_size} x {world_size} ranks) trains on nothing; use drop_last=False or a "
            "smaller batch"
        )
    return max(-(-batches // grad_accum), 1)
