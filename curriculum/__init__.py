"""curriculum: feed training data to a model from simple to complex.

Score texts by difficulty, pick a pacing, and drop :class:`CurriculumSampler` into a PyTorch
``DataLoader`` in place of ``shuffle=True``::

    scores = ReadabilityScorer().score(texts)
    sampler = CurriculumSampler(scores, pacing="root", seed=0)
    loader = DataLoader(dataset, batch_size=64, sampler=sampler)

The samplers need torch and are imported on first use, so the pure numpy parts (pacing,
ordering, recipe orders, scorers) import without it.
"""

from typing import TYPE_CHECKING, Any

from curriculum.cache import CacheError, ScoreCache, StaleCacheError, load_scores, save_scores
from curriculum.concepts import Concept, ConceptGraph, example_value_graph
from curriculum.datasets import (
    dataset_texts,
    iter_texts,
    load_demo_corpus,
    read_corpus,
    score_texts,
)
from curriculum.errors import CurriculumError
from curriculum.framing import (
    FirstPerson,
    Framer,
    Framing,
    ModeTagger,
    SocialScene,
    validate_transitions,
)
from curriculum.ordering import (
    curriculum_order,
    difficulty_rank,
    open_windows,
    rank_share,
    stratified_order,
    stratified_ranks,
)
from curriculum.pacing import PACINGS, Pacing, get_pacing
from curriculum.recipes import Floor, Kind, Phase, Recipe, example_recipe
from curriculum.schedule import ScheduleProfile, schedule_profile
from curriculum.score_parts import merge_score_parts
from curriculum.scorers import (
    SCORERS,
    CombinedScorer,
    CompressionScorer,
    ConceptGraphScorer,
    EmbeddingClusterScorer,
    LengthScorer,
    ReadabilityScorer,
    Scorer,
    TokenCountScorer,
    combine,
    get_scorer,
    percentile_rank,
)
from curriculum.scoring import score_file
from curriculum.span import training_span

if TYPE_CHECKING:
    from curriculum.distributed_scoring import score_dataset
    from curriculum.packing import PackedDataset
    from curriculum.ray_batches import ScoreBatches
    from curriculum.ray_cluster import connect_ray, read_ray_dataset
    from curriculum.recipes.sampler import RecipeSampler
    from curriculum.sampler import CurriculumSampler
    from curriculum.seqlen import SeqLenWarmup

__version__ = "0.1.0"

_LAZY = {
    "CurriculumSampler": "curriculum.sampler",
    "PackedDataset": "curriculum.packing",
    "SeqLenWarmup": "curriculum.seqlen",
    "RecipeSampler": "curriculum.recipes.sampler",
    # Scoring on Ray: these modules import Ray only when their functions run.
    "ScoreBatches": "curriculum.ray_batches",
    "connect_ray": "curriculum.ray_cluster",
    "read_ray_dataset": "curriculum.ray_cluster",
    "score_dataset": "curriculum.distributed_scoring",
}


def __getattr__(name: str) -> Any:
    """The samplers (which import torch) and Ray scoring, loaded on first use."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'curriculum' has no attribute {name!r}")


__all__ = [
    "PACINGS",
    "SCORERS",
    "CacheError",
    "CombinedScorer",
    "CompressionScorer",
    "Concept",
    "ConceptGraph",
    "ConceptGraphScorer",
    "CurriculumError",
    "CurriculumSampler",
    "EmbeddingClusterScorer",
    "FirstPerson",
    "Floor",
    "Framer",
    "Framing",
    "Kind",
    "LengthScorer",
    "ModeTagger",
    "Pacing",
    "PackedDataset",
    "Phase",
    "ReadabilityScorer",
    "Recipe",
    "RecipeSampler",
    "ScheduleProfile",
    "ScoreBatches",
    "ScoreCache",
    "Scorer",
    "SeqLenWarmup",
    "SocialScene",
    "StaleCacheError",
    "TokenCountScorer",
    "__version__",
    "combine",
    "connect_ray",
    "curriculum_order",
    "dataset_texts",
    "difficulty_rank",
    "example_recipe",
    "example_value_graph",
    "get_pacing",
    "get_scorer",
    "iter_texts",
    "load_demo_corpus",
    "load_scores",
    "merge_score_parts",
    "open_windows",
    "percentile_rank",
    "rank_share",
    "read_corpus",
    "read_ray_dataset",
    "save_scores",
    "schedule_profile",
    "score_dataset",
    "score_file",
    "score_texts",
    "stratified_order",
    "stratified_ranks",
    "training_span",
    "validate_transitions",
]
