"""Ray, the worker side: what scores a batch of rows, in a task or in an actor.

Nothing here imports Ray: these are the functions and the class that Ray ships to its workers.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum.errors import CurriculumError, InvalidValueError
from curriculum.fingerprint import row_hashes

__all__ = ["ScoreBatches", "for_workers", "score_batch"]


def for_workers(scorer: Any) -> Any:
    """A copy of ``scorer`` without its progress bar or an embedding cache on the workers' disks."""
    worker = copy.copy(scorer)
    for name, quiet in (("progress", False), ("cache_dir", None)):
        if hasattr(worker, name):
            setattr(worker, name, quiet)
    return worker


def _name_rows(exc: BaseException, message: str) -> None:
    add_note = getattr(exc, "add_note", None)
    if add_note is None:  # Python 3.10 has no notes: chain the scorer's error instead
        raise CurriculumError(message) from exc
    add_note(message)


def score_batch(
    batch: Any, *, scorer: Any, text_column: str = "text", id_column: str = "id"
) -> dict[str, NDArray[Any]]:
    """Score one batch (a pyarrow Table): its ``id``, ``score`` and ``row_hash`` columns.

    If the scorer raises, its exception gets a note naming the batch's rows and the scorer.
    """
    ids = np.asarray(batch.column(id_column).to_numpy(), dtype=np.int64)
    texts = batch.column(text_column).to_pylist()
    rows = f"rows {ids[0]}..{ids[-1]}" if len(ids) else "an empty batch"
    try:
        scores = np.asarray(scorer.score(texts), dtype=np.float64)
    except Exception as exc:
        _name_rows(exc, f"while scoring {rows} ({len(ids)} texts) with {scorer!r}")
        raise
    if scores.shape != (len(texts),):
        raise InvalidValueError(
            f"{scorer!r} returned scores of shape {scores.shape} for {rows} ({len(texts)} "
            "texts); a scorer must return one float per text"
        )
    return {"id": ids, "score": scores, "row_hash": row_hashes(ids, texts)}


class ScoreBatches:
    """A Ray Data ``map_batches`` class: one scorer per actor, its model loaded in ``__init__``.

    What :func:`~curriculum.distributed_scoring.score_dataset` runs for scorers with a model.
    In a pipeline of your own, use it as Ray's docs have you use any callable class, on a
    dataset whose ``id`` column holds each row's position in the corpus, then merge the parts
    your job writes with :func:`~curriculum.score_parts.merge_score_parts`::

        ds.map_batches(ScoreBatches, fn_constructor_kwargs={"scorer": scorer},
                       batch_format="pyarrow", batch_size=256, concurrency=2, num_gpus=1)

    Each output row holds ``id`` (from ``id_column``), ``score`` and ``row_hash``; never the text.

    Args:
        scorer: a scorer whose ``per_text`` is true (fitted, if it needs a fit).
        text_column: the column holding the text.
        id_column: the column holding each row's position in the corpus.
    """

    def __init__(self, scorer: Any, *, text_column: str = "text", id_column: str = "id") -> None:
        prepare = getattr(scorer, "prepare", None)
        self.scorer = prepare() if prepare is not None else scorer
        self.text_column = text_column
        self.id_column = id_column

    def __call__(self, batch: Any) -> dict[str, NDArray[Any]]:
        """Score one batch."""
        return score_batch(
            batch, scorer=self.scorer, text_column=self.text_column, id_column=self.id_column
        )
