"""Run by tests/test_integrations_lightning.py: Lightning DDP on 2 CPU processes with a curriculum.

Lightning's DDP strategy starts the second process itself (it runs this script again). Every
rank records the sample indices of every batch it trains on. ``--phase`` is ``full`` (one run),
``stop`` (checkpoint at step STOP, then stop) or ``resume`` (from that checkpoint), or ``wrap``
(Lightning's default distributed sampler, which the callback refuses).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader

from curriculum import CurriculumSampler, ReadabilityScorer, load_demo_corpus, training_span
from curriculum.errors import CurriculumError
from curriculum.integrations.lightning import CurriculumCallback

N, BATCH, WORLD, STEPS, STOP = 100, 4, 2, 30, 16  # 100 = 12.5 batches of 4 per rank: padding


class Model(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.table = torch.nn.Embedding(N, 4)
        self.batches: list[list[int]] = []

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        self.batches.append(batch.tolist())
        return self.table(batch).pow(2).mean()

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", required=True)
    parser.add_argument("--out", required=True)
    opts = parser.parse_args()
    out = Path(opts.out)
    texts = [r["text"] for r in load_demo_corpus()[:N]]
    span = training_span(N, batch_size=BATCH, max_steps=STEPS, world_size=WORLD)
    sampler = CurriculumSampler(ReadabilityScorer().score(texts), num_samples=span, pacing="linear")
    loader = DataLoader(list(range(N)), batch_size=BATCH, sampler=sampler, num_workers=1)
    callback = CurriculumCallback(sampler)
    checkpoints = pl.callbacks.ModelCheckpoint(
        dirpath=out / f"ckpt-{opts.phase}", every_n_train_steps=STOP, save_top_k=-1
    )
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=WORLD,
        strategy="ddp",
        max_steps=STOP if opts.phase == "stop" else STEPS,
        use_distributed_sampler=opts.phase == "wrap",
        callbacks=[callback, checkpoints],
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=out,
    )
    model = Model()
    result: dict[str, Any] = {}
    try:
        ckpt = None
        if opts.phase == "resume":
            ckpt = str(next((out / "ckpt-stop").glob(f"*step={STOP}.ckpt")))
        trainer.fit(model, loader, ckpt_path=ckpt)
    except CurriculumError as error:
        result["refused"] = str(error)
    result.update(
        batches=model.batches,
        replicas=sampler.num_replicas,
        history=callback.history,
        orders=[sampler.global_order(e).tolist() for e in range(4)],
        metrics=sorted(trainer.callback_metrics),
    )
    rank = trainer.global_rank
    (out / f"{opts.phase}-{rank}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
