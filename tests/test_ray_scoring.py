"""Scoring on Ray Data: a real local Ray (2 CPUs), real passages, the files local scoring writes."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from curriculum import (
    CombinedScorer,
    CompressionScorer,
    ConceptGraphScorer,
    EmbeddingClusterScorer,
    LengthScorer,
    ReadabilityScorer,
    ScoreBatches,
    load_scores,
)
from curriculum._digest import CorpusDigest
from curriculum.cli import main
from curriculum.distributed_scoring import score_dataset, score_file_on_ray
from curriculum.errors import ClusterError, MissingFieldError, OutputExistsError
from curriculum.fingerprint import fingerprint_texts
from curriculum.ray_cluster import connect_ray, read_ray_dataset
from curriculum.score_parts import merge_score_parts
from curriculum.scoring import score_file

ray = pytest.importorskip("ray")

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Any:
    """One local Ray instance for the module: 2 CPUs, and 1 GPU as a resource Ray schedules.

    There is no GPU here: the GPU is a name Ray hands out (CUDA_VISIBLE_DEVICES), so that the
    actors' request for one can be seen; torch finds no CUDA device and embeds on the CPU. This
    module's scorers travel to the workers by value.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the workers inherit it: nothing downloads
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
    assert not connect_ray()  # a Ray already started is used as it is
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def records() -> list[dict[str, str]]:
    """3,000 fortunes and 1,000 Debian reference paragraphs, with their id and source."""
    rows: list[dict[str, str]] = []
    for name, limit in (("fortunes", 3000), ("debian-reference", 1000)):
        path = SHARED / f"{name}.jsonl"
        if path.exists():
            with path.open(encoding="utf-8") as f:
                rows += [json.loads(line) for _, line in zip(range(limit), f, strict=False)]
    if len(rows) < 4000:
        from curriculum import load_demo_corpus

        rows = load_demo_corpus()
    return rows


@pytest.fixture(scope="module")
def corpus(records: list[dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The records as JSON lines: an ``id`` column of their own, which scoring must not confuse."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _meta(path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(path.with_suffix(".json").read_text())
    return meta


@pytest.mark.parametrize(
    "scorer",
    [ReadabilityScorer(), LengthScorer(), CompressionScorer(), ConceptGraphScorer("values")],
    ids=["readability", "length", "compression", "concept-graph"],
)
def test_ray_scores_are_local_scores_byte_for_byte(
    tmp_path: Path, corpus: Path, records: list[dict[str, str]], scorer: Any
) -> None:
    local = score_file(corpus, scorer, output=tmp_path / "local.npy", progress=False)
    ds = read_ray_dataset(corpus)
    scores = score_dataset(ds, scorer, output=tmp_path / "ray.npy", batch_size=500, progress=False)
    assert scores.tobytes() == local.tobytes()
    assert np.load(tmp_path / "ray.npy").tobytes() == np.load(tmp_path / "local.npy").tobytes()
    mine, theirs = _meta(tmp_path / "ray.npy"), _meta(tmp_path / "local.npy")
    assert mine == theirs  # scorer, params, corpus fingerprint, input, count, checksum
    assert mine["corpus"] == fingerprint_texts([r["text"] for r in records])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "local.json",
        "local.npy",
        "ray.json",
        "ray.npy",
    ]


def test_a_parquet_corpus_in_many_row_groups_keeps_its_order(
    tmp_path: Path, records: list[dict[str, str]]
) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "corpus.parquet"
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=300)
    local = score_file(path, "length", output=tmp_path / "local.npy", progress=False)
    ds = read_ray_dataset(path, override_num_blocks=7)
    out = tmp_path / "ray.npy"
    scores = score_dataset(
        ds, "length", output=out, batch_size=128, source=str(path), progress=False
    )
    assert scores.tobytes() == local.tobytes()
    assert _meta(tmp_path / "ray.npy") == _meta(tmp_path / "local.npy")


def test_the_command_line_engine_ray_writes_what_engine_local_writes(
    tmp_path: Path, corpus: Path, records: list[dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["score", str(corpus), "--scorer", "compression"]
    assert main([*base, "-o", str(tmp_path / "local.npy"), "--no-progress"]) == 0
    assert main([*base, "--engine", "ray", "-o", str(tmp_path / "ray.npy")]) == 0
    out, err = capsys.readouterr()
    assert "scoring on Ray (compression)" in err and "Traceback" not in err  # the bar, shown
    assert out.count(f"scored {len(records)} texts") == 2
    assert (tmp_path / "ray.npy").read_bytes() == (tmp_path / "local.npy").read_bytes()
    assert _meta(tmp_path / "ray.npy") == _meta(tmp_path / "local.npy")  # input included
    load_scores(tmp_path / "ray.npy", expect={"corpus": _meta(tmp_path / "local.npy")["corpus"]})


class _MeanCentredLength(LengthScorer):
    """A scorer with a fit: word count minus the mean word count it was fitted on."""

    def fit(self, texts: Any) -> _MeanCentredLength:
        self.mean_ = float(np.mean(LengthScorer.score(self, texts)))
        return self

    def score(self, texts: Any) -> np.ndarray:
        return LengthScorer.score(self, texts) - self.mean_


def test_a_scorer_that_needs_a_fit_is_fitted_on_a_uniform_sample(
    tmp_path: Path, corpus: Path, records: list[dict[str, str]]
) -> None:
    texts = [r["text"] for r in records]
    scorer = _MeanCentredLength()
    scores = score_dataset(
        read_ray_dataset(corpus),
        scorer,
        output=tmp_path / "s.npy",
        fit_sample=50,
        seed=3,
        progress=False,
    )
    digest = CorpusDigest(sample_size=50, seed=3)
    digest.update(texts)
    expected = _MeanCentredLength().fit(digest.sample()).score(texts)
    assert scores.tobytes() == expected.tobytes()
    assert not hasattr(scorer, "mean_")  # a copy was fitted
    assert _meta(tmp_path / "s.npy")["params"]["fit_sample"] == {"size": 50, "seed": 3}
    whole = score_dataset(
        read_ray_dataset(corpus), scorer, output=tmp_path / "w.npy", fit_sample=len(texts)
    )  # a corpus no larger than the sample: fitted whole, as locally
    assert whole.tobytes() == _MeanCentredLength().fit(texts).score(texts).tobytes()
    assert "fit_sample" not in _meta(tmp_path / "w.npy")["params"]


def test_embedding_clusters_run_in_an_actor_pool_and_match_local_scoring(
    tmp_path: Path, records: list[dict[str, str]]
) -> None:
    """The same fitted scorer, locally (one pass of batches of 64) and in Ray actors (of 20)."""
    texts = [r["text"] for r in records]
    fitted = EmbeddingClusterScorer(n_clusters=3, progress=False).fit(texts[:30])
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts[3000:3060]))
    local = score_file(path, fitted, output=tmp_path / "local.npy", progress=False)
    scores = score_dataset(
        read_ray_dataset(path),
        fitted,
        output=tmp_path / "ray.npy",
        batch_size=20,
        concurrency=1,
        progress=False,
    )
    assert scores.tobytes() == local.tobytes()  # exact on CPU (measured), not only close
    assert _meta(tmp_path / "ray.npy") == _meta(tmp_path / "local.npy")


class _Refuses(LengthScorer):
    """LengthScorer's name and settings (so its cache entries), but it cannot score."""

    def score(self, texts: Any) -> np.ndarray:
        raise AssertionError("scored although the cache holds these scores")


def test_a_file_on_ray_fits_on_the_same_sample_and_serves_cache_hits_without_ray(
    tmp_path: Path, corpus: Path, records: list[dict[str, str]]
) -> None:
    texts = [r["text"] for r in records]
    fitted = score_file_on_ray(
        corpus, _MeanCentredLength(), output=tmp_path / "f.npy", fit_sample=50, seed=3
    )
    digest = CorpusDigest(sample_size=50, seed=3)
    digest.update(texts)
    assert fitted.tobytes() == _MeanCentredLength().fit(digest.sample()).score(texts).tobytes()
    cache = tmp_path / "cache"
    local = score_file(corpus, "length", output=tmp_path / "l.npy", cache=cache)
    hit = score_file_on_ray(corpus, _Refuses(), output=tmp_path / "r.npy", cache=cache)
    assert hit.tobytes() == local.tobytes()  # served from the cache: the scorer never ran
    assert _meta(tmp_path / "r.npy")["corpus"] == _meta(tmp_path / "l.npy")["corpus"]


class _CountedLoads(LengthScorer):
    """A 'model' scorer that records every load of its model in a file."""

    uses_model = True

    def __init__(self, unit: str = "words", log: str = "") -> None:
        super().__init__(unit)
        self.log = log

    def prepare(self) -> _CountedLoads:
        with open(self.log, "a") as f:
            f.write(f"{os.getpid()} {ray.get_gpu_ids()}\n")
        return self


def test_a_model_is_loaded_once_per_actor_not_per_batch_with_a_gpu_each(
    tmp_path: Path, corpus: Path, records: list[dict[str, str]]
) -> None:
    log = tmp_path / "loads.txt"
    scores = score_dataset(
        read_ray_dataset(corpus),
        _CountedLoads(log=str(log)),
        output=tmp_path / "s.npy",
        batch_size=100,  # 30 to 40 batches
        concurrency=1,
        progress=False,
    )
    assert scores.shape == (len(records),)
    loads = log.read_text().splitlines()
    assert len(loads) == 1  # in the one actor, once
    pid, gpus = loads[0].split(" ", 1)
    assert int(pid) != os.getpid() and gpus == "[0]"  # the cluster has a GPU: the actor has one


# -- bad input: clear errors, nothing half-written ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_unreachable_cluster_fails_fast_naming_the_address_and_the_fix(scheme: str) -> None:
    address = f"{scheme}127.0.0.1:{_free_port()}"
    start = time.perf_counter()
    with pytest.raises(ClusterError) as info:
        connect_ray(address)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert f"address={address!r}" in message and "ray start --head" in message
    assert "leave the address out to start a local Ray instance" in message
    with pytest.raises(
        ValueError, match=r"address must be 'auto', 'host:port' or 'ray://host:port'"
    ):
        connect_ray("localhost")


def test_the_command_line_names_an_unreachable_cluster_in_one_line(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = f"127.0.0.1:{_free_port()}"
    argv = [
        "score",
        str(corpus),
        "--engine",
        "ray",
        "--address",
        address,
        "-o",
        str(tmp_path / "s.npy"),
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"no Ray cluster can be reached at address='{address}'" in err and "Traceback" not in err
    assert not (tmp_path / "s.npy").exists()


def test_a_missing_text_column_is_named_with_the_columns_there_are(
    tmp_path: Path, corpus: Path
) -> None:
    with pytest.raises(MissingFieldError) as info:
        score_dataset(
            read_ray_dataset(corpus), "length", output=tmp_path / "s.npy", text_column="body"
        )
    assert str(info.value) == (
        "text_column='body' is not a column of the dataset; its columns are ['id', 'source', "
        "'text']: pass the one that holds the text"
    )


class _Breaks(LengthScorer):
    """Fails on one text, as a scorer with a bug would."""

    def __init__(self, unit: str = "words", on: str = "") -> None:
        super().__init__(unit)
        self.on = on

    def score(self, texts: Any) -> np.ndarray:
        if self.on in texts:
            raise ZeroDivisionError("the scorer broke")
        return super().score(texts)


def test_a_scorer_failing_on_one_batch_names_its_rows_and_writes_nothing(
    tmp_path: Path, corpus: Path, records: list[dict[str, str]]
) -> None:
    bad = 2500
    scorer = _Breaks(on=records[bad]["text"])
    out = tmp_path / "out" / "s.npy"
    with pytest.raises(ray.exceptions.RayError) as info:
        score_dataset(read_ray_dataset(corpus), scorer, output=out, batch_size=256, progress=False)
    message = str(info.value)
    assert "ZeroDivisionError: the scorer broke" in message  # the scorer's own error, kept
    rows = re.search(r"while scoring rows (\d+)\.\.(\d+) \((\d+) texts\) with (.*)", message)
    assert rows is not None, message
    first, last, count = int(rows[1]), int(rows[2]), int(rows[3])
    assert first <= bad <= last and last - first + 1 == count <= 256
    assert rows[4].startswith("_Breaks(unit='words', on=")
    assert list((tmp_path / "out").iterdir()) == []  # no scores, no sidecar, no parts


def test_outputs_are_checked_before_any_work(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "s.npy"
    out.write_bytes(b"old")
    ds = read_ray_dataset(corpus)
    with pytest.raises(OutputExistsError, match=r"exists; pass force=True to replace it"):
        score_dataset(ds, "length", output=out)
    assert out.read_bytes() == b"old"
    with pytest.raises(OutputExistsError, match=r"is the input"):
        score_dataset(ds, "length", output=corpus, force=True)
    assert corpus.read_bytes()[:1] == b"{"
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match=r"parts_dir .*busy' is not empty"):
        score_dataset(ds, "length", output=tmp_path / "t.npy", parts_dir=tmp_path / "busy")
    assert not (tmp_path / "t.npy").exists()


def test_the_command_line_refuses_what_local_scoring_refuses_and_plain_text(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.npy"
    out.write_bytes(b"old")
    txt = tmp_path / "c.txt"
    txt.write_text("one text\nanother text\n")
    broken = tmp_path / "c.jsonl"
    broken.write_text(corpus.read_text().split("\n", 1)[0] + "\n{not json\n")
    for argv, message in [
        ([str(broken), "-o", str(tmp_path / "t.npy")], f"{broken}:2 is not valid JSON"),
        ([str(corpus), "-o", str(out)], "exists; pass --force to replace it"),
        ([str(corpus), "-o", str(corpus), "--force"], "is the input"),
        ([str(txt), "-o", str(tmp_path / "t.npy")], "convert it to JSON lines to score it on Ray"),
    ]:
        assert main(["score", *argv, "--engine", "ray"]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
    assert out.read_bytes() == b"old" and not (tmp_path / "t.npy").exists()


def test_a_dataset_read_in_another_order_each_time_is_refused(tmp_path: Path, corpus: Path) -> None:
    shuffled = read_ray_dataset(corpus).random_shuffle()  # no seed: every read is another order
    with pytest.raises(ValueError, match=r"not computed from the corpus that was fingerprinted"):
        score_dataset(shuffled, "length", output=tmp_path / "s.npy", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_a_scorer_that_compares_texts_is_not_split_into_batches(
    tmp_path: Path, corpus: Path
) -> None:
    combined = CombinedScorer([LengthScorer(), CompressionScorer()])
    with pytest.raises(ValueError, match=r"cannot be scored on Ray: a text's score must depend"):
        score_dataset(read_ray_dataset(corpus), combined, output=tmp_path / "s.npy")


def test_kept_parts_merge_again_into_the_same_scores(
    tmp_path: Path, corpus: Path, records: list[dict[str, str]]
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    parts = tmp_path / "parts"
    scores = score_dataset(
        read_ray_dataset(corpus),
        "length",
        output=tmp_path / "s.npy",
        parts_dir=parts,
        keep_parts=True,
        progress=False,
    )
    assert [p.name for p in parts.iterdir()] == ["part-00000.parquet"]  # at most 4,000: one part
    columns = pq.ParquetFile(parts / "part-00000.parquet").schema_arrow.names
    assert columns == ["id", "score", "row_hash"]  # never the text
    n = len(records)
    again = merge_score_parts(parts, n, tmp_path / "again.npy", _meta(tmp_path / "s.npy"))
    assert again.tobytes() == scores.tobytes()


def test_address_auto_joins_the_ray_instance_started_on_this_machine(
    tmp_path: Path, corpus: Path
) -> None:
    exe = Path(sys.executable).parent / "curriculum"
    argv = ["score", str(corpus), "--scorer", "length", "--no-progress"]
    ran = subprocess.run(
        [str(exe), *argv, "--engine", "ray", "--address", "auto", "-o", str(tmp_path / "r.npy")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    assert "Connecting to existing Ray cluster" in ran.stderr  # this module's, not a new one
    assert main([*argv, "-o", str(tmp_path / "l.npy")]) == 0
    assert (tmp_path / "r.npy").read_bytes() == (tmp_path / "l.npy").read_bytes()


def test_score_batches_in_a_pipeline_of_your_own_then_merged(
    tmp_path: Path, records: list[dict[str, str]]
) -> None:
    texts = [r["text"] for r in records[:1000]]
    ds = ray.data.from_items([{"id": i, "text": t} for i, t in enumerate(texts)])
    parts = tmp_path / "parts"
    ds.map_batches(
        ScoreBatches,
        fn_constructor_kwargs={"scorer": LengthScorer()},
        batch_format="pyarrow",
        batch_size=256,
        concurrency=1,
    ).write_parquet(str(parts))
    meta = {"scorer": "length", "corpus": fingerprint_texts(texts)}
    scores = merge_score_parts(parts, len(texts), tmp_path / "s.npy", meta)
    assert scores.tobytes() == LengthScorer().score(texts).tobytes()
