"""Scores computed in parts (by Ray tasks, or by your own jobs) merged into one ``scores.npy``.

A part is a parquet file with an integer ``id`` column (the row's position in the corpus, 0 to
n-1) and a numeric ``score`` column; the text is never in it. Parts may come in any order and any
sizes. :func:`merge_score_parts` checks that together they give every position exactly one
finite score, then writes the scores with the sidecar that local scoring writes, so
:func:`~curriculum.cache.load_scores` and ``curriculum schedule --scores`` read them unchanged.
A part may also carry a ``row_hash`` column (:func:`~curriculum.fingerprint.row_hashes` of its
rows' positions and texts): their sum, checked against the one computed while fingerprinting the
corpus, proves that every score was computed from the text at its position.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._files import atomic_write, check_input
from curriculum._validation import _positions, check_int
from curriculum.cache import save_scores
from curriculum.errors import InputFileError, InvalidValueError, MissingExtraError
from curriculum.scoring import check_scores_output

__all__ = ["PART_ROWS", "PartWriter", "merge_score_parts", "write_score_part"]

#: Rows per part file written by :class:`PartWriter` (16 MiB of ids and scores, 24 with hashes).
PART_ROWS = 1 << 20


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError(
            "score parts are parquet files, which need pyarrow: pip install 'curriculum[parquet]'"
        ) from None
    return pa, pq


def write_score_part(
    path: str | os.PathLike[str],
    ids: NDArray[Any],
    scores: NDArray[Any],
    row_hashes: NDArray[np.uint64] | None = None,
) -> Path:
    """Write one part: ``id`` (int64), ``score`` (float64) and optionally ``row_hash`` (uint64).

    Written atomically, so a part that exists is whole.
    """
    pa, pq = _pyarrow()
    columns = {
        "id": pa.array(np.asarray(ids, dtype=np.int64)),
        "score": pa.array(np.asarray(scores, dtype=np.float64)),
    }
    if row_hashes is not None:
        columns["row_hash"] = pa.array(np.asarray(row_hashes, dtype=np.uint64))
    table = pa.table(columns)
    atomic_write(path, lambda f: pq.write_table(table, f))
    return Path(path)


class PartWriter:
    """Collects scored rows as they arrive and writes a part once ``rows`` of them are held.

    Few, large files: a billion rows make about a thousand parts, not one per batch. A part
    holds whole batches, so it can hold a little more than ``rows``; the last one, less.

    Args:
        directory: where the parts go (``part-00000.parquet``, ...).
        rows: rows that make a part.
    """

    def __init__(self, directory: str | os.PathLike[str], *, rows: int = PART_ROWS) -> None:
        self.directory = Path(directory)
        self.rows = check_int("rows", rows, minimum=1)
        #: The part files written so far.
        self.files: list[Path] = []
        self._held: list[tuple[NDArray[Any], NDArray[Any], NDArray[Any] | None]] = []
        self._count = 0

    def add(
        self, ids: NDArray[Any], scores: NDArray[Any], row_hashes: NDArray[Any] | None = None
    ) -> None:
        """Take the next scored rows; a part is written once enough are held."""
        self._held.append((ids, scores, row_hashes))
        self._count += len(ids)
        if self._count >= self.rows:
            self.flush()

    def flush(self) -> None:
        """Write what is held as one part (nothing if nothing is held)."""
        if not self._held:
            return
        ids = np.concatenate([h[0] for h in self._held])
        scores = np.concatenate([h[1] for h in self._held])
        hashes = None
        if all(h[2] is not None for h in self._held):
            hashes = np.concatenate([h[2] for h in self._held if h[2] is not None])
        path = self.directory / f"part-{len(self.files):05d}.parquet"
        self.files.append(write_score_part(path, ids, scores, hashes))
        self._held, self._count = [], 0


def merge_score_parts(
    parts_dir: str | os.PathLike[str],
    n: int,
    output: str | os.PathLike[str],
    metadata: dict[str, Any] | None = None,
    *,
    row_check: int | None = None,
    force: bool = False,
) -> NDArray[np.float64]:
    """Merge the parquet parts in ``parts_dir`` into ``output`` (``.npy``) and its sidecar.

    Args:
        parts_dir: a directory of ``*.parquet`` parts, each with ``id`` and ``score`` columns.
        n: rows of the corpus: the parts must hold every id from 0 to n-1 exactly once.
        output: the scores file to write (never one of the parts; replaced only with ``force``).
        metadata: the sidecar's content; to be read like local scores it holds ``scorer``,
            ``params``, ``corpus`` (the corpus fingerprint) and ``input`` (see
            :func:`~curriculum.scoring.score_metadata`).
        row_check: the sum of :func:`~curriculum.fingerprint.row_hashes` over the corpus; when
            given, the parts' ``row_hash`` columns must add up to it.
        force: replace an existing ``output``.

    Returns:
        The scores, in row order.

    Raises:
        InvalidValueError: no parts; a part without an integer ``id`` or a numeric ``score``
            column, with missing values, ids outside 0..n-1, ids given twice, non-finite scores;
            ids without a score (gaps); or row hashes that do not add up. The message names the
            part and the first ids. Nothing is written.
    """
    pa, pq = _pyarrow()
    n = check_int("n", n, minimum=1)
    directory = Path(parts_dir)
    if not directory.is_dir():
        raise InputFileError(
            f"parts_dir {str(directory)!r} is not a directory; give the directory the score "
            "parts were written to"
        )
    files = sorted(directory.glob("*.parquet"))
    if not files:
        raise InvalidValueError(
            f"parts_dir {str(directory)!r} holds no .parquet parts; nothing to merge"
        )
    out = check_scores_output(output, inputs=files, force=force)
    scores = np.zeros(n, dtype=np.float64)
    seen = np.zeros(n, dtype=bool)
    total = np.uint64(0)
    for path in files:
        part = pq.ParquetFile(check_input(path, what="score part"))
        names = part.schema_arrow.names
        fields = {name: part.schema_arrow.field(name).type for name in names}
        where = f"score part {path.name} (in {directory})"
        if "id" not in fields or "score" not in fields:
            raise InvalidValueError(
                f"{where} must have an 'id' and a 'score' column, but has {names}; a part holds "
                "each row's position in the corpus (id) and its score"
            )
        if not pa.types.is_integer(fields["id"]):
            raise InvalidValueError(f"{where}: column 'id' must hold integers, not {fields['id']}")
        if not (pa.types.is_integer(fields["score"]) or pa.types.is_floating(fields["score"])):
            raise InvalidValueError(
                f"{where}: column 'score' must hold numbers, not {fields['score']}"
            )
        hashed = row_check is not None
        if hashed and "row_hash" not in fields:
            raise InvalidValueError(
                f"{where} has no 'row_hash' column, so its scores cannot be checked against the "
                "corpus; merge without row_check"
            )
        columns = ["id", "score", "row_hash"] if hashed else ["id", "score"]
        for batch in part.iter_batches(columns=columns):
            if batch.column(0).null_count or batch.column(1).null_count:
                raise InvalidValueError(
                    f"{where} has missing values in 'id' or 'score'; every row needs both"
                )
            ids = np.asarray(batch.column(0).to_numpy(), dtype=np.int64)
            values = np.asarray(batch.column(1).to_numpy(), dtype=np.float64)
            _check_part(where, ids, values, n, seen)
            scores[ids] = values
            seen[ids] = True
            if hashed:
                hashes = np.asarray(batch.column(2).to_numpy(), dtype=np.uint64)
                total = np.add(total, hashes.sum(dtype=np.uint64))
    missing = np.flatnonzero(~seen)
    if missing.size:
        raise InvalidValueError(
            f"the score parts in {directory} leave {missing.size} of {n} ids without a score "
            f"(gaps at ids {_positions(missing[:5].tolist(), missing.size)}); every id from 0 "
            f"to {n - 1} needs one: score the missing rows, or give the n of the parts' corpus"
        )
    if row_check is not None and int(total) != int(row_check):
        raise InvalidValueError(
            f"the score parts in {directory} were not computed from the corpus that was "
            "fingerprinted: their row hashes do not add up (a row was read differently, or at "
            "another position); the dataset must give the same rows in the same order each time "
            "it is read"
        )
    save_scores(out, scores, metadata)
    return scores


def _check_part(
    where: str, ids: NDArray[np.int64], values: NDArray[np.float64], n: int, seen: NDArray[Any]
) -> None:
    outside = ids[(ids < 0) | (ids >= n)]
    if outside.size:
        raise InvalidValueError(
            f"{where} holds ids outside 0..{n - 1}: "
            f"{_positions(outside[:5].tolist(), outside.size)}; ids are row positions of a corpus "
            f"of {n} rows"
        )
    unique, counts = np.unique(ids, return_counts=True)
    twice = np.concatenate([unique[counts > 1], unique[seen[unique]]])
    if twice.size:
        twice = np.unique(twice)
        raise InvalidValueError(
            f"{where} gives ids a second score: {_positions(twice[:5].tolist(), twice.size)}; each "
            "id must be in exactly one part, once (were parts of two runs mixed?)"
        )
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise InvalidValueError(
            f"{where} holds non-finite scores (NaN or infinite) for ids "
            f"{_positions(ids[bad[:5]].tolist(), bad.size)}; fix the scorer or those texts"
        )
