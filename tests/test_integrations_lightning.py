"""Lightning DDP on two CPU processes: one split, easy first, exact resume, the wrapper refused."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("lightning")

SCRIPT = Path(__file__).parent / "scripts" / "lightning_train.py"
N, BATCH, WORLD, STEPS, STOP = 100, 4, 2, 30, 16


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    out = tmp_path_factory.mktemp("lightning")
    result = {}
    for phase in ("full", "stop", "resume", "wrap"):
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        command = [sys.executable, str(SCRIPT), "--phase", phase, "--out", str(out)]
        files = [out / f"{phase}-{r}.json" for r in range(2)]
        log_path = out / f"{phase}.log"
        # Lightning starts rank 1 itself; output goes to a file (a child that outlives rank 0
        # would hold a pipe open), and the whole process group is ended once both ranks wrote.
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=out,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                code = process.wait(timeout=600)
                deadline = time.monotonic() + 120
                while not all(f.exists() for f in files) and time.monotonic() < deadline:
                    time.sleep(0.5)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        assert code == 0, log_path.read_text()[-6000:]
        result[phase] = [json.loads(f.read_text()) for f in files]
    return result


def _share(order: list[int], rank: int) -> list[int]:
    total = -(-len(order) // WORLD) * WORLD
    padded = order + order[len(order) - (total - len(order)) :]
    return padded[rank:total:WORLD]


@pytest.mark.slow
def test_lightning_ranks_split_once_and_read_easy_first(runs: dict) -> None:
    full = runs["full"]
    assert all(r["replicas"] == WORLD for r in full)  # the sampler splits; Lightning does not
    orders = full[0]["orders"]
    for rank, run in enumerate(full):
        expected = []
        for order in orders:  # Lightning calls set_epoch: epoch after epoch
            share = _share(order, rank)
            expected += [share[i : i + BATCH] for i in range(0, len(share), BATCH)]
        assert run["batches"] == expected[:STEPS]
    per_epoch = -(-N // (WORLD * BATCH))
    first = [i for run in full for batch in run["batches"][:per_epoch] for i in batch]
    assert sorted(set(first)) == list(range(N)) and len(first) - N < WORLD  # padding only
    history = full[0]["history"]
    competence = [h["curriculum/competence"] for h in history]
    assert len(history) == STEPS and competence == sorted(competence)
    assert history[0]["curriculum/difficulty"] < 25 < history[-1]["curriculum/difficulty"]
    assert "curriculum/competence" in full[0]["metrics"]  # logged through pl_module.log


@pytest.mark.slow
def test_lightning_resume_mid_epoch_reads_what_the_uninterrupted_run_reads(runs: dict) -> None:
    assert STOP % -(-N // (WORLD * BATCH)) != 0  # the checkpoint is inside an epoch
    for rank in range(WORLD):
        stopped, resumed = runs["stop"][rank]["batches"], runs["resume"][rank]["batches"]
        assert len(stopped) == STOP
        assert stopped + resumed == runs["full"][rank]["batches"]


@pytest.mark.slow
def test_lightning_own_distributed_sampler_is_refused(runs: dict) -> None:
    for run in runs["wrap"]:
        assert "pass Trainer(use_distributed_sampler=False)" in run["refused"]
        assert run["batches"] == []


def test_callback_logs_the_sequence_length_warmup_in_one_process(tmp_path: Path) -> None:
    import lightning.pytorch as pl
    import numpy as np
    import torch
    from torch.utils.data import DataLoader

    from curriculum import CurriculumSampler, SeqLenWarmup
    from curriculum.integrations.lightning import CurriculumCallback

    warmup = SeqLenWarmup(32, total_steps=4, min_length=8)
    widths: list[int] = []

    class Model(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))

        def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
            batch = warmup(batch, self.trainer.global_step)
            widths.append(batch["input_ids"].shape[1])
            return (self.weight - batch["input_ids"].float().mean()).pow(2).sum()

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.01)

    rows = [{"input_ids": torch.arange(32)} for _ in range(24)]
    sampler = CurriculumSampler(np.arange(24.0), num_samples=24)
    callback = CurriculumCallback(sampler, warmup=warmup)
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=6,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
    )
    trainer.fit(Model(), DataLoader(rows, batch_size=4, sampler=sampler))
    assert widths == [8, 8, 16, 24, 32, 32]
    assert [h["curriculum/seq_length"] for h in callback.history] == widths  # what was trained
    assert trainer.callback_metrics["curriculum/seq_length"] == 32
    with pytest.raises(TypeError, match=r"warmup must be a SeqLenWarmup"):
        CurriculumCallback(sampler, warmup=3)  # type: ignore[arg-type]
