"""Merging score parts: every id once, finite scores, the files local scoring writes, or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curriculum import load_scores
from curriculum.errors import InputFileError, OutputExistsError
from curriculum.fingerprint import fingerprint_texts, row_hashes
from curriculum.score_parts import PartWriter, merge_score_parts, write_score_part

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture()
def texts(fortunes: list[str]) -> list[str]:
    return fortunes[:10]


def _meta(texts: list[str]) -> dict[str, object]:
    return {"scorer": "length", "params": {}, "corpus": fingerprint_texts(texts), "input": "c"}


def test_parts_in_any_order_merge_into_the_scores_local_scoring_writes(
    tmp_path: Path, texts: list[str]
) -> None:
    scores = np.array([float(len(t)) for t in texts])
    parts = tmp_path / "parts"
    write_score_part(
        parts / "b.parquet",
        [7, 9, 8],
        scores[[7, 9, 8]],
        row_hashes([7, 9, 8], [texts[i] for i in (7, 9, 8)]),
    )
    ids = list(range(7))[::-1]
    write_score_part(
        parts / "a.parquet", ids, scores[ids], row_hashes(ids, [texts[i] for i in ids])
    )
    check = int(row_hashes(range(10), texts).sum(dtype=np.uint64))
    out = tmp_path / "scores.npy"
    merged = merge_score_parts(parts, 10, out, _meta(texts), row_check=check)
    assert merged.tobytes() == scores.tobytes()
    assert (
        load_scores(out, expect={"corpus": fingerprint_texts(texts)}).tobytes() == scores.tobytes()
    )
    assert json.loads((tmp_path / "scores.json").read_text())["count"] == 10


def test_the_part_writer_writes_few_large_parts(tmp_path: Path) -> None:
    writer = PartWriter(tmp_path, rows=4)
    for lo in range(0, 10, 3):
        ids = np.arange(lo, min(lo + 3, 10))
        writer.add(ids, ids * 1.5)
    writer.flush()
    names = [p.name for p in writer.files]  # 3 + 3 rows reach 4: one part; 3 + 1 another
    assert names == ["part-00000.parquet", "part-00001.parquet"]
    assert [pq.ParquetFile(p).metadata.num_rows for p in writer.files] == [6, 4]
    assert merge_score_parts(tmp_path, 10, tmp_path / "s.npy").tolist() == [
        i * 1.5 for i in range(10)
    ]


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (
            {"a": {"id": [0, 1, 3], "score": [1.0, 2.0, 3.0]}},
            r"leave 1 of 4 ids without a score \(gaps at ids 2\)",
        ),
        (
            {
                "a": {"id": [0, 1], "score": [1.0, 2.0]},
                "b": {"id": [1, 2, 3], "score": [2.0, 3.0, 4.0]},
            },
            r"score part b.parquet .* gives ids a second score: 1; each id must be in exactly one",
        ),
        ({"a": {"id": [0, 1, 1, 2, 3], "score": [1.0] * 5}}, r"gives ids a second score: 1"),
        (
            {"a": {"id": [0, 1, 2, 3, 4, -1], "score": [1.0] * 6}},
            r"holds ids outside 0..3: 4, -1; ids are row positions",
        ),
        (
            {"a": {"id": [0, 1, 2, 3], "score": [1.0, np.nan, 3.0, np.inf]}},
            r"non-finite scores \(NaN or infinite\) for ids 1, 3",
        ),
        (
            {"a": {"id": [0, 1, 2, 3], "value": [1.0] * 4}},
            r"must have an 'id' and a 'score' column, but has \['id', 'value'\]",
        ),
        (
            {"a": {"id": ["0", "1", "2", "3"], "score": [1.0] * 4}},
            r"column 'id' must hold integers, not string",
        ),
        (
            {"a": {"id": [0, 1, 2, 3], "score": ["x"] * 4}},
            r"column 'score' must hold numbers, not string",
        ),
        (
            {"a": {"id": [0, 1, None, 3], "score": [1.0] * 4}},
            r"has missing values in 'id' or 'score'",
        ),
        ({}, r"holds no .parquet parts; nothing to merge"),
    ],
    ids=[
        "gap",
        "duplicate-across-parts",
        "duplicate-in-a-part",
        "out-of-range",
        "nan",
        "no-score-column",
        "string-ids",
        "string-scores",
        "null-id",
        "no-parts",
    ],
)
def test_hostile_parts_are_refused_and_nothing_is_written(
    tmp_path: Path, parts: dict[str, dict[str, list[object]]], message: str
) -> None:
    directory = tmp_path / "parts"
    directory.mkdir()
    for name, columns in parts.items():
        pq.write_table(pa.table(columns), directory / f"{name}.parquet")
    out = tmp_path / "scores.npy"
    with pytest.raises(ValueError, match=message):
        merge_score_parts(directory, 4, out, {"scorer": "length"})
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_row_hashes_that_do_not_add_up_are_refused(tmp_path: Path, texts: list[str]) -> None:
    swapped = [texts[1], texts[0], *texts[2:]]  # two texts scored at each other's positions
    write_score_part(
        tmp_path / "p" / "a.parquet", range(10), np.ones(10), row_hashes(range(10), swapped)
    )
    check = int(row_hashes(range(10), texts).sum(dtype=np.uint64))
    with pytest.raises(
        ValueError, match=r"were not computed from the corpus that was fingerprinted"
    ):
        merge_score_parts(tmp_path / "p", 10, tmp_path / "s.npy", row_check=check)
    write_score_part(tmp_path / "q" / "a.parquet", range(10), np.ones(10))
    with pytest.raises(ValueError, match=r"has no 'row_hash' column"):
        merge_score_parts(tmp_path / "q", 10, tmp_path / "s.npy", row_check=check)
    assert not (tmp_path / "s.npy").exists()


def test_outputs_are_checked_before_the_parts_are_read(tmp_path: Path) -> None:
    write_score_part(tmp_path / "p" / "a.parquet", range(4), np.ones(4))
    (tmp_path / "s.npy").write_bytes(b"old")
    with pytest.raises(OutputExistsError, match=r"exists; pass force=True to replace it"):
        merge_score_parts(tmp_path / "p", 4, tmp_path / "s.npy")
    assert (tmp_path / "s.npy").read_bytes() == b"old"
    with pytest.raises(OutputExistsError, match=r"is the input"):
        merge_score_parts(tmp_path / "p", 4, tmp_path / "p" / "a.parquet", force=True)
    with pytest.raises(InputFileError, match=r"parts_dir .* is not a directory"):
        merge_score_parts(tmp_path / "none", 4, tmp_path / "t.npy")
    assert (
        merge_score_parts(tmp_path / "p", 4, tmp_path / "s.npy", force=True).tolist() == [1.0] * 4
    )
