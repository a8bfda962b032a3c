"""Curriculum order for mosaicml-streaming, on local MDS directories of real passages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

streaming = pytest.importorskip("streaming")

from streaming import MDSWriter, StreamingDataLoader, StreamingDataset  # noqa: E402
from streaming.base.util import clean_stale_shared_memory  # noqa: E402

from curriculum import LengthScorer  # noqa: E402
from curriculum.ordering import curriculum_order, difficulty_rank  # noqa: E402
from curriculum.pacing import get_pacing  # noqa: E402
from curriculum.streaming import (  # noqa: E402
    SCORES_FILE,
    CurriculumStreamingDataset,
    write_mds,
)

pytestmark = pytest.mark.streaming
N = 400
BATCH = 8


@pytest.fixture(autouse=True)
def _clean_shared_memory() -> Iterator[None]:
    clean_stale_shared_memory()
    yield
    clean_stale_shared_memory()


@pytest.fixture(scope="module")
def corpus(fortune_records: list[dict]) -> tuple[list[dict], np.ndarray]:
    records = [{"text": r["text"], "id": r["id"]} for r in fortune_records[:N]]
    return records, LengthScorer().score([r["text"] for r in records])


@pytest.fixture(scope="module")
def mds(corpus: tuple[list[dict], np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> Path:
    records, scores = corpus
    out = tmp_path_factory.mktemp("mds") / "shards"
    return write_mds(records, out, scores=scores, size_limit=8000)


def _read(ds: StreamingDataset, num_workers: int = 0) -> tuple[list[str], np.ndarray]:
    loader = StreamingDataLoader(ds, batch_size=BATCH, num_workers=num_workers)
    ids: list[str] = []
    diff: list[float] = []
    for batch in loader:
        ids.extend(batch["id"])
        diff.extend(batch["difficulty"].tolist())
    return ids, np.asarray(diff)


def test_written_shards_hold_scores_in_curriculum_layout(mds: Path, corpus: tuple) -> None:
    _, scores = corpus
    assert len(list(mds.glob("shard.*.mds"))) > 3
    plain = StreamingDataset(local=str(mds), batch_size=BATCH)
    stored = np.array([plain.get_item(i)["difficulty"] for i in range(N)])
    np.testing.assert_array_equal(stored, np.sort(scores))  # easiest first on disk
    assert (mds / SCORES_FILE).exists()


@pytest.mark.parametrize("num_workers", [0, 2])
def test_every_sample_once_easy_first_in_the_curriculum_order(mds: Path, num_workers: int) -> None:
    ds = CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, seed=3)
    ids, diff = _read(ds, num_workers)
    assert len(ids) == N and len(set(ids)) == N
    assert diff[: N // 10].mean() < diff[-N // 10 :].mean()
    # The consumption order is exactly the pure ordering function's, on sample ids.
    rank = difficulty_rank(ds.scores, seed=3)
    expected = curriculum_order(rank, get_pacing("root"), seed=3, epoch=0)
    by_id = [ds.get_item(int(i))["id"] for i in expected]
    assert ids == by_id


def test_identical_seeds_give_identical_orders(mds: Path) -> None:
    first, _ = _read(CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, seed=1))
    clean_stale_shared_memory()
    again, _ = _read(CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, seed=1))
    clean_stale_shared_memory()
    other, _ = _read(CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, seed=2))
    assert first == again and first != other and sorted(first) == sorted(other)


def test_early_training_reads_few_shards(mds: Path) -> None:
    ds = CurriculumStreamingDataset(
        local=str(mds), batch_size=BATCH, c0=0.05, pacing="linear", num_canonical_nodes=1
    )
    order = ds.position_to_sample(0, np.arange(N))
    sample_ids = np.empty(N, dtype=np.int64)
    sample_ids[np.argsort(order)] = np.arange(N)
    # With the curriculum layout, sample id = difficulty rank: the first tenth of training
    # only reads the first part of the shards.
    timeline = np.argsort(sample_ids)  # sample read at each canonical step
    assert timeline[: N // 10].max() < N // 2


RANK_SCRIPT = """
import json, sys
from streaming import StreamingDataLoader
from curriculum.streaming import CurriculumStreamingDataset
mds, local, out = sys.argv[1:4]
ds = CurriculumStreamingDataset(remote=mds, local=local, batch_size=8, seed=5)
ids, diff = [], []
for batch in StreamingDataLoader(ds, batch_size=8, num_workers=int(sys.argv[4])):
    ids.extend(batch["id"])
    diff.extend(batch["difficulty"].tolist())
json.dump({"ids": ids, "diff": diff}, open(out, "w"))
"""


@pytest.mark.parametrize("num_workers", [0, 2])
def test_simulated_ranks_split_the_epoch_disjointly(
    mds: Path, tmp_path: Path, num_workers: int
) -> None:
    """One node with two ranks, as two processes with the environment streaming reads
    (torch.distributed over loopback), sharing the node's local cache."""
    import json
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    procs = []
    for rank in (0, 1):
        env = {
            **os.environ,
            "WORLD_SIZE": "2",
            "RANK": str(rank),
            "LOCAL_WORLD_SIZE": "2",
            "LOCAL_RANK": str(rank),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
        }
        args = [
            sys.executable,
            "-c",
            RANK_SCRIPT,
            str(mds),
            str(tmp_path / "node"),
            str(tmp_path / f"rank{rank}.json"),
            str(num_workers),
        ]
        procs.append(subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True))
    errors = [proc.communicate(timeout=240)[1] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), "\n".join(e[-2000:] for e in errors)
    shares = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    ids0, ids1 = shares[0]["ids"], shares[1]["ids"]
    assert len(ids0) == len(ids1) == N // 2
    assert set(ids0).isdisjoint(ids1) and len(set(ids0) | set(ids1)) == N
    for share in shares:
        diff = np.asarray(share["diff"])
        assert diff[: diff.size // 10].mean() < diff[-diff.size // 10 :].mean()


@pytest.mark.parametrize("num_workers", [0, 2])
def test_resume_mid_epoch_yields_exactly_the_rest(mds: Path, num_workers: int) -> None:
    full, _ = _read(
        CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, seed=7), num_workers
    )
    clean_stale_shared_memory()

    ds = CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, seed=7)
    loader = StreamingDataLoader(ds, batch_size=BATCH, num_workers=num_workers)
    head: list[str] = []
    for step, batch in enumerate(loader):
        head.extend(batch["id"])
        if step == 9:
            state = loader.state_dict()
            break
    assert state is not None and state["curriculum"]["seed"] == 7
    del loader, ds
    clean_stale_shared_memory()

    resumed = CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, seed=7)
    loader = StreamingDataLoader(resumed, batch_size=BATCH, num_workers=num_workers)
    loader.load_state_dict(state)
    rest = [i for batch in loader for i in batch["id"]]
    assert head + rest == full


def test_state_from_another_curriculum_is_refused(mds: Path) -> None:
    ds = CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, seed=1)
    state = ds.state_dict(16, False)
    clean_stale_shared_memory()
    del ds
    other = CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, seed=2)
    with pytest.raises(
        ValueError, match=r"different curriculum .*\n  seed: saved 1, this dataset 2"
    ):
        other.load_state_dict(state)


def test_scores_are_read_from_the_column_without_the_side_file(
    corpus: tuple, tmp_path: Path
) -> None:
    records, scores = corpus
    out = write_mds(records[:60], tmp_path / "m", scores=scores[:60], layout="corpus")
    (out / SCORES_FILE).unlink()
    (out / SCORES_FILE).with_suffix(".json").unlink()
    ds = CurriculumStreamingDataset(local=str(out), batch_size=BATCH)
    np.testing.assert_array_equal(ds.scores, scores[:60])  # corpus layout keeps input order


def _write(path: Path, columns: dict[str, str], rows: list[dict]) -> Path:
    with MDSWriter(out=str(path), columns=columns) as writer:
        for row in rows:
            writer.write(row)
    return path


def test_missing_or_non_numeric_score_column_is_a_clear_error(tmp_path: Path) -> None:
    no_col = _write(tmp_path / "a", {"text": "str"}, [{"text": f"t{i}"} for i in range(10)])
    with pytest.raises(ValueError, match=r"no column 'difficulty' \(columns: \['text'\]\)"):
        CurriculumStreamingDataset(local=str(no_col), batch_size=BATCH)
    clean_stale_shared_memory()
    as_str = _write(
        tmp_path / "b",
        {"text": "str", "difficulty": "str"},
        [{"text": f"t{i}", "difficulty": "hard"} for i in range(10)],
    )
    with pytest.raises(
        TypeError, match=r"column 'difficulty' must be numeric, but its MDS encoding is 'str'"
    ):
        CurriculumStreamingDataset(local=str(as_str), batch_size=BATCH)


def test_bad_arguments(mds: Path, corpus: tuple, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"shuffle cannot be set on CurriculumStreamingDataset"):
        CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, shuffle=True)
    clean_stale_shared_memory()
    with pytest.raises(ValueError, match=r"scores has 3 values but the StreamingDataset has 400"):
        CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, scores=[1.0, 2.0, 3.0])
    records, scores = corpus
    with pytest.raises(ValueError, match=r"scores has 399 values but the corpus has 400"):
        write_mds(records, tmp_path / "x", scores=scores[:-1])
    with pytest.raises(ValueError, match=r"layout must be 'curriculum' or 'corpus'"):
        write_mds(records, tmp_path / "y", scores=scores, layout="sorted")
    with pytest.raises(FileExistsError, match=r"is not empty"):
        write_mds(records, mds, scores=scores)
    for column in ("text", "id"):
        with pytest.raises(ValueError, match=rf"scores_column='{column}' clashes with a field"):
            write_mds(records, tmp_path / "z", scores=scores, scores_column=column)


def test_mds_cli_writes_shards_that_train(
    tmp_path: Path, corpus: tuple, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from curriculum.cli import main

    records, _ = corpus
    src = tmp_path / "c.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records[:80]))
    assert main(["mds", str(src), str(tmp_path / "out"), "--scorer", "length"]) == 0
    assert "wrote 80 samples" in capsys.readouterr().out
    ds = CurriculumStreamingDataset(local=str(tmp_path / "out"), batch_size=BATCH)
    ids, diff = _read(ds)
    assert len(set(ids)) == 80 and diff[:8].mean() < diff[-8:].mean()
    assert main(["mds", str(src), str(tmp_path / "out")]) == 1
    assert "is not empty; give a new or empty directory" in capsys.readouterr().err


def test_a_replaced_scores_file_is_checked_against_the_shards(
    corpus: tuple, tmp_path: Path, fortune_records: list[dict]
) -> None:
    import shutil

    from curriculum.cache import save_scores

    records, scores = corpus
    out = write_mds(records, tmp_path / "a", scores=scores, size_limit=8000)
    # Scores file (and sidecar) copied from other shards: refused by the index fingerprint.
    other = [{"text": r["text"], "id": r["id"]} for r in fortune_records[N : 2 * N]]
    elsewhere = write_mds(
        other, tmp_path / "b", scores=LengthScorer().score([r["text"] for r in other])
    )
    for name in (SCORES_FILE, SCORES_FILE.replace(".npy", ".json")):
        shutil.copy(elsewhere / name, out / name)
    from curriculum.errors import CacheError

    with pytest.raises(CacheError, match=r"stale:\n  index: cached") as info:
        CurriculumStreamingDataset(local=str(out), batch_size=BATCH)
    assert "rewrite the shards" in str(info.value)
    # Values replaced in place, with consistent metadata: refused against the column.
    import json

    meta = json.loads((out / SCORES_FILE.replace(".npy", ".json")).read_text())
    meta = {k: v for k, v in meta.items() if k in ("column", "layout")}
    from curriculum.streaming import _index_fingerprint

    meta["index"] = _index_fingerprint(out)
    (out / SCORES_FILE).unlink()
    (out / SCORES_FILE.replace(".npy", ".json")).unlink()
    save_scores(out / SCORES_FILE, np.sort(scores)[::-1].copy(), meta)
    with pytest.raises(CacheError, match=r"does not match the shards: sample 0 has difficulty="):
        CurriculumStreamingDataset(local=str(out), batch_size=BATCH)
    (out / SCORES_FILE).unlink()  # without the side file, the column is read
    ds = CurriculumStreamingDataset(local=str(out), batch_size=BATCH)
    np.testing.assert_array_equal(ds.scores, np.sort(scores))


def test_mixed_records_are_refused_before_anything_is_written(
    corpus: tuple, tmp_path: Path
) -> None:
    records, scores = corpus
    bad = [dict(r) for r in records[:20]]
    bad[7]["id"] = 7  # a string elsewhere
    with pytest.raises(
        TypeError, match=r"records\[7\]\['id'\] is int .* records\[0\]\['id'\] is str"
    ):
        write_mds(bad, tmp_path / "out", scores=scores[:20])
    del bad[7]["id"]
    with pytest.raises(KeyError, match=r"records\[7\] lacks field 'id'"):
        write_mds(bad, tmp_path / "out", scores=scores[:20])
    with pytest.raises(ValueError, match=r"compression must be one of"):
        write_mds(records[:20], tmp_path / "out", scores=scores[:20], compression="bogus")
    assert list(tmp_path.iterdir()) == []  # no half-written output, no staging left behind
    out = write_mds(records[:20], tmp_path / "out", scores=scores[:20])
    assert (out / "index.json").exists() and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_plain_streaming_state_is_refused(mds: Path) -> None:
    ds = CurriculumStreamingDataset(local=str(mds), batch_size=BATCH, num_canonical_nodes=1)
    state = ds.state_dict(8, False)
    plain = {k: v for k, v in state.items() if k != "curriculum"}
    with pytest.raises(ValueError, match=r"has no 'curriculum' settings"):
        ds.load_state_dict(plain)
    with pytest.raises(ValueError, match=r"has no 'curriculum' settings"):
        ds.load_state_dict({**state, "curriculum": "x"})
