"""Hugging Face Trainer and accelerate on real processes (torchrun, gloo, CPU), and the helpers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from curriculum import CurriculumSampler, training_span

pytest.importorskip("transformers")
pytest.importorskip("accelerate")
datasets = pytest.importorskip("datasets")

SCRIPT = Path(__file__).parent / "scripts" / "hf_train.py"
BATCH, STEPS, STOP, N = 4, 30, 17, 96


def _torchrun(nproc: int, *args: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}"]
    command += [f"--master_port={port}", str(SCRIPT), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    out = tmp_path_factory.mktemp("hf")
    _torchrun(2, "--phase", "trainer", "--out", str(out))
    _torchrun(1, "--phase", "elastic", "--accum", "2", "--out", str(out))
    return {
        "trainer": [json.loads((out / f"trainer-{r}.json").read_text()) for r in range(2)],
        "elastic": [json.loads((out / "elastic-0.json").read_text())],
    }


def _global_draws(run: dict) -> list[int]:
    return [i for order in run["orders"] for i in order]


@pytest.mark.slow
def test_trainer_on_two_processes_reads_every_position_once_easy_first(runs: dict) -> None:
    ranks = [r["full"] for r in runs["trainer"]]
    assert all(r["replicas"] == 1 for r in ranks)  # the sampler is global; accelerate splits
    assert ranks[0]["span"] == training_span(N, batch_size=BATCH, max_steps=STEPS, world_size=2)
    draws = _global_draws(ranks[0])
    for rank, run in enumerate(ranks):  # batch i of rank r is global batch i * 2 + r
        assert len(run["batches"]) == STEPS
        for i, batch in enumerate(run["batches"]):
            g = i * 2 + rank
            assert batch == draws[g * BATCH : (g + 1) * BATCH]
    first_epoch = [i for s in range(N // (2 * BATCH)) for r in ranks for i in r["batches"][s]]
    assert sorted(first_epoch) == list(range(N))  # every position of the epoch exactly once
    history = ranks[0]["history"]
    assert [h["step"] for h in history] == [5, 10, 15, 20, 25, 30]
    assert [h["curriculum/progress"] for h in history] == pytest.approx(
        [s * 2 * BATCH / ranks[0]["span"] for s in (5, 10, 15, 20, 25, 30)]
    )
    competence = [h["curriculum/competence"] for h in history]
    assert competence == sorted(competence) and competence[-1] == 1.0
    assert history[0]["curriculum/difficulty"] < 50  # the first steps read the easy end
    logged = [h for h in ranks[0]["log_history"] if "loss" in h]
    assert all("curriculum/competence" in h for h in logged)  # reaches what Trainer reports


@pytest.mark.slow
def test_trainer_resume_reads_what_the_uninterrupted_run_reads(runs: dict) -> None:
    for run in runs["trainer"]:
        assert len(run["stopped"]["batches"]) == STOP
        assert run["stopped"]["batches"] + run["resumed"]["batches"] == run["full"]["batches"]


@pytest.mark.slow
def test_trainer_elastic_resume_on_one_process_keeps_the_global_order(runs: dict) -> None:
    full = [r["full"]["batches"] for r in runs["trainer"]]
    elastic = runs["elastic"][0]
    assert "global batch of 8 samples per step, this run takes 4" in elastic["refused"]
    batches = elastic["elastic"]["batches"]  # one process, 2 accumulated batches per step
    steps = [sorted(batches[2 * j] + batches[2 * j + 1]) for j in range(len(batches) // 2)]
    assert steps == [sorted(full[0][s] + full[1][s]) for s in range(STOP, STEPS)]


@pytest.mark.slow
def test_accelerate_prepare_splits_batches_once_and_resumes(runs: dict) -> None:
    ranks = [r["accelerate"] for r in runs["trainer"]]
    order = ranks[0]["order"]
    assert ranks[0]["processes"] == 2 and all(r["replicas"] == 1 for r in ranks)
    assert ranks[0]["state_epoch"] == 1  # saved inside the second epoch
    for rank, run in enumerate(ranks):
        assert len(run["full"]) == 24
        for i, batch in enumerate(run["full"]):
            g = i * 2 + rank
            assert batch == order[g * BATCH : (g + 1) * BATCH]
        assert run["head"] + run["rest"] == run["full"]
    assert sorted(i for r in ranks for b in r["full"][:12] for i in b) == list(range(N))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"epochs": 3, "world_size": 2}, 30_000),
        ({"max_steps": 100, "grad_accum": 2, "world_size": 2}, 12_688),
        ({"max_steps": 10}, 320),
        ({"epochs": 0.5}, 5_024),  # ceil(0.5 * 313 steps) = 157 steps of 32
        ({"epochs": 2, "drop_last": True}, 20_000),
    ],
)
def test_training_span_counts_the_draws_of_a_run(kwargs: dict, expected: int) -> None:
    assert training_span(10_000, batch_size=32, **kwargs) == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, r"give exactly one of max_steps and epochs"),
        ({"max_steps": 5, "epochs": 1}, r"give exactly one of max_steps and epochs"),
        ({"epochs": 0}, r"epochs must be a finite number > 0, but got epochs=0"),
        ({"epochs": float("inf")}, r"epochs must be a finite number > 0, but got epochs=inf"),
        ({"max_steps": 0}, r"max_steps must be an integer >= 1"),
        ({"epochs": 1, "batch_size": 0}, r"batch_size must be an integer >= 1"),
        ({"epochs": 1, "batch_size": 64, "drop_last": True}, r"below one global batch"),
    ],
)
def test_training_span_bad_arguments(kwargs: dict, match: str) -> None:
    kwargs.setdefault("batch_size", 8)
    with pytest.raises(ValueError, match=match):
        training_span(50, **kwargs)


def test_from_dataset_reads_a_score_column_without_text() -> None:
    ds = datasets.Dataset.from_dict({"input_ids": [[1, 2]] * 5, "difficulty": [3.0, 1, 2, 5, 4]})
    sampler = CurriculumSampler.from_dataset(ds, score_column="difficulty", pacing="constant")
    assert sampler.scores.tolist() == [3.0, 1, 2, 5, 4]
    rows = CurriculumSampler.from_dataset([{"d": 1.0}, {"d": 2.0}], score_column="d")
    assert rows.scores.tolist() == [1.0, 2.0]
    with pytest.raises(KeyError, match=r"score_column='level' is not a column.*'difficulty'"):
        CurriculumSampler.from_dataset(ds, score_column="level")
    with pytest.raises(KeyError, match=r"score_column='d' is not a key of dataset\[1\]"):
        CurriculumSampler.from_dataset([{"d": 1.0}, {"e": 2.0}], score_column="d")
    bad = datasets.Dataset.from_dict({"difficulty": [1.0, None]})
    with pytest.raises(TypeError, match=r"dataset\['difficulty'\] must hold numbers"):
        CurriculumSampler.from_dataset(bad, score_column="difficulty")


def test_iterable_datasets_and_dataset_dicts_are_refused_with_the_fix() -> None:
    ds = datasets.Dataset.from_dict({"text": ["a b.", "c d e."]})
    splits = datasets.DatasetDict({"train": ds, "test": ds})
    with pytest.raises(TypeError, match=r"DatasetDict of splits \['test', 'train'\].*\['train'\]"):
        CurriculumSampler.from_dataset(splits, scorer="length")
    with pytest.raises(TypeError, match=r"must be map-style.*got IterableDataset"):
        CurriculumSampler.from_dataset(ds.to_iterable_dataset(), scorer="length")
    with pytest.raises(TypeError, match=r"must be map-style"):
        CurriculumSampler.from_dataset(ds.to_iterable_dataset(), score_column="x")


def test_curriculum_trainer_refuses_what_would_break_the_curriculum(tmp_path: Path) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel, TrainingArguments

    from curriculum.integrations.hf import CurriculumTrainer

    model = GPT2LMHeadModel(GPT2Config(vocab_size=16, n_positions=8, n_embd=8, n_layer=1, n_head=1))
    ds = datasets.Dataset.from_dict({"input_ids": [[1, 2, 3]] * 4, "difficulty": [1.0, 2, 3, 4]})

    def make(**kwargs: object) -> CurriculumTrainer:
        args = TrainingArguments(
            output_dir=str(tmp_path), use_cpu=True, report_to=[], **kwargs.pop("args", {})
        )
        return CurriculumTrainer(model=model, args=args, train_dataset=ds, **kwargs)

    with pytest.raises(ValueError, match=r"CurriculumTrainer needs scores="):
        make()
    with pytest.raises(ValueError, match=r"sampler_kwargs may not set \['num_replicas', 'rank'\]"):
        make(scores="difficulty", sampler_kwargs={"rank": 0, "num_replicas": 2})
    with pytest.raises(ValueError, match=r"group_by_length=True orders batches by length"):
        make(scores="difficulty", args={"group_by_length": True})
    trainer = make(scores=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"scores has 2 values but the dataset has 4 samples"):
        trainer.get_train_dataloader()
    trainer = make(scores="difficulty", sampler_kwargs={"pacing": "linear"})
    loader = trainer.get_train_dataloader()
    sampler = trainer.curriculum_sampler
    assert sampler is not None and sampler.num_replicas == 1
    assert sampler.seed == trainer.args.seed
    assert sampler.num_samples == 3 * 4  # 3 epochs (the default) of 4 samples
    assert sorted(i for b in loader for i in b["input_ids"][:, 0].tolist()) == [1, 1, 1, 1]
    checkpoint = tmp_path / "checkpoint-1"
    checkpoint.mkdir()
    (checkpoint / "curriculum_sampler.json").write_text("{not json")
    with pytest.raises(OSError, match=r"is not a curriculum checkpoint record"):
        trainer._check_resume(sampler, str(checkpoint))
    other = CurriculumSampler(np.array([4.0, 3, 2, 1]), num_replicas=1, rank=0)
    record = {"global_batch_size": trainer.global_batch_size(), "state": other.state_dict()}
    (checkpoint / "curriculum_sampler.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match=r"scores_fingerprint: saved"):
        trainer._check_resume(sampler, str(checkpoint))


def test_callback_on_a_plain_trainer_fills_its_history(tmp_path: Path) -> None:
    """Added after the integrations, it cannot reach them, but its history is complete."""
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

    from curriculum.integrations.hf import CurriculumCallback

    ids = [[i % 16, (i + 1) % 16, (i + 2) % 16] for i in range(32)]
    ds = datasets.Dataset.from_dict({"input_ids": ids, "labels": ids})
    sampler = CurriculumSampler(np.arange(32.0), num_replicas=1, rank=0, num_samples=32)

    class Plain(Trainer):
        def _get_train_sampler(self, train_dataset=None):  # type: ignore[no-untyped-def]
            return sampler

    model = GPT2LMHeadModel(GPT2Config(vocab_size=16, n_positions=8, n_embd=8, n_layer=1, n_head=1))
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        max_steps=8,
        logging_steps=2,
        use_cpu=True,
        report_to=[],
        save_strategy="no",
        disable_tqdm=True,
    )
    trainer = Plain(model=model, args=args, train_dataset=ds)
    callback = CurriculumCallback()
    trainer.add_callback(callback)
    trainer.train()
    assert callback.sampler is sampler  # found inside the accelerate-prepared DataLoader
    assert [h["step"] for h in callback.history] == [2, 4, 6, 8]
    assert [h["curriculum/progress"] for h in callback.history] == [0.25, 0.5, 0.75, 1.0]
    difficulty = [h["curriculum/difficulty"] for h in callback.history]
    assert difficulty[0] < difficulty[-1]
    order = sampler.global_order(0).tolist()
    assert difficulty[0] == pytest.approx(sampler.percentiles()[order[:8]].mean())


@pytest.mark.slow
def test_trainer_trains_packed_blocks_in_order_with_a_warmup_and_resumes(runs: dict) -> None:
    from curriculum import PackedDataset, ReadabilityScorer, load_demo_corpus

    ranks = [r["packed"] for r in runs["trainer"]]
    texts = [r["text"] for r in load_demo_corpus()[:N]]
    sampler = CurriculumSampler(
        ReadabilityScorer().score(texts), num_samples=N, seed=0, num_replicas=1, rank=0
    )
    data = PackedDataset([list(t.encode("utf-8")[:64]) for t in texts], sampler, 32, separator=10)
    stream = [b["document_ids"].tolist() for b in data] + [b["document_ids"].tolist() for b in data]
    assert ranks[0]["replicas"] == 1
    for rank, run in enumerate(ranks):  # accelerate dispatches global batches of 2 x 2 blocks
        for i, rows in enumerate(run["full"]):
            g = i * 2 + rank
            assert rows == stream[g * 2 : (g + 1) * 2]
        assert run["stopped"] + run["resumed"] == run["full"]  # resumed exactly
    widths = ranks[0]["widths"]  # 8 -> 32 tokens over 8 steps, multiples of 8
    assert widths == [8, 8, 8, 16, 16, 16, 24, 24, 32, 32, 32, 32]
    assert [h["curriculum/seq_length"] for h in ranks[0]["history"]] == [16, 24, 32, 32]
