"""Corpus input: files of every supported format, map-style and HF datasets, the demo corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curriculum import dataset_texts, load_demo_corpus, read_corpus, score_texts


def test_demo_corpus_is_real_and_varied() -> None:
    records = load_demo_corpus()
    assert 2000 <= len(records) <= 5000
    sources = {r["source"].split("/")[0] for r in records}
    assert sources == {"fortunes", "debian-reference"}
    assert all(r["text"].strip() and r["id"] for r in records)


def test_read_jsonl_text_and_parquet(tmp_path: Path, fortunes: list[str]) -> None:
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text("\n".join(json.dumps({"body": t}) for t in fortunes[:5]) + "\n\n")
    assert [r["body"] for r in read_corpus(jsonl, text_field="body")] == fortunes[:5]
    txt = tmp_path / "c.txt"
    txt.write_text("first line\n\nsecond line\n")
    assert [r["text"] for r in read_corpus(txt)] == ["first line", "second line"]
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": fortunes[:4]}), tmp_path / "c.parquet")
    assert [r["text"] for r in read_corpus(tmp_path / "c.parquet")] == fortunes[:4]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('{"text": "ok"}\nnot json\n', r"c.jsonl:2 is not valid JSON"),
        ('{"body": "ok"}\n', r"c.jsonl:1 must be a JSON object with a 'text' field"),
        ('{"text": "   "}\n', r"must not hold empty or whitespace-only texts"),
        ("\n\n", r"holds no texts"),
    ],
)
def test_bad_corpus_files(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        read_corpus(path)


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError, match=r"input file 'nope.jsonl' does not exist"):
        read_corpus("nope.jsonl")


def test_dataset_texts_from_map_style_and_hf(fortunes: list[str]) -> None:
    assert dataset_texts(fortunes[:3]) == fortunes[:3]
    assert dataset_texts([{"t": x} for x in fortunes[:3]], text_field="t") == fortunes[:3]
    with pytest.raises(
        KeyError, match=r"text_field='text' is not a key of dataset\[0\]; its keys are \['t'\]"
    ):
        dataset_texts([{"t": "x"}])
    with pytest.raises(TypeError, match=r"dataset must be map-style"):
        dataset_texts(iter(["a"]))
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"content": fortunes[:3]})
    assert dataset_texts(ds, text_field="content") == fortunes[:3]
    with pytest.raises(
        KeyError,
        match=r"text_field='text' is not a column of the dataset; columns are \['content'\]",
    ):
        dataset_texts(ds)


def test_score_texts_validates_what_a_scorer_returns() -> None:
    class Short:
        def score(self, texts):
            return [1.0]

    with pytest.raises(ValueError, match=r"has 1 values but the corpus has 2 samples"):
        score_texts(["a", "b"], scorer=Short())
