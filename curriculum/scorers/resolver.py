"""One place that turns scorer names into scores of one corpus: each computed once, cached.

Recipes (and anything else that names scorers) resolve them through a :class:`ScoreResolver`,
so that every score goes through the same :class:`~curriculum.cache.ScoreCache` and a scorer
with other settings (another concept graph, another metric) is never served from the memo of
the first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from curriculum._validation import check_texts
from curriculum.fingerprint import canonical_json

if TYPE_CHECKING:
    from curriculum.cache import ScoreCache

__all__ = ["ScoreResolver"]


class ScoreResolver:
    """Scores of scorers on one corpus, memoised by scorer name and settings.

    Args:
        texts: the corpus.
        cache: a :class:`~curriculum.cache.ScoreCache` (or its directory): scores are read from
            and written to it; None computes them in memory only.
    """

    def __init__(
        self,
        texts: Sequence[str],
        *,
        cache: ScoreCache | str | os.PathLike[str] | None = None,
    ) -> None:
        from curriculum.cache import ScoreCache

        self.texts = check_texts(texts)
        self.cache = cache if cache is None or isinstance(cache, ScoreCache) else ScoreCache(cache)
        self._memo: dict[tuple[str, str], NDArray[np.float64]] = {}

    def scores(self, scorer: Any, **params: Any) -> NDArray[np.float64]:
        """Scores of ``scorer`` (an instance, or a registered name built with ``params``)."""
        from curriculum.datasets import score_texts
        from curriculum.scorers import get_scorer

        built = get_scorer(scorer, **params)
        settings = built.cache_params() if hasattr(built, "cache_params") else {}
        key = (
            str(getattr(built, "name", type(built).__name__)),
            canonical_json(settings, callables="name"),
        )
        if key not in self._memo:
            self._memo[key] = score_texts(self.texts, scorer=built, cache=self.cache)
        return self._memo[key]
