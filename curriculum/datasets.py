"""Getting texts in: map-style datasets (HF ``datasets`` too), corpus files, the demo corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._validation import check_scores, check_texts

__all__ = ["dataset_texts", "load_demo_corpus", "read_corpus", "score_texts"]


def dataset_texts(dataset: Any, *, text_field: str = "text") -> list[str]:
    """The text of every item of a map-style dataset, in index order.

    Args:
        dataset: an HF ``datasets.Dataset`` (read column-wise), or anything with ``__len__`` and
            ``__getitem__`` whose items are strings or mappings holding ``text_field``.
        text_field: the column or key that holds the text.
    """
    column_names = getattr(dataset, "column_names", None)
    if isinstance(column_names, list):  # HF datasets.Dataset: one fast column read
        if text_field not in column_names:
            raise KeyError(
                f"text_field={text_field!r} is not a column of the dataset; "
                f"columns are {column_names}"
            )
        return check_texts(dataset[text_field], name=f"dataset[{text_field!r}]")
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(
            f"dataset must be map-style (__len__ and __getitem__), but got "
            f"{type(dataset).__name__}; for an IterableDataset, collect its texts first"
        )
    texts = []
    for i in range(len(dataset)):
        item = dataset[i]
        if isinstance(item, Mapping):
            if text_field not in item:
                raise KeyError(
                    f"text_field={text_field!r} is not a key of dataset[{i}]; "
                    f"its keys are {sorted(item)}"
                )
            item = item[text_field]
        texts.append(item)
    return check_texts(texts, name="dataset texts")


def score_texts(
    texts: Sequence[str], *, scorer: Any = "readability", cache: Any = None
) -> NDArray[np.float64]:
    """Scores of ``texts`` from a scorer (instance or registered name), through an optional cache.

    Args:
        texts: the corpus.
        scorer: a scorer instance or a name in :data:`curriculum.scorers.SCORERS`.
        cache: a :class:`~curriculum.cache.ScoreCache`, a directory for one, or None.
    """
    from curriculum.cache import ScoreCache
    from curriculum.scorers import get_scorer

    items = check_texts(texts)
    scorer = get_scorer(scorer)
    if cache is None:
        scores = scorer.score(items)
    else:
        cache = cache if isinstance(cache, ScoreCache) else ScoreCache(cache)
        scores = cache.get_or_compute(scorer, items)
    return check_scores(
        scores, name=f"scores from {scorer!r}", expected_len=len(items), what="corpus"
    )


def read_corpus(path: str | os.PathLike[str], *, text_field: str = "text") -> list[dict[str, Any]]:
    """Read a corpus file into records (dicts with at least ``text_field``).

    Formats by suffix: ``.jsonl``/``.json`` (one JSON object per line), ``.parquet`` (needs
    pyarrow), anything else plain text with one text per line (blank lines skipped).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input file {path} does not exist")
    suffix = path.suffix.lower()
    records: list[dict[str, Any]]
    if suffix in (".jsonl", ".json", ".ndjson"):
        records = []
        with path.open(encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno} is not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict) or text_field not in record:
                    raise ValueError(
                        f"{path}:{lineno} must be a JSON object with a {text_field!r} field; "
                        f"pick the field with --text-field"
                    )
                records.append(record)
    elif suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError(
                "reading parquet needs pyarrow: pip install 'curriculum[parquet]'"
            ) from None
        table = pq.read_table(path)
        if text_field not in table.column_names:
            raise ValueError(
                f"{path} has no column {text_field!r}; columns are {table.column_names}"
            )
        records = table.to_pylist()
    else:
        with path.open(encoding="utf-8") as f:
            records = [{text_field: line.rstrip("\n")} for line in f if line.strip()]
    if not records:
        raise ValueError(f"{path} holds no texts")
    check_texts([r[text_field] for r in records], name=f"texts of {path}")
    return records


def load_demo_corpus() -> list[dict[str, Any]]:
    """The small real corpus shipped for the demo: records with ``id``, ``source``, ``text``.

    See ``curriculum/data/README.md`` for where the passages come from and their licences.
    """
    ref = resources.files("curriculum").joinpath("data/demo_corpus.jsonl")
    with resources.as_file(ref) as path:
        return read_corpus(path)
