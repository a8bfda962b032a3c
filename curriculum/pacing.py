"""Pacing functions: training progress in [0, 1] -> competence in (0, 1].

Competence is the fraction of the easy-to-hard ranking that is open at a point of training
(Platanios et al., 2019, "Competence-based Curriculum Learning"). Every pacing takes the start
competence ``c0`` and ``full_at``, the share of the curriculum at which competence reaches 1.

>>> pace = get_pacing("root", c0=0.1)
>>> float(pace(0.0)), float(pace(1.0))
(0.1, 1.0)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from curriculum._validation import build_registered
from curriculum.errors import InvalidTypeError, InvalidValueError
from curriculum.fingerprint import callable_name

__all__ = [
    "PACINGS",
    "Constant",
    "FunctionPacing",
    "Geometric",
    "Linear",
    "Pacing",
    "PacingLike",
    "Root",
    "Step",
    "get_pacing",
]

_GRID = np.linspace(0.0, 1.0, 1001)


class Pacing:
    """Base class: a monotone map from progress in [0, 1] to competence in (0, 1].

    Subclasses implement :meth:`_competence` on progress already rescaled by ``full_at`` and
    clipped to [0, 1]. Instances are immutable, callable on scalars and arrays, and describe
    themselves with :meth:`spec` (JSON-serialisable, used to check resumed state).
    """

    name = "pacing"
    #: Stages drawn in full one after the other (see :class:`Step`); False for every other pacing.
    exhaustive = False

    def __init__(self, *, c0: float = 0.1, full_at: float = 1.0) -> None:
        self.c0 = _check_unit("c0", c0)
        self.full_at = _check_unit("full_at", full_at)

    def __call__(self, progress: ArrayLike) -> NDArray[np.float64]:
        """Competence at ``progress`` (scalar or array; values outside [0, 1] are clipped)."""
        t = np.clip(np.asarray(progress, dtype=np.float64) / self.full_at, 0.0, 1.0)
        return np.asarray(self._competence(t), dtype=np.float64)

    def _competence(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError

    def breakpoints(self) -> list[float]:
        """Progress values at which competence jumps (empty for continuous pacings)."""
        return []

    def spec(self) -> dict[str, Any]:
        """JSON-serialisable description: name and parameters."""
        return {"name": self.name, "c0": self.c0, "full_at": self.full_at}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.spec().items() if k != "name")
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pacing) and self.spec() == other.spec()

    def __hash__(self) -> int:
        return hash(repr(self))


class Linear(Pacing):
    """Competence grows linearly: ``c0 + (1 - c0) * t``."""

    name = "linear"

    def _competence(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.c0 + (1.0 - self.c0) * t


class Root(Pacing):
    """Root-p competence of Platanios et al. (2019): ``(t (1 - c0^p) + c0^p) ** (1/p)``.

    With the default ``p=2`` this is the square-root competence: fast at first, so that easy
    samples are not over-repeated, then slower as the harder tail opens.
    """

    name = "root"

    def __init__(self, *, c0: float = 0.1, full_at: float = 1.0, p: float = 2.0) -> None:
        super().__init__(c0=c0, full_at=full_at)
        if not (isinstance(p, (int, float)) and math.isfinite(p) and p >= 1):
            raise InvalidValueError(f"p must be a finite number >= 1, but got p={p!r}")
        self.p = float(p)

    def _competence(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        c0p = self.c0**self.p
        return np.asarray((t * (1.0 - c0p) + c0p) ** (1.0 / self.p))

    def spec(self) -> dict[str, Any]:
        """JSON-serialisable description: name and parameters."""
        return {**super().spec(), "p": self.p}


class Geometric(Pacing):
    """Competence grows exponentially from ``c0`` to 1: ``c0 ** (1 - t)``.

    It is slower than linear at first (convex), so it opens fewer samples than one epoch consumes;
    the sampler then widens the window just enough to keep every sample once per epoch.
    """

    name = "geometric"

    def _competence(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.c0 ** (1.0 - t))


class Step(Pacing):
    """Baby steps: competence in discrete stages.

    By default ``stages`` equal stages whose competence rises evenly from ``c0`` to 1
    (``c0=None`` means ``1 / stages``). ``levels`` (competence of each stage) and ``boundaries``
    (progress at which each next stage opens) give unequal stages, e.g. one per concept depth.

    With ``exhaustive=True`` (what :meth:`for_groups` builds) the stages are drawn in full, one
    after the other: every sample a stage opens is drawn before any sample of the next stage, in
    every epoch that starts before the last stage opens. The stage boundaries then follow the
    draws rather than the clock; ``boundaries`` and ``full_at`` only decide which epochs are
    drawn this way (an epoch that starts with every stage open is a plain shuffle).
    """

    name = "step"

    def __init__(
        self,
        *,
        stages: int = 4,
        c0: float | None = None,
        full_at: float = 1.0,
        levels: Sequence[float] | None = None,
        boundaries: Sequence[float] | None = None,
        exhaustive: bool = False,
    ) -> None:
        if levels is not None and len(levels) == 0:
            raise InvalidValueError(
                "levels must hold at least one competence value in (0, 1], but got levels=[]; "
                "pass levels=None for equal stages"
            )
        if levels is None:
            if isinstance(stages, bool) or not isinstance(stages, int) or stages < 1:
                raise InvalidValueError(
                    f"stages must be a positive integer, but got stages={stages!r}"
                )
            start = 1.0 / stages if c0 is None else c0
            levels = list(np.linspace(start, 1.0, stages)) if stages > 1 else [1.0]
        levels = [float(v) for v in levels]
        super().__init__(c0=levels[0], full_at=full_at)
        for i, v in enumerate(levels):
            _check_unit(f"levels[{i}]", v)
        if any(b < a for a, b in itertools.pairwise(levels)):
            raise InvalidValueError(f"levels must be non-decreasing, but got levels={levels!r}")
        n = len(levels)
        if boundaries is None:
            boundaries = [i / n for i in range(1, n)]
        boundaries = [float(b) for b in boundaries]
        if len(boundaries) != n - 1:
            raise InvalidValueError(
                f"boundaries must have len(levels) - 1 = {n - 1} values, "
                f"but got boundaries={boundaries!r}"
            )
        if any(not 0.0 < b < 1.0 for b in boundaries) or boundaries != sorted(boundaries):
            raise InvalidValueError(
                "boundaries must be increasing values strictly inside (0, 1), "
                f"but got boundaries={boundaries!r}"
            )
        if exhaustive and levels[-1] != 1.0:
            raise InvalidValueError(
                f"an exhaustive Step must end with competence 1, but got levels={levels!r}"
            )
        self.levels = levels
        self.boundaries = boundaries
        self.exhaustive = bool(exhaustive)

    @classmethod
    def for_groups(cls, levels: ArrayLike, *, full_at: float = 1.0) -> Step:
        """One stage per distinct value of ``levels`` (e.g. concept depth), in increasing order.

        Stage ``k`` opens exactly the samples whose level is among the ``k + 1`` lowest, and lasts
        as long as drawing them takes (an ``exhaustive`` Step): no sample of a higher level is
        drawn before every sample of the lower levels, so a concept curriculum has zero ordering
        violations. This holds in every epoch that starts before the last stage opens (with the
        default ``num_samples``, the first epoch), for any ``full_at``, on every rank, with or
        without ``drop_last``. It needs the ranking to be sorted by these levels (the sampler's
        scores are the levels, or start with them as in a lexicographic combination) and one
        ranking: with ``strata`` each stratum holds its own share of each level, so the sampler
        refuses the combination.

        Args:
            levels: one level per sample (the sampler's scores, or any grouping of them).
            full_at: share of the curriculum at which the last stage opens everything; only
                decides which epochs are drawn level by level.
        """
        values = np.asarray(levels, dtype=np.float64)
        if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
            raise InvalidValueError(
                f"levels must be a non-empty 1-D array of finite numbers, but got shape "
                f"{values.shape}"
            )
        _, counts = np.unique(values, return_counts=True)
        cum = np.cumsum(counts) / values.size
        cum[-1] = 1.0
        return cls(
            levels=cum.tolist(), boundaries=cum[:-1].tolist(), full_at=full_at, exhaustive=True
        )

    def _competence(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        stage = np.searchsorted(np.asarray(self.boundaries), t, side="right")
        return np.asarray(self.levels, dtype=np.float64)[stage]

    def breakpoints(self) -> list[float]:
        """Progress values at which the next stage opens (scaled by ``full_at``)."""
        return [b * self.full_at for b in self.boundaries]

    def spec(self) -> dict[str, Any]:
        """JSON-serialisable description: name and parameters."""
        return {
            "name": self.name,
            "full_at": self.full_at,
            "levels": self.levels,
            "boundaries": self.boundaries,
            "exhaustive": self.exhaustive,
        }


class Constant(Pacing):
    """Everything open from the start: plain shuffling, the baseline."""

    name = "constant"

    def __init__(self, *, c0: float = 1.0, full_at: float = 1.0) -> None:
        super().__init__(c0=1.0, full_at=full_at)
        if c0 != 1.0:
            raise InvalidValueError(
                f"c0 must be 1 for the constant pacing (plain shuffling), but got c0={c0!r}"
            )

    def _competence(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.ones_like(t)

    def spec(self) -> dict[str, Any]:
        """JSON-serialisable description: name and parameters."""
        return {"name": self.name}


class FunctionPacing(Pacing):
    """Wraps a user callable ``f(progress) -> competence``; checked on a grid of 1001 points."""

    name = "callable"

    def __init__(self, fn: Callable[[Any], Any], *, full_at: float = 1.0, **params: Any) -> None:
        label = callable_name(fn)
        if params:
            raise InvalidTypeError(
                f"a callable pacing takes only full_at, but got {sorted(params)} for {label}; "
                "put c0 and the other settings inside the callable (it returns the competence)"
            )
        self.fn = fn
        self.full_at = _check_unit("full_at", full_at)
        values = self._competence(_GRID)
        bad = ~np.isfinite(values) | (values <= 0.0) | (values > 1.0)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidValueError(
                f"pacing {label} must return competence in (0, 1], but got "
                f"pacing({_GRID[i]:.3f})={float(values[i])!r}; clip or rescale its output"
            )
        drops = np.diff(values) < -1e-12
        if drops.any():
            i = int(np.argmax(drops))
            raise InvalidValueError(
                f"pacing {label} must be non-decreasing, but got pacing({_GRID[i]:.3f})="
                f"{values[i]:.6g} > pacing({_GRID[i + 1]:.3f})={values[i + 1]:.6g}"
            )
        self.c0 = float(values[0])

    def _competence(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        try:
            out = np.asarray(self.fn(t), dtype=np.float64)
            if out.shape == t.shape:
                return out
        except (TypeError, ValueError):
            pass
        # Scalar-only callables: evaluate point by point.
        values = []
        for x in t.ravel():
            value = self.fn(float(x))
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise InvalidTypeError(
                    f"pacing {callable_name(self.fn)} must return a number (the competence), "
                    f"but pacing({float(x):.3f}) returned {value!r}"
                )
            values.append(float(value))
        return np.asarray(values).reshape(t.shape)

    def spec(self) -> dict[str, Any]:
        """JSON-serialisable description: the callable's qualified name."""
        return {"name": self.name, "fn": callable_name(self.fn), "full_at": self.full_at}


PACINGS: dict[str, type[Pacing]] = {
    cls.name: cls for cls in (Linear, Root, Geometric, Step, Constant)
}

PacingLike: TypeAlias = "str | Pacing | Callable[[Any], Any]"


def get_pacing(pacing: PacingLike, **params: Any) -> Pacing:
    """Build a pacing from a name in :data:`PACINGS`, a :class:`Pacing`, or a callable.

    Args:
        pacing: ``"linear"``, ``"root"``, ``"geometric"``, ``"step"``, ``"constant"``, a
            :class:`Pacing` instance, or a callable mapping progress to competence.
        **params: parameters of the named pacing (``c0``, ``full_at``, ``stages``, ``p``, ...).
            ``None`` values are ignored, so CLI defaults can be passed through.

    Returns:
        The validated pacing.
    """
    params = {k: v for k, v in params.items() if v is not None}
    if isinstance(pacing, Pacing):
        if params:
            raise InvalidTypeError(
                f"pacing parameters {sorted(params)} cannot be combined with a Pacing instance; "
                "set them on the instance"
            )
        return pacing
    if isinstance(pacing, str):
        return build_registered(PACINGS, pacing, "pacing", params, alternative="a callable")
    if callable(pacing):
        return FunctionPacing(pacing, **params)
    raise InvalidTypeError(
        "pacing must be a name, a Pacing or a callable, "
        f"but got {type(pacing).__name__}: {pacing!r}"
    )


def _check_unit(name: str, value: float) -> float:
    """Validate that ``value`` lies in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise InvalidTypeError(f"{name} must be a number in (0, 1], but got {name}={value!r}")
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise InvalidValueError(f"{name} must be in (0, 1], but got {name}={value!r}")
    return float(value)
