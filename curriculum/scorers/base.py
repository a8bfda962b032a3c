"""The scorer protocol and a small sklearn-like base class."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = ["Scorer", "SupportsScore"]


@runtime_checkable
class SupportsScore(Protocol):
    """Anything with ``score(texts) -> ndarray``: one finite float per text, higher = harder."""

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Difficulty of each text."""
        ...


class Scorer(ABC):
    """Base class for difficulty scorers, following scikit-learn's estimator conventions.

    ``__init__`` stores settings only; :meth:`fit` learns state (attributes ending in ``_``) and
    returns ``self``; :meth:`score` returns one float64 per text, higher = harder. Scorers never
    reorder: only the sampler does. :meth:`get_params` feeds the score cache's key, so every
    setting that changes the scores must be an ``__init__`` parameter stored under its own name.
    """

    #: Registry name, also used in cache file names.
    name: ClassVar[str] = "scorer"
    #: Whether scoring loads a model or tokenizer (Ray runs such scorers in actors that load it
    #: once, with :meth:`prepare`).
    uses_model: ClassVar[bool] = False

    @property
    def per_text(self) -> bool:
        """Whether a text's score depends on that text alone (and on what :meth:`fit` learned).

        Then a corpus scored in parts gets the scores it gets when scored whole, and
        ``curriculum score`` streams it in chunks; scoring on Ray needs it. False by default, so
        a new scorer that compares texts with each other is never split by mistake.
        """
        return False

    def needs_fit(self) -> bool:
        """Whether :meth:`fit` must see the corpus first: the class has its own and it has not run.

        Fitted means an attribute ending in ``_`` was set (scikit-learn's convention).
        """
        if type(self).fit is Scorer.fit:
            return False
        return not any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def prepare(self) -> Scorer:
        """Load what scoring needs (a model, a tokenizer) now rather than at the first call."""
        return self

    def fit(self, texts: Sequence[str]) -> Scorer:
        """Learn corpus-level state; stateless scorers return ``self`` unchanged."""
        return self

    @abstractmethod
    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Difficulty of each text: a float64 array of ``len(texts)`` finite values."""

    def score_chunks(self, chunks: Iterable[Sequence[str]]) -> Iterator[NDArray[np.float64]]:
        """Scores of each chunk of a corpus in turn (for a scorer whose :attr:`per_text` holds).

        The chunks are read as they are needed, so a corpus larger than memory streams through.
        By default each chunk is scored on its own; a scorer with worker processes keeps them
        for the whole stream.
        """
        for chunk in chunks:
            yield self.score(chunk)

    def fit_score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """:meth:`fit` then :meth:`score` on the same texts."""
        return self.fit(texts).score(texts)

    def get_params(self) -> dict[str, Any]:
        """Settings given to ``__init__`` (JSON-friendly values)."""
        names = [
            p.name
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        return {name: getattr(self, name) for name in names}

    def cache_params(self) -> dict[str, Any]:
        """Settings that change the scores (default: all of :meth:`get_params`)."""
        return self.get_params()

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"
