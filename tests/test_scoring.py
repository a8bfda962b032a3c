"""Scoring a corpus file in chunks: same scores, sidecar and errors as whole, bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from curriculum import (
    CombinedScorer,
    CompressionScorer,
    ConceptGraphScorer,
    LengthScorer,
    ReadabilityScorer,
    ScoreCache,
    load_scores,
    read_corpus,
)
from curriculum._validation import TextCheck, check_texts
from curriculum.datasets import iter_texts
from curriculum.fingerprint import TextHasher, fingerprint_texts
from curriculum.scoring import score_file, streams

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture()
def corpus(tmp_path: Path, fortunes: list[str], debian: list[str]) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in fortunes + debian))
    return path


def test_the_hasher_fed_in_parts_gives_the_corpus_fingerprint(fortunes: list[str]) -> None:
    hasher = TextHasher()
    for lo in range(0, len(fortunes), 7):
        hasher.update(fortunes[lo : lo + 7])
    assert hasher.hexdigest() == fingerprint_texts(fortunes)
    assert hasher.count == len(fortunes)


@pytest.mark.parametrize(
    "items",
    [
        ["ok", 3, "fine", None, *[5] * 6],  # non-strings: the first, and a count past five
        ["ok", " ", "a\ud800b", "\t"],  # a surrogate outranks blanks anywhere
        ["ok", "", "fine", " ", "x", "\n", "", "y", " ", "  ", "z"],  # blanks across chunks
        ["ok", "fine"],
    ],
)
def test_a_check_fed_in_chunks_raises_what_the_whole_check_raises(items: list[object]) -> None:
    try:
        check_texts(items, name="texts of c.jsonl")
        whole = None
    except (TypeError, ValueError) as error:
        whole = (type(error), str(error))
    for size in (1, 2, 3, len(items)):
        check = TextCheck("texts of c.jsonl")
        for lo in range(0, len(items), size):
            check.update(items[lo : lo + size])
        try:
            check.raise_if_bad()
            parts = None
        except (TypeError, ValueError) as error:
            parts = (type(error), str(error))
        assert parts == whole


@pytest.mark.parametrize(
    "lines",
    [
        ['{"text": "ok"}', "not json", '{"text": "  "}'],
        ['{"text": "ok"}', '{"text": "  "}', '{"text": "fine"}', "[1, 2]"],
        ['{"text": "ok"}', '{"text": ""}', '{"text": 3}', '{"text": "fine"}', '{"text": "\\t"}'],
        ['{"text": "a"}', '{"text": "\\ud800"}', '{"text": " "}'],
        ["", "  ", ""],
    ],
)
def test_reading_in_chunks_raises_what_reading_whole_raises(
    tmp_path: Path, lines: list[str]
) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises((TypeError, ValueError)) as whole:
        read_corpus(path)
    for size in (1, 2, 100):
        with pytest.raises(type(whole.value)) as chunked:
            for _ in iter_texts(path, chunk_size=size):
                pass
        assert str(chunked.value) == str(whole.value)


def test_chunks_hold_the_texts_in_order_for_every_format(
    tmp_path: Path, fortunes: list[str]
) -> None:
    texts = fortunes[:50]
    txt = tmp_path / "c.txt"
    txt.write_text("\n\n".join(texts) + "\n")  # multi-line fortunes: a text per line
    plain = [r["text"] for r in read_corpus(txt)]
    assert [t for c in iter_texts(txt, chunk_size=7) for t in c] == plain
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"text": texts, "n": range(50)}), tmp_path / "c.parquet", row_group_size=8
    )
    chunks = list(iter_texts(tmp_path / "c.parquet", chunk_size=7))
    assert [len(c) for c in chunks] == [7] * 7 + [1]
    assert [t for c in chunks for t in c] == texts
    with pytest.raises(ValueError, match=r"has no column 'body'; columns are \['text', 'n'\]"):
        next(iter_texts(tmp_path / "c.parquet", text_field="body"))


@pytest.mark.parametrize(
    "scorer",
    [
        ReadabilityScorer(n_jobs=2),  # several chunks through one pool of two processes
        ReadabilityScorer(metric="flesch_reading_ease", n_jobs=1),
        LengthScorer(),
        CompressionScorer(),
        ConceptGraphScorer("values"),
    ],
    ids=["readability-2-jobs", "reading-ease", "length", "compression", "concept-graph"],
)
def test_scores_in_chunks_are_the_scores_of_the_whole_corpus(
    tmp_path: Path, corpus: Path, scorer: object
) -> None:
    texts = [r["text"] for r in read_corpus(corpus)]
    whole = scorer.score(texts)  # type: ignore[attr-defined]
    out = tmp_path / "s.npy"
    assert streams(scorer)
    scores = score_file(corpus, scorer, output=out, chunk_size=37, progress=False)
    assert scores.tobytes() == whole.tobytes()
    assert np.load(out).tobytes() == whole.tobytes()
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["corpus"] == fingerprint_texts(texts) and meta["input"] == str(corpus)
    assert meta["scorer"] == scorer.name  # type: ignore[attr-defined]
    assert (
        load_scores(out, expect={"corpus": fingerprint_texts(texts)}).tobytes() == whole.tobytes()
    )


def test_a_scorer_that_compares_texts_reads_the_corpus_whole(tmp_path: Path, corpus: Path) -> None:
    combined = CombinedScorer([LengthScorer(), CompressionScorer()])  # percentile ranks
    assert not streams(combined)
    texts = [r["text"] for r in read_corpus(corpus)]
    scores = score_file(corpus, combined, output=tmp_path / "s.npy", chunk_size=37, progress=False)
    assert np.array_equal(scores, combined.score(texts))


class _Refuses(LengthScorer):
    """Same name and settings as LengthScorer, so a cache hit serves it; scoring fails."""

    def score(self, texts: object) -> np.ndarray:
        raise AssertionError("scored although the cache holds these scores")


def test_readability_keeps_one_pool_of_processes_for_all_chunks(fortunes: list[str]) -> None:
    import multiprocessing

    scorer = ReadabilityScorer(n_jobs=2)
    chunks = [fortunes[lo : lo + 50] for lo in range(0, 300, 50)]
    workers: set[int] = set()
    scores = []
    for chunk_scores in scorer.score_chunks(iter(chunks)):
        workers |= {p.pid for p in multiprocessing.active_children()}
        scores.append(chunk_scores)
    assert 1 <= len(workers) <= 2  # a pool per chunk would have started 12
    assert np.concatenate(scores).tobytes() == scorer.score(fortunes).tobytes()


def test_scorers_that_need_the_whole_corpus_read_it_whole() -> None:
    from curriculum import EmbeddingClusterScorer

    assert not streams(EmbeddingClusterScorer(3))  # its fit must see every text
    assert EmbeddingClusterScorer(3).per_text and EmbeddingClusterScorer(3).needs_fit()
    assert not ConceptGraphScorer("values", assign="embedding").per_text  # a threshold on it


def test_the_fit_sample_is_uniform_and_the_same_whatever_the_chunks() -> None:
    from curriculum._digest import CorpusDigest

    texts = [f"text {i}" for i in range(10_000)]
    whole = CorpusDigest(sample_size=100, seed=1)
    whole.update(texts)
    chunked = CorpusDigest(sample_size=100, seed=1)
    for lo in range(0, len(texts), 7):
        chunked.update(texts[lo : lo + 7])
    assert chunked.sample() == whole.sample() and len(whole.sample()) == 100
    positions = []
    for seed in range(100):
        digest = CorpusDigest(sample_size=100, seed=seed)
        digest.update(texts)
        positions += [int(t.split()[1]) for t in digest.sample()]
    counts = np.histogram(positions, bins=10, range=(0, 10_000))[0]  # 1,000 expected in each
    assert counts.min() > 850 and counts.max() < 1150, counts
    small = CorpusDigest(sample_size=100, seed=1)
    small.update(texts[:60])
    assert small.sample() == texts[:60]  # a corpus no larger than the sample is kept whole


def test_a_cache_hit_scores_nothing(tmp_path: Path, corpus: Path) -> None:
    cache = ScoreCache(tmp_path / "cache")
    first = score_file(corpus, "length", output=tmp_path / "a.npy", cache=cache, chunk_size=64)
    again = score_file(corpus, _Refuses(), output=tmp_path / "b.npy", cache=cache, chunk_size=64)
    assert again.tobytes() == first.tobytes()
    a = json.loads((tmp_path / "a.json").read_text())
    b = json.loads((tmp_path / "b.json").read_text())
    assert a == b


def test_the_progress_bar_counts_texts_unless_switched_off(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    score_file(corpus, "length", output=tmp_path / "a.npy", progress=True)
    assert "scoring (length)" in capsys.readouterr().err
    score_file(corpus, "length", output=tmp_path / "b.npy", progress=False)
    assert capsys.readouterr().err == ""


_PEAK = """
import resource, sys
from curriculum.cli import main
assert main(["score", sys.argv[1], "-o", sys.argv[2], "--scorer", "length", "--no-progress"]) == 0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_curriculum_score_streams_a_corpus_larger_than_what_it_holds(tmp_path: Path) -> None:
    """Peak memory grows by the scores (8 B a text), not by the texts (~270 B) or records."""
    rows = [
        line
        for name in ("fortunes", "debian-reference")
        if (SHARED / f"{name}.jsonl").exists()
        for line in (SHARED / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    if len(rows) < 10_000:  # outside the workplace: the shipped corpus, the same real passages
        shipped = Path(__file__).resolve().parents[1] / "curriculum" / "data" / "demo_corpus.jsonl"
        rows = shipped.read_text(encoding="utf-8").splitlines()
    repeats = -(-240_000 // len(rows))  # real passages, repeated to about 240,000 lines
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    small.write_text("\n".join(rows[:1000]) + "\n")
    with big.open("w", encoding="utf-8") as f:
        for _ in range(repeats):
            f.write("\n".join(rows) + "\n")
    n = repeats * len(rows)

    def peak_kib(path: Path) -> int:
        out = subprocess.run(
            [sys.executable, "-c", _PEAK, str(path), str(tmp_path / f"{path.stem}.npy")],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(out.stdout.split()[-1])

    grown = (peak_kib(big) - peak_kib(small)) * 1024
    texts_bytes = big.stat().st_size  # the texts alone, as UTF-8, without any object overhead
    assert np.load(tmp_path / "big.npy").shape == (n,)
    assert grown < 24 * 1024**2 < texts_bytes / 2, (grown, texts_bytes)
