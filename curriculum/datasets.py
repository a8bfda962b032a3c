"""Getting texts in: map-style datasets (HF ``datasets`` too), corpus files, the demo corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._files import check_input
from curriculum._validation import TextCheck, check_int, check_scores, check_texts
from curriculum.errors import (
    InvalidTypeError,
    InvalidValueError,
    MissingExtraError,
    MissingFieldError,
)

__all__ = [
    "CHUNK_SIZE",
    "check_map_style",
    "dataset_scores",
    "dataset_texts",
    "iter_texts",
    "load_demo_corpus",
    "read_corpus",
    "score_texts",
]


def check_map_style(dataset: Any) -> None:
    """Refuse what a sampler cannot order: a ``DatasetDict`` of splits, or an iterable dataset.

    Raises:
        InvalidTypeError: ``dataset`` is not one map-style dataset, with the fix in the message.
    """
    column_names = getattr(dataset, "column_names", None)
    if isinstance(dataset, Mapping) and isinstance(column_names, Mapping):
        raise InvalidTypeError(
            f"dataset is a {type(dataset).__name__} of splits {sorted(column_names)}; a sampler "
            "orders one split: pass dataset['train'] (or the split you train on)"
        )
    import torch.utils.data

    if isinstance(dataset, torch.utils.data.IterableDataset) or not (
        hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")
    ):
        raise InvalidTypeError(
            f"dataset must be map-style (__len__ and __getitem__), but got "
            f"{type(dataset).__name__}: a DataLoader takes no sampler for an iterable dataset. "
            "Load it map-style (datasets.load_dataset without streaming=True, or "
            "Dataset.from_generator), or order the stream with curriculum.streaming"
        )


def _field_values(
    dataset: Any, field: str, param: str, *, plain_items: bool, fix: str = ""
) -> tuple[Any, bool]:
    """``field`` of every item of a map-style dataset, and whether it came as an HF column.

    An HF ``datasets.Dataset`` is read column-wise (one fast read); other datasets item by item,
    where items are mappings holding ``field`` (or, with ``plain_items``, the values themselves).
    """
    check_map_style(dataset)
    column_names = getattr(dataset, "column_names", None)
    if isinstance(column_names, list):
        if field not in column_names:
            raise MissingFieldError(
                f"{param}={field!r} is not a column of the dataset; columns are {column_names}"
            )
        return dataset[field], True
    values = []
    for i in range(len(dataset)):
        item = dataset[i]
        if isinstance(item, Mapping):
            if field not in item:
                raise MissingFieldError(
                    f"{param}={field!r} is not a key of dataset[{i}]; its keys are "
                    f"{sorted(item)}{fix}"
                )
            item = item[field]
        elif not plain_items:
            raise MissingFieldError(
                f"{param}={field!r} is not a key of dataset[{i}]; it is a "
                f"{type(item).__name__}{fix}"
            )
        values.append(item)
    return values, False


def dataset_scores(dataset: Any, *, score_column: str) -> NDArray[np.float64]:
    """The difficulty stored with every item of a map-style dataset, in index order.

    Args:
        dataset: an HF ``datasets.Dataset`` (read column-wise), or anything with ``__len__`` and
            ``__getitem__`` whose items are mappings holding ``score_column``.
        score_column: the column or key that holds the scores.
    """
    fix = "; store the scores in every item, or pass scores directly"
    values, _ = _field_values(dataset, score_column, "score_column", plain_items=False, fix=fix)
    return check_scores(values, name=f"dataset[{score_column!r}]")


def dataset_texts(dataset: Any, *, text_field: str = "text") -> list[str]:
    """The text of every item of a map-style dataset, in index order.

    Args:
        dataset: an HF ``datasets.Dataset`` (read column-wise), or anything with ``__len__`` and
            ``__getitem__`` whose items are strings or mappings holding ``text_field``.
        text_field: the column or key that holds the text.
    """
    texts, column = _field_values(dataset, text_field, "text_field", plain_items=True)
    return check_texts(texts, name=f"dataset[{text_field!r}]" if column else "dataset texts")


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


#: Texts per chunk when a corpus file is read in chunks (:func:`iter_texts`).
CHUNK_SIZE = 8192


def read_corpus(path: str | os.PathLike[str], *, text_field: str = "text") -> list[dict[str, Any]]:
    """Read a corpus file into records (dicts with at least ``text_field``).

    Formats by suffix: ``.jsonl``/``.json``/``.ndjson`` (one JSON object per line), ``.parquet``
    (needs pyarrow), anything else plain UTF-8 text with one text per line (blank lines skipped).

    Raises:
        MissingFileError: ``path`` does not exist.
        InputFileError: it is a directory or cannot be read.
        InvalidValueError: it is not UTF-8 text (or not the format its suffix says), a line is
            not a JSON object with ``text_field``, or it holds no texts; the message names the
            file and line.
    """
    path = check_input(path, what="input file")
    if path.suffix.lower() == ".parquet":
        records = _read_parquet(path, text_field)
    else:
        records = list(_line_records(path, text_field))
    if not records:
        raise InvalidValueError(f"{path} holds no texts")
    check_texts([r[text_field] for r in records], name=f"texts of {path}")
    return records


def iter_texts(
    path: str | os.PathLike[str], *, text_field: str = "text", chunk_size: int = CHUNK_SIZE
) -> Iterator[list[str]]:
    """The texts of a corpus file in chunks, in order, read as they are needed.

    The file is read as :func:`read_corpus` reads it, with the same errors, but never more than
    one chunk of texts is held: a corpus larger than memory streams through. A chunk is yielded
    only while every text so far is valid; after a bad one the rest of the file is still read
    (for its line errors and the count of bad texts), then the error :func:`read_corpus` would
    raise is raised.

    Args:
        path: the corpus file (``.jsonl``/``.json``/``.ndjson``, ``.parquet``, or plain text).
        text_field: the field or column that holds the text.
        chunk_size: texts per chunk (the last one may hold fewer).

    Raises:
        MissingFileError, InputFileError, InvalidValueError, InvalidTypeError: as
            :func:`read_corpus`.
    """
    path = check_input(path, what="input file")
    size = check_int("chunk_size", chunk_size, minimum=1)
    if path.suffix.lower() == ".parquet":
        texts = _parquet_texts(path, text_field, size)
    else:
        texts = (r[text_field] for r in _line_records(path, text_field))
    check = TextCheck(f"texts of {path}")
    chunk: list[Any] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) == size:
            if check.update(chunk):
                yield chunk
            chunk = []
    if chunk and check.update(chunk):
        yield chunk
    if not check.count:
        raise InvalidValueError(f"{path} holds no texts")
    check.raise_if_bad()


def _line_records(path: Path, text_field: str) -> Iterator[dict[str, Any]]:
    """Records of a JSON lines or plain text file, one line at a time (blank lines skipped)."""
    json_lines = path.suffix.lower() in (".jsonl", ".json", ".ndjson")
    for lineno, line in _lines(path):
        if not line.strip():
            continue
        if json_lines:
            yield _json_record(path, lineno, line, text_field)
        else:
            yield {text_field: line.rstrip("\r\n")}


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines of a UTF-8 text file, with errors that name the file, line and fix."""
    with path.open("rb") as f:
        head = f.read(4)
        f.seek(0)
        for bom, encoding in ((b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
            if head.startswith(bom):
                raise InvalidValueError(
                    f"{path} is {encoding} text, not UTF-8; convert the file, e.g. iconv -f "
                    f"utf-16 -t utf-8 {path.name} > {path.stem}.utf8{path.suffix}"
                )
        for lineno, raw in enumerate(f, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark: harmless, dropped
            if b"\x00" in raw:
                raise InvalidValueError(
                    f"{path}:{lineno} holds NUL bytes: it looks like a binary file, not a corpus "
                    "of text (.jsonl, .parquet or .txt)"
                )
            try:
                yield lineno, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidValueError(
                    f"{path}:{lineno} is not UTF-8 (byte {raw[exc.start]:#04x} at column "
                    f"{exc.start + 1}); convert the file, e.g. iconv -f latin1 -t utf-8 "
                    f"{path.name} > {path.stem}.utf8{path.suffix}"
                ) from None


def _json_record(path: Path, lineno: int, line: str, text_field: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidValueError(f"{path}:{lineno} is not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict) or text_field not in record:
        keys = sorted(record) if isinstance(record, dict) else type(record).__name__
        raise InvalidValueError(
            f"{path}:{lineno} must be a JSON object with a {text_field!r} field, but has "
            f"{keys}; pick the field with --text-field"
        )
    return record


def _parquet_file(path: Path, text_field: str) -> Any:
    """An open ``pyarrow.parquet.ParquetFile`` that holds ``text_field``, or a clear error."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError(
            "reading parquet needs pyarrow: pip install 'curriculum[parquet]'"
        ) from None
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidValueError(f"{path} is not a readable parquet file ({exc})") from None
    names = parquet.schema_arrow.names
    if text_field not in names:
        raise InvalidValueError(f"{path} has no column {text_field!r}; columns are {names}")
    return parquet


def _read_parquet(path: Path, text_field: str) -> list[dict[str, Any]]:
    import pyarrow as pa

    parquet = _parquet_file(path, text_field)
    try:
        table = parquet.read()
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidValueError(f"{path} is not a readable parquet file ({exc})") from None
    records: list[dict[str, Any]] = table.to_pylist()
    return records


def _parquet_texts(path: Path, text_field: str, batch_size: int) -> Iterator[Any]:
    """The ``text_field`` column of a parquet file, one batch of rows read at a time."""
    import pyarrow as pa

    parquet = _parquet_file(path, text_field)
    batches = parquet.iter_batches(batch_size=batch_size, columns=[text_field])
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InvalidValueError(f"{path} is not a readable parquet file ({exc})") from None
        if batch is None:
            return
        yield from batch.column(0).to_pylist()


def load_demo_corpus() -> list[dict[str, Any]]:
    """The small real corpus shipped for the demo: records with ``id``, ``source``, ``text``.

    See ``curriculum/data/README.md`` for where the passages come from and their licences.
    """
    ref = resources.files("curriculum").joinpath("data/demo_corpus.jsonl")
    with resources.as_file(ref) as path:
        return read_corpus(path)
