"""Does ordering help? Train the same small language model once per ordering and compare.

    python benchmarks/orderings.py                    # CPU defaults, well under 30 minutes
    python benchmarks/orderings.py --steps 3000 --d-model 256 --layers 4 --device cuda

A byte-level transformer (vocabulary of 256 bytes, no tokenizer to download) is trained from scratch
on real passages from ../shared/data (fortunes and Debian Reference; the shipped demo corpus when
those are absent), with held-out validation passages, once per ordering and seed:

* random: ``torch.utils.data.RandomSampler`` (the baseline),
* readability: Flesch-Kincaid grade, root pacing,
* embedding: EmbeddingClusterScorer with clusters as strata (typical texts first, every topic at
  every stage), root pacing,
* concept: the example value graph, one step per level (``Step.for_groups``),
* combined: weighted percentile-rank average of readability and embedding typicality, root pacing,
* anti: readability, hardest first.

Same model, initialisation per seed, steps, batch size and learning-rate schedule for every
ordering; the curriculum spans the whole run. Reports validation loss over training, final loss
(mean and spread over seeds), and the steps each ordering needs to reach the random baseline's
final validation loss (as a share of the run). Writes benchmarks/results/orderings.json and
orderings.png. If an ordering does not help, the results say so.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import RESULTS, ROOT, machine, real_texts, write_report
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, Sampler

from curriculum import (
    ConceptGraphScorer,
    CurriculumSampler,
    EmbeddingClusterScorer,
    ReadabilityScorer,
    ScoreCache,
    combine,
    example_value_graph,
)
from curriculum.pacing import Step
from curriculum.viz import plot_benchmark

ORDERINGS = ("random", "readability", "embedding", "concept", "combined", "anti")


class TinyLM(nn.Module):
    """A small pre-norm causal transformer over bytes."""

    def __init__(self, d_model: int, layers: int, heads: int, context: int) -> None:
        super().__init__()
        self.tok = nn.Embedding(256, d_model)
        self.pos = nn.Embedding(context, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, 4 * d_model, dropout=0.0, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 256)
        mask = nn.Transformer.generate_square_subsequent_mask(context)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Next-byte logits for every position of ``x`` (batch, time)."""
        t = x.shape[1]
        h = self.tok(x) + self.pos.weight[:t]
        h = self.blocks(h, mask=self.mask[:t, :t], is_causal=True)
        return self.head(self.norm(h))


def encode(texts: list[str], context: int) -> list[torch.Tensor]:
    """UTF-8 bytes of each text, cut to ``context + 1`` (inputs and next-byte targets)."""
    return [torch.tensor(list(t.encode("utf-8")[: context + 1]), dtype=torch.long) for t in texts]


def collate(batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad to the longest sequence; padded targets are ignored by the loss (-100)."""
    length = max(b.numel() for b in batch)
    x = torch.zeros(len(batch), length - 1, dtype=torch.long)
    y = torch.full((len(batch), length - 1), -100, dtype=torch.long)
    for i, b in enumerate(batch):
        x[i, : b.numel() - 1] = b[:-1]
        y[i, : b.numel() - 1] = b[1:]
    return x, y


@torch.no_grad()
def evaluate(model: TinyLM, val: list[torch.Tensor], device: str) -> float:
    """Mean next-byte cross-entropy (nats per byte) on the validation passages."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(val), 64):
        x, y = collate(val[i : i + 64])
        x, y = x.to(device), y.to(device)
        loss = nn.functional.cross_entropy(
            model(x).reshape(-1, 256), y.reshape(-1), ignore_index=-100, reduction="sum"
        )
        total += float(loss)
        count += int((y != -100).sum())
    model.train()
    return total / count


def train(
    sampler: Sampler[int],
    data: list[torch.Tensor],
    val: list[torch.Tensor],
    args: argparse.Namespace,
    seed: int,
) -> tuple[list[int], list[float]]:
    torch.manual_seed(seed)
    model = TinyLM(args.d_model, args.layers, args.heads, args.context).to(args.device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, args.steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, args.steps - warmup)))

    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    loader = DataLoader(
        data, batch_size=args.batch_size, sampler=sampler, collate_fn=collate, drop_last=True
    )
    steps, losses = [0], [evaluate(model, val, args.device)]
    for step, (x, y) in enumerate(loader, start=1):
        x, y = x.to(args.device), y.to(args.device)
        loss = nn.functional.cross_entropy(
            model(x).reshape(-1, 256), y.reshape(-1), ignore_index=-100
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        if step % args.eval_every == 0 or step == args.steps:
            steps.append(step)
            losses.append(evaluate(model, val, args.device))
        if step == args.steps:
            break
    return steps, losses


def corpus(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    texts = real_texts()
    rng = np.random.default_rng(12345)
    idx = rng.permutation(len(texts))
    val = [texts[i] for i in idx[: args.val_size]]
    train_texts = [texts[i] for i in idx[args.val_size : args.val_size + args.train_size]]
    return train_texts, val


def scores_for(texts: list[str], cache: ScoreCache) -> dict[str, Any]:
    readability = cache.get_or_compute(ReadabilityScorer(), texts)
    clusters = EmbeddingClusterScorer(8, cache_dir=cache.directory / "embeddings").fit(texts)
    embedding = clusters.score(texts)
    concept = ConceptGraphScorer(example_value_graph()).score(texts)
    typicality = embedding - np.floor(embedding)
    return {
        "readability": readability,
        "embedding": embedding,
        "labels": clusters.labels_,
        "concept": concept,
        "combined": combine([readability, typicality]),
    }


def sampler_for(name: str, s: dict[str, Any], n: int, draws: int, seed: int) -> Sampler[int]:
    if name == "random":
        generator = torch.Generator().manual_seed(seed)
        return RandomSampler(range(n), num_samples=draws, generator=generator)
    common = {"num_samples": draws, "seed": seed}
    if name == "readability":
        base: Sampler[int] = CurriculumSampler(s["readability"], pacing="root", **common)
    elif name == "anti":
        base = CurriculumSampler(s["readability"], pacing="root", reverse=True, **common)
    elif name == "embedding":
        base = CurriculumSampler(s["embedding"], pacing="root", strata=s["labels"], **common)
    elif name == "concept":
        base = CurriculumSampler(s["concept"], pacing=Step.for_groups(s["concept"]), **common)
    else:
        base = CurriculumSampler(s["combined"], pacing="root", **common)
    return _Epochs(base, draws)


class _Epochs(Sampler[int]):
    """Runs a CurriculumSampler over as many epochs as ``draws`` needs, calling set_epoch."""

    def __init__(self, sampler: CurriculumSampler, draws: int) -> None:
        self.sampler, self.draws = sampler, draws

    def __len__(self) -> int:
        return self.draws

    def __iter__(self) -> Any:
        emitted, epoch = 0, 0
        while emitted < self.draws:
            self.sampler.set_epoch(epoch)
            for index in self.sampler:
                if emitted == self.draws:
                    return
                emitted += 1
                yield index
            epoch += 1


def summarise(runs: dict[str, list[tuple[list[int], list[float]]]], total: int) -> dict[str, Any]:
    """Final losses, and when each run first reaches the random baseline's mean final loss."""
    target = float(np.mean([losses[-1] for _, losses in runs["random"]]))
    out: dict[str, Any] = {"random_final_mean": target, "orderings": {}}
    for name, seeds in runs.items():
        finals = [losses[-1] for _, losses in seeds]
        reach = [
            next((s for s, v in zip(steps, losses, strict=True) if v <= target), None)
            for steps, losses in seeds
        ]
        reached = [r for r in reach if r is not None]
        out["orderings"][name] = {
            "steps": seeds[0][0],
            "val_loss": [losses for _, losses in seeds],
            "final_mean": float(np.mean(finals)),
            "final_std": float(np.std(finals)),
            "final_min": float(np.min(finals)),
            "final_max": float(np.max(finals)),
            "steps_to_random_final": reach,
            "seeds_reaching_random_final": len(reached),
            # Mean over the seeds that reach it, as a share of the run (None if none does).
            "steps_ratio": float(np.mean(reached)) / total if reached else None,
        }
    return out


def report_line(name: str, entry: dict[str, Any], seeds: int) -> str:
    """One row of the printed table."""
    ratio = entry["steps_ratio"]
    k = entry["seeds_reaching_random_final"]
    reach = "never" if ratio is None else f"{k}/{seeds} seeds, at {ratio:.2f} of the run"
    return f"{name:<12} {entry['final_mean']:>10.4f} +- {entry['final_std']:.4f}   {reach}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orderings", nargs="+", default=list(ORDERINGS), choices=ORDERINGS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--train-size", type=int, default=4000)
    parser.add_argument("--val-size", type=int, default=400)
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".curriculum-cache")
    parser.add_argument("--output", type=Path, default=RESULTS / "orderings.json")
    args = parser.parse_args()
    if "random" not in args.orderings:
        args.orderings.insert(0, "random")  # the baseline every ratio refers to

    started = time.perf_counter()
    texts, val_texts = corpus(args)
    scores = scores_for(texts, ScoreCache(args.cache_dir))
    data, val = encode(texts, args.context), encode(val_texts, args.context)
    draws = args.steps * args.batch_size
    print(
        f"{len(texts)} training passages, {len(val)} validation, {args.steps} steps of "
        f"{args.batch_size} ({draws / len(texts):.1f} epochs), {args.seeds} seeds, "
        f"device {args.device}; scoring took {time.perf_counter() - started:.0f}s"
    )
    runs: dict[str, list[tuple[list[int], list[float]]]] = {}
    for name in args.orderings:
        runs[name] = []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            sampler = sampler_for(name, scores, len(data), draws, seed)
            runs[name].append(train(sampler, data, val, args, seed))
            print(
                f"  {name:<12} seed {seed}: final val loss {runs[name][-1][1][-1]:.4f} "
                f"({time.perf_counter() - t0:.0f}s)",
                flush=True,
            )
    summary = summarise(runs, args.steps)
    report = {
        "benchmark": "orderings",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine(),
        "train_passages": len(texts),
        "validation_passages": len(val),
        "seconds": time.perf_counter() - started,
        **summary,
    }
    print(f"\n{'ordering':<12} {'final val loss':>20}   reaches random's final mean")
    for name, entry in summary["orderings"].items():
        print(report_line(name, entry, args.seeds))
    write_report(args.output, report)
    fig = plot_benchmark(report)
    fig.savefig(args.output.with_suffix(".png"), dpi=120)
    print(
        f"wrote {args.output} and {args.output.with_suffix('.png')} "
        f"in {report['seconds'] / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
