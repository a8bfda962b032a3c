"""Learning-rate schedules of a benchmark, as pure functions of (step, total steps).

Every schedule warms up linearly over the first ``warmup`` share of the run, then:

* ``cosine``: cosine decay to zero (the usual pretraining schedule);
* ``wsd``: warmup-stable-decay: constant, then linear decay to zero over the last ``decay`` share;
* ``constant``: constant to the end;
* ``decay_avg``: cosine decay to ``floor`` (a moderate decay) and the evaluated model is the
  uniform average of ``average`` snapshots spread over the last ``decay`` share of the run.

Luo et al. (2025) report that decaying the learning rate to zero "wastes" the data a curriculum
puts last, and that ``constant`` or a moderate decay plus averaging keeps the gain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from curriculum.errors import InvalidValueError

__all__ = ["SCHEDULES", "LRSchedule", "get_schedule"]


@dataclass(frozen=True)
class LRSchedule:
    """A learning-rate factor (0-1 of the peak) per step, and which steps are averaged.

    Attributes:
        name: one of :data:`SCHEDULES`.
        warmup: share of the run spent warming up linearly.
        decay: ``wsd``: share of the run spent decaying; ``decay_avg``: the share of the run
            the averaged snapshots span.
        floor: factor at the end of ``decay_avg``'s cosine.
        average: snapshots averaged by ``decay_avg`` (0 for the others).
    """

    name: str
    warmup: float = 0.05
    decay: float = 0.2
    floor: float = 0.0
    average: int = 0

    def factor(self, step: int, total: int) -> float:
        """Learning-rate factor for optimizer step ``step`` (0-based) of ``total``."""
        warm = max(1, round(self.warmup * total))
        if step < warm:
            return (step + 1) / warm
        if self.name == "constant":
            return 1.0
        if self.name == "wsd":  # linear from 1 at the start of the last `decay` share to 0
            start = max(warm, round((1.0 - self.decay) * total))
            return 1.0 if step < start else max(0.0, (total - step) / max(1, total - start))
        t = (step - warm) / max(1, total - warm)
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * t))

    def snapshots(self, total: int) -> list[int]:
        """Steps (1-based, after the update) whose weights are averaged into the final model."""
        if not self.average:
            return []
        first = total - self.decay * total
        return sorted(
            {
                max(1, round(first + (total - first) * (k + 1) / self.average))
                for k in range(self.average)
            }
        )


SCHEDULES: dict[str, LRSchedule] = {
    "cosine": LRSchedule("cosine"),
    "wsd": LRSchedule("wsd", decay=0.2),
    "constant": LRSchedule("constant"),
    "decay_avg": LRSchedule("decay_avg", decay=0.2, floor=0.1, average=5),
}


def get_schedule(name: str) -> LRSchedule:
    """The schedule called ``name``; an unknown name is refused with the list."""
    if name not in SCHEDULES:
        raise InvalidValueError(
            f"schedules has unknown name {name!r}; choose from {', '.join(SCHEDULES)}"
        )
    return SCHEDULES[name]
