"""Run under torchrun by tests/test_integrations_hf.py: a tiny GPT-2 trained by CurriculumTrainer.

Every process records the sample indices of every batch it trains on, so the test can check
which global positions each rank read. Phases (``--phase``):

* ``trainer``: an uninterrupted run, a run stopped at a checkpoint, and that run resumed.
* ``elastic``: resume the stopped run's checkpoint on this number of processes.
* ``accelerate``: the same sampler in a plain accelerate loop, interrupted and resumed.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import datasets
import torch
from transformers import GPT2Config, GPT2LMHeadModel, TrainerCallback, TrainingArguments

from curriculum import (
    CurriculumSampler,
    PackedDataset,
    ReadabilityScorer,
    SeqLenWarmup,
    load_demo_corpus,
)
from curriculum.errors import CurriculumError
from curriculum.integrations.hf import CurriculumTrainer

N, BLOCK, BATCH, STEPS, STOP = 96, 32, 4, 30, 17  # 96 = 12 batches of 4 on each of 2 ranks


def dataset() -> datasets.Dataset:
    texts = [r["text"] for r in load_demo_corpus()[:N]]
    ids = [list(t.encode("utf-8")[:BLOCK]) for t in texts]
    ids = [row + [32] * (BLOCK - len(row)) for row in ids]
    difficulty = ReadabilityScorer().score(texts).tolist()
    return datasets.Dataset.from_dict(
        {"input_ids": ids, "idx": list(range(N)), "difficulty": difficulty}
    )


def collate(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    ids = torch.tensor([item["input_ids"] for item in items])
    return {"input_ids": ids, "labels": ids, "idx": torch.tensor([item["idx"] for item in items])}


class Recording(CurriculumTrainer):
    """Records the indices of every batch it trains on (not the ones prefetched)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[list[int]] = []
        self.widths: list[int] = []

    def training_step(
        self, model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None
    ) -> Any:
        self.batches.append(inputs.pop("idx").tolist())
        return super().training_step(model, inputs, num_items_in_batch)

    def compute_loss(self, model: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self.widths.append(int(inputs["input_ids"].shape[1]))  # after the warm-up cut
        return super().compute_loss(model, inputs, *args, **kwargs)

    def _load_optimizer_and_scheduler(self, checkpoint: Any) -> None:
        # transformers 4.57 maps the optimizer state to args.device, which is cpu:N in a CPU
        # multi-process run, and torch.load refuses cpu:N ("don't know how to restore data
        # location"); GPU runs are unaffected. Map it to "cpu" for these CPU-only tests.
        original = torch.load

        def load(*args: Any, **kwargs: Any) -> Any:
            where = kwargs.get("map_location")
            if isinstance(where, torch.device) and where.type == "cpu":
                kwargs["map_location"] = "cpu"
            return original(*args, **kwargs)

        torch.load = load
        try:
            super()._load_optimizer_and_scheduler(checkpoint)
        finally:
            torch.load = original


class StopAt(TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == self.step:
            control.should_save = True
            control.should_training_stop = True


def model_and_args(output_dir: str, stop: int | None, **run: Any) -> tuple[Any, Any]:
    """A tiny GPT-2 (same weights every time) and CPU arguments; checkpoints only with ``stop``."""
    torch.manual_seed(0)
    model = GPT2LMHeadModel(
        GPT2Config(vocab_size=256, n_positions=BLOCK, n_embd=16, n_layer=1, n_head=2)
    )
    args = TrainingArguments(
        output_dir=output_dir,
        save_strategy="no" if stop is None else "steps",
        report_to=[],
        use_cpu=True,
        ddp_backend="gloo",
        remove_unused_columns=False,
        seed=0,
        disable_tqdm=True,
        **run,
    )
    return model, args


def trainer(output_dir: str, accum: int, stop: int | None = None) -> Recording:
    model, args = model_and_args(
        output_dir,
        stop,
        per_device_train_batch_size=BATCH,
        gradient_accumulation_steps=accum,
        max_steps=STEPS,
        save_steps=STOP,
        logging_steps=5,
    )
    run = Recording(
        model=model,
        args=args,
        train_dataset=dataset(),
        data_collator=collate,
        scores="difficulty",
        sampler_kwargs={"pacing": "linear", "c0": 0.2},
    )
    if stop is not None:
        run.add_callback(StopAt(stop))
    return run


def packed_texts() -> list[str]:
    return [r["text"] for r in load_demo_corpus()[:N]]


def packed(output_dir: str, stop: int | None = None) -> Recording:
    """A PackedDataset of byte tokens in curriculum order, with a sequence-length warm-up."""
    texts = packed_texts()
    sampler = CurriculumSampler(ReadabilityScorer().score(texts), num_samples=N, seed=0)
    data = PackedDataset(
        [list(t.encode("utf-8")[:64]) for t in texts], sampler, BLOCK, separator=10
    )

    def collate_blocks(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        batch = {key: torch.stack([item[key] for item in items]) for key in items[0]}
        batch["labels"] = batch["input_ids"].clone()
        batch["idx"] = batch.pop("document_ids")
        return batch

    model, args = model_and_args(
        output_dir,
        stop,
        per_device_train_batch_size=2,
        max_steps=12,
        save_steps=5,
        logging_steps=3,
    )
    warmup = SeqLenWarmup(BLOCK, total_steps=8, min_length=8)
    run = Recording(
        model=model,
        args=args,
        train_dataset=data,
        data_collator=collate_blocks,
        seqlen_warmup=warmup,
    )
    if stop is not None:
        run.add_callback(StopAt(stop))
    return run


def summary(run: Recording) -> dict[str, Any]:
    sampler = run.curriculum_sampler
    assert sampler is not None
    return {
        "batches": run.batches,
        "history": run.curriculum_callback.history,
        "log_history": run.state.log_history,
        "span": sampler.num_samples,
        "replicas": sampler.num_replicas,
        "orders": [sampler.global_order(e).tolist() for e in range(4)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--accum", type=int, default=1)
    opts = parser.parse_args()
    out = Path(opts.out)
    rank = int(os.environ.get("RANK", "0"))
    result: dict[str, Any] = {}
    if opts.phase == "trainer":
        full = trainer(str(out / "full"), opts.accum)
        full.train()
        result["full"] = summary(full)
        stopped = trainer(str(out / "stopped"), opts.accum, stop=STOP)
        stopped.train()
        result["stopped"] = summary(stopped)
        resumed = trainer(str(out / "stopped"), opts.accum)
        resumed.train(resume_from_checkpoint=True)
        result["resumed"] = summary(resumed)
    elif opts.phase == "elastic":
        checkpoint = str(out / "stopped" / f"checkpoint-{STOP}")
        wrong = trainer(str(out / "elastic-wrong"), 1)
        try:
            wrong.train(resume_from_checkpoint=checkpoint)
            result["refused"] = None
        except CurriculumError as error:
            result["refused"] = str(error)
        elastic = trainer(str(out / "elastic"), opts.accum)
        elastic.train(resume_from_checkpoint=checkpoint)
        result["elastic"] = summary(elastic)
    if opts.phase == "trainer":
        full_packed = packed(str(out / "packed-full"))
        full_packed.train()
        stopped_packed = packed(str(out / "packed-stopped"), stop=5)
        stopped_packed.train()
        resumed_packed = packed(str(out / "packed-stopped"))
        resumed_packed.train(resume_from_checkpoint=True)
        sampler = full_packed.curriculum_sampler
        result["packed"] = {
            "full": full_packed.batches,
            "stopped": stopped_packed.batches,
            "resumed": resumed_packed.batches,
            "widths": full_packed.widths,
            "history": full_packed.curriculum_callback.history,
            "replicas": None if sampler is None else sampler.num_replicas,
        }
    if opts.phase in ("trainer", "accelerate"):
        from accelerate import Accelerator
        from torch.utils.data import DataLoader

        accelerator = Accelerator(cpu=True)
        data = dataset()
        scores = data["difficulty"]

        def loader(state: dict[str, Any] | None = None) -> tuple[Any, CurriculumSampler]:
            sampler = CurriculumSampler(scores, seed=0, pacing="root")  # ranks by the rule
            if state is not None:
                sampler.load_state_dict(state)
            plain = DataLoader(data, batch_size=BATCH, sampler=sampler, collate_fn=collate)
            return accelerator.prepare(plain), sampler

        full_loader, sampler = loader()
        full = [batch["idx"].tolist() for batch in full_loader]  # epoch 0
        full += [batch["idx"].tolist() for batch in full_loader]  # epoch 1 (accelerate counts)
        cut = 12 + 5  # 12 batches per process and epoch: stop 5 batches into epoch 1
        head_loader, head_sampler = loader()
        head: list[list[int]] = []
        for _ in range(2):
            for batch in head_loader:
                head.append(batch["idx"].tolist())
                if len(head) == cut:
                    break
        consumed = 5 * BATCH * accelerator.num_processes  # in epoch 1, from its start
        state = json.loads(json.dumps(head_sampler.state_dict(consumed=consumed)))
        rest_loader, _ = loader(state)
        rest_loader.set_epoch(state["epoch"])  # accelerate sets the epoch from its own counter
        rest = [batch["idx"].tolist() for batch in rest_loader]
        result["accelerate"] = {
            "replicas": sampler.num_replicas,
            "full": full,
            "head": head,
            "rest": rest,
            "order": sampler.global_order(0).tolist() + sampler.global_order(1).tolist(),
            "state_epoch": state["epoch"],
            "processes": accelerator.num_processes,
        }
    (out / f"{opts.phase}-{rank}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
