"""Run a benchmark: every arm, from the same initial weights per seed, on the same pool."""

from __future__ import annotations

import copy
import math
import os
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from curriculum._progress import progress_bar
from curriculum._validation import check_int
from curriculum.bench.arms import Arm, parse_arms
from curriculum.bench.lr import LRSchedule, get_schedule
from curriculum.bench.model import ByteLM, HFCausalLM, load_hf_model
from curriculum.bench.result import BenchResult
from curriculum.bench.tasks import EvalItem, Pool, SkillsTask, TextTask
from curriculum.errors import DivergenceError, InvalidTypeError, InvalidValueError

__all__ = ["BenchConfig", "run_bench"]

Evaluate = Callable[[nn.Module, Callable[[str], list[int]]], dict[str, float]]


@dataclass(frozen=True)
class BenchConfig:
    """Training settings shared by every arm (see :func:`run_bench` for each)."""

    steps: int
    batch_size: int = 8
    context: int = 128
    epochs: int = 1
    pack: bool = True
    lr: float = 1e-3
    weight_decay: float = 0.01
    evals: int = 15
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    model: str | None = None
    device: str = "cpu"
    confidence: float = 0.95
    interval: str = "t"


def run_bench(
    task: TextTask | SkillsTask,
    *,
    arms: str | Sequence[str] = ("random", "warmup", "full"),
    schedules: str | Sequence[str] = ("cosine", "wsd"),
    seeds: int | Sequence[int] = 5,
    steps: int | None = None,
    batch_size: int | None = None,
    context: int | None = None,
    epochs: int = 1,
    pack: bool | None = None,
    lr: float = 1e-3,
    weight_decay: float = 0.01,
    evals: int = 15,
    d_model: int = 128,
    layers: int = 2,
    heads: int = 4,
    model: str | os.PathLike[str] | None = None,
    evaluate: Evaluate | None = None,
    device: str = "cpu",
    confidence: float = 0.95,
    interval: str = "t",
    progress: bool | None = None,
) -> BenchResult:
    """Train one model per (seed, schedule, arm) and compare every arm with ``random``.

    For each seed the task gives one pool of training data (cut at whole documents, so a pass
    leaves fewer tokens than the pool's longest document unread, at the end of the arm's order)
    and the model is initialised once
    (``torch.manual_seed(seed)``); every arm and schedule of that seed starts from those weights
    and trains on that pool for the same number of steps: only the order differs. Arms run one
    after the other in this process. Everything is checked before the first step.

    Args:
        task: a :class:`~curriculum.bench.TextTask` or :class:`~curriculum.bench.SkillsTask`.
        arms: names from :data:`~curriculum.bench.ARMS` (``"random,warmup:0.1,full"``); must
            include ``random``.
        schedules: learning-rate schedules from :data:`~curriculum.bench.SCHEDULES`; with
            ``decay_avg`` the last point of every curve is the averaged model.
        seeds: a count (seeds 0, 1, ...) or a list of distinct seeds; at least 2.
        steps: optimizer steps of each run. Default: the task's (``TextTask``: 900, or fewer
            when one pass over the corpus, ``epochs`` passes, allows fewer; ``SkillsTask``:
            1000). Each seed's pool is sized to one pass (``epochs`` passes) at these steps.
        batch_size: sequences per step (default: the task's, 8 for text, 64 for skills).
        context: tokens per sequence (the model sees ``context`` and predicts the next token;
            default: the task's, 128 for text, 16 for skills).
        epochs: passes over the pool; the curricula span all of them.
        pack: join documents in sampler order (a separator after each) and cut consecutive
            windows (:class:`~curriculum.PackedDataset`), training on every token; else one
            document per sequence, cut to the context, training on all but its prompt (a
            skills problem's answer). Default: the task's (text packs, skills does not).
        lr: peak learning rate (AdamW).
        weight_decay: AdamW weight decay.
        evals: evaluations over the run (plus one before the first step).
        d_model: width of the byte-level model.
        layers: layers of the byte-level model.
        heads: attention heads of the byte-level model.
        model: a local directory with a Hugging Face causal LM ``config.json`` (initialised per
            seed) or checkpoint (its weights for every seed) instead of the byte-level model;
            texts are tokenized with its tokenizer when the directory has one, else as bytes.
        evaluate: a callback ``evaluate(model, encode) -> {metric: value}`` run at every
            evaluation (e.g. :class:`~curriculum.bench.ValueProbes`); ``model(ids)`` gives
            logits, ``encode(text)`` token ids. Metrics named ``loss...`` are lower-is-better,
            the others higher-is-better.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, or ``"auto"`` (a GPU when present).
        confidence: coverage of the intervals of the paired differences.
        interval: ``"t"`` or ``"bootstrap"``.
        progress: progress bar with time left (default: on a terminal).
    """
    if not isinstance(task, (TextTask, SkillsTask)):
        raise InvalidValueError(
            f"task must be a TextTask or SkillsTask, but got {type(task).__name__}"
        )
    batch_size = task.defaults["batch_size"] if batch_size is None else batch_size
    context = task.defaults["context"] if context is None else context
    pack = task.defaults["pack"] if pack is None else bool(pack)
    arm_list = parse_arms(arms)
    schedule_list = _schedules(schedules)
    seed_list = _seeds(seeds)
    dev = _device(device)
    for name, value in (("batch_size", batch_size), ("context", context), ("epochs", epochs)):
        check_int(name, value, minimum=1 if name != "context" else 8)
    check_int("evals", evals, minimum=1)
    if not (_number(lr) and lr > 0):
        raise InvalidValueError(f"lr must be a positive number, but got {lr!r}")
    if not (_number(weight_decay) and weight_decay >= 0):
        raise InvalidValueError(f"weight_decay must be a number >= 0, but got {weight_decay!r}")
    if not (_number(confidence) and 0 < confidence < 1):
        raise InvalidValueError(f"confidence must be in (0, 1), but got {confidence!r}")
    if interval not in ("t", "bootstrap"):
        raise InvalidValueError(f"interval must be 't' or 'bootstrap', but got {interval!r}")

    factory, encode, separator, vocab = _model(
        model, d_model=d_model, layers=layers, heads=heads, context=context
    )
    tokens_total, docs_total = task.capacity(encode, extra=1)
    window = context + 1
    if pack:
        supported = tokens_total // window * epochs // batch_size
    else:
        supported = docs_total * epochs // batch_size
    if supported < 1:
        raise InvalidValueError(
            f"the corpus is too small for a single step of batch_size={batch_size} at "
            f"context={context}; give a larger corpus (or a smaller --batch-size)"
        )
    if steps is None:
        steps = min(task.defaults["steps"], supported)
    check_int("steps", steps, minimum=1)
    if steps > supported:
        what = "tokens" if pack else "documents"
        raise InvalidValueError(
            f"steps={steps} needs more {what} than the corpus has: one pass "
            f"({epochs} epoch(s)) at batch_size={batch_size}, context={context} supports at most "
            f"{supported} steps; pass --steps {supported} or fewer (or a larger corpus)"
        )
    config = BenchConfig(
        steps=steps, batch_size=batch_size, context=context, epochs=epochs, pack=pack, lr=lr,
        weight_decay=weight_decay, evals=evals, d_model=d_model, layers=layers, heads=heads,
        model=None if model is None else str(model), device=str(dev),
        confidence=confidence, interval=interval,
    )  # fmt: skip
    # One pool per seed whose `epochs` passes give the run's sequences.
    per_pass = -(-steps * batch_size // epochs)
    need_tokens = per_pass * window if pack else None
    need_docs = None if pack else per_pass
    val = _encode_items(task.validation(), encode, context, vocab)
    eval_steps = sorted({round(steps * k / evals) for k in range(evals + 1)})

    runs: list[dict[str, Any]] = []
    bar = progress_bar(
        total=len(seed_list) * len(schedule_list) * len(arm_list) * steps,
        desc=f"bench {task.name}",
        progress=progress,
        unit="step",
    )
    started = time.perf_counter()
    with bar:
        for seed in seed_list:
            pool = task.pool(seed, encode, tokens=need_tokens, docs=need_docs)
            torch.manual_seed(seed)
            net = factory(seed).to(dev)
            initial = copy.deepcopy(net.state_dict())
            for schedule in schedule_list:
                for arm in arm_list:
                    net.load_state_dict(initial)
                    torch.manual_seed(seed)  # dropout (HF models) draws alike in every arm
                    t0 = time.perf_counter()
                    curve = _train(
                        net, arm, schedule, pool, val, config, seed, separator, eval_steps,
                        len(task.buckets), task.exact, evaluate, encode, bar,
                    )  # fmt: skip
                    runs.append(
                        {
                            "seed": seed,
                            "schedule": schedule.name,
                            "arm": arm.name,
                            "seconds": time.perf_counter() - t0,
                            "pool": len(pool.docs),
                            **curve,
                        }
                    )
    info = {
        **task.describe(),
        **asdict(config),
        "arms": [a.name for a in arm_list],
        "schedules": [s.name for s in schedule_list],
        "seeds": seed_list,
        "eval_steps": eval_steps,
        "buckets": list(task.buckets),
        "parameters": sum(p.numel() for p in net.parameters()),
        "seconds": time.perf_counter() - started,
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "device": str(dev),
        },
    }
    return BenchResult(info, runs)


def _number(value: Any) -> bool:
    return (
        isinstance(value, (int, float, np.number))
        and not isinstance(value, bool)
        and (math.isfinite(float(value)))
    )


def _schedules(schedules: str | Sequence[str]) -> list[LRSchedule]:
    names = (
        [s.strip() for s in schedules.split(",")] if isinstance(schedules, str) else list(schedules)
    )
    if not names:
        raise InvalidValueError("schedules is empty; give at least one, e.g. cosine")
    if len(set(names)) != len(names):
        raise InvalidValueError(f"schedules lists a name twice: {names}")
    return [get_schedule(n) for n in names]


def _seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, np.ndarray):
        seeds = seeds.tolist()
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 2:
            raise InvalidValueError(
                f"seeds must be at least 2 for a paired interval (one seed gives no interval), "
                f"but got seeds={seeds}; pass --seeds 2 or more (5 is the default)"
            )
        return list(range(int(seeds)))
    if isinstance(seeds, bool) or not isinstance(seeds, Sequence):
        raise InvalidValueError(f"seeds must be a count or a list of seeds, but got {seeds!r}")
    values = [check_int("seeds", s, minimum=0) for s in seeds]
    if max(values, default=0) >= 2**32:
        raise InvalidValueError(f"seeds must be below 2**32, but got {max(values)}")
    if len(values) < 2 or len(set(values)) != len(values):
        raise InvalidValueError(
            f"seeds must hold at least 2 distinct seeds for a paired interval, but got {values}"
        )
    return values


def _device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise InvalidValueError(
            f"device must be cpu, cuda, cuda:N or auto, but got {device!r}"
        ) from None
    if dev.type not in ("cpu", "cuda"):
        raise InvalidValueError(f"device must be cpu, cuda, cuda:N or auto, but got {device!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidValueError(
            f"device={device!r}, but torch sees no GPU here; pass --device cpu (or auto)"
        )
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise InvalidValueError(
            f"device={device!r}, but torch sees {torch.cuda.device_count()} GPU(s); pass "
            f"cuda:0 to cuda:{torch.cuda.device_count() - 1}"
        )
    return dev


def _model(
    model: str | os.PathLike[str] | None, *, d_model: int, layers: int, heads: int, context: int
) -> tuple[Callable[[int], nn.Module], Callable[[str], list[int]], int, int]:
    """A factory ``seed -> model``, the text encoder, the separator id and the vocabulary size."""

    def as_bytes(text: str) -> list[int]:
        return list(text.encode("utf-8"))

    if model is None:
        for name, value in (("d_model", d_model), ("layers", layers), ("heads", heads)):
            check_int(name, value, minimum=1)
        ByteLM(d_model, layers, heads, context)  # checks the shapes now
        return (lambda seed: ByteLM(d_model, layers, heads, context)), as_bytes, 0, 256
    path = model
    probe, _ = load_hf_model(path, seed=0)
    limit = getattr(probe.config, "max_position_embeddings", None) or getattr(
        probe.config, "n_positions", None
    )
    if limit is not None and context > int(limit):
        raise InvalidValueError(
            f"context={context} is longer than the model's {int(limit)} positions; pass "
            f"--context {int(limit)} or less"
        )
    vocab = int(probe.config.vocab_size)
    encode: Callable[[str], list[int]] = as_bytes
    separator = 0
    directory = Path(model)
    if any(
        (directory / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json", "vocab.json")
    ):
        from curriculum.scorers.tokens import load_tokenizer

        tokenizer = load_tokenizer(str(directory))

        def encode(text: str) -> list[int]:
            return list(tokenizer(text, add_special_tokens=False)["input_ids"])

        eos = tokenizer.eos_token_id
        separator = int(eos) if eos is not None else 0
    elif vocab < 256:
        raise InvalidValueError(
            f"model {str(model)!r} has no tokenizer and a vocabulary of {vocab} < 256, so bytes "
            "cannot be its tokens; save a tokenizer into the directory"
        )

    def factory(seed: int) -> nn.Module:
        return HFCausalLM(load_hf_model(path, seed=seed)[0], context)

    return factory, encode, separator, vocab


@dataclass
class _Val:
    ids: torch.Tensor  # (items, length)
    labels: torch.Tensor  # (items, length), -100 where not scored
    buckets: np.ndarray


def _check_metrics(metrics: Any, where: str) -> dict[str, float]:
    """An evaluation callback's output: a dict of finite numbers under new names."""
    if not isinstance(metrics, dict):
        raise InvalidTypeError(
            f"evaluate must return a dict of metric name -> number, but returned "
            f"{type(metrics).__name__} ({where})"
        )
    out = {}
    for key, value in metrics.items():
        if not isinstance(key, str) or key.split("/")[0] in ("loss", "exact"):
            raise InvalidValueError(
                f"evaluate returned the metric name {key!r} ({where}); loss... and exact... are "
                "the benchmark's own: name yours differently, e.g. probe/accuracy"
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidTypeError(
                f"evaluate returned {key}={value!r} ({where}); give a number"
            ) from None
        if not math.isfinite(number):
            raise InvalidValueError(
                f"evaluate returned {key}={number} ({where}); give a finite number"
            )
        out[key] = number
    return out


def _encode_items(
    items: list[EvalItem], encode: Callable[[str], list[int]], context: int, vocab: int
) -> _Val:
    rows, labels = [], []
    for item in items:
        prompt = encode(item.prompt) if item.prompt else []
        target = encode(item.target)
        ids = (prompt + target)[: context + 1]
        lab = ([-100] * len(prompt) + target)[: context + 1]
        rows.append(ids[:-1])
        labels.append(lab[1:])
    if any(max(r, default=0) >= vocab for r in rows):
        raise InvalidValueError(
            f"the encoder gives token ids beyond the model's vocabulary ({vocab})"
        )
    length = max(len(r) for r in rows)
    ids_t = torch.zeros(len(rows), length, dtype=torch.long)
    lab_t = torch.full((len(rows), length), -100, dtype=torch.long)
    for i, (r, lab) in enumerate(zip(rows, labels, strict=True)):
        ids_t[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        lab_t[i, : len(lab)] = torch.tensor(lab, dtype=torch.long)
    return _Val(ids_t, lab_t, np.array([it.bucket for it in items]))


@torch.no_grad()
def _evaluate(
    net: nn.Module, val: _Val, buckets: int, exact: bool, device: torch.device
) -> dict[str, float]:
    net.eval()
    loss_sum = np.zeros(len(val.buckets))
    count = np.zeros(len(val.buckets))
    correct = np.zeros(len(val.buckets), dtype=bool)
    for i in range(0, len(val.buckets), 64):
        x = val.ids[i : i + 64].to(device)
        y = val.labels[i : i + 64].to(device)
        logits = net(x).float()
        tok = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100, reduction="none"
        ).reshape(y.shape)
        mask = y != -100
        loss_sum[i : i + 64] = tok.sum(1).cpu().numpy()
        count[i : i + 64] = mask.sum(1).cpu().numpy()
        hit = (logits.argmax(-1) == y) | ~mask
        correct[i : i + 64] = hit.all(1).cpu().numpy()
    net.train()
    out = {"loss": float(loss_sum.sum() / max(1, count.sum()))}
    for b in range(buckets):
        sel = val.buckets == b
        if sel.any():
            out[f"loss/{b}"] = float(loss_sum[sel].sum() / max(1, count[sel].sum()))
            if exact:
                out[f"exact/{b}"] = float(correct[sel].mean())
    if exact:
        out["exact"] = float(correct.mean())
    return out


def _batches(
    arm: Arm, pool: Pool, config: BenchConfig, seed: int, separator: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Batches of (inputs, targets) in the arm's order, epoch after epoch."""
    from curriculum.packing import PackedDataset

    n = len(pool.docs)
    sampler = arm.sampler(pool.scores, pool.levels, draws=n * config.epochs, seed=seed)
    window = config.context + 1
    epoch = 0
    rows: list[Any] = []  # a partial batch carries over into the next pass
    while True:
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
        if config.pack:
            blocks: Iterator[Any] = (
                b["input_ids"]
                for b in PackedDataset(
                    pool.docs, sampler, window, separator=separator, drop_last=True
                )
            )
        else:
            prompts = pool.prompts
            blocks = (
                (torch.from_numpy(pool.docs[i][:window]), 0 if prompts is None else int(prompts[i]))
                for i in sampler
            )
        for block in blocks:
            rows.append(block)
            if len(rows) == config.batch_size:
                yield _pair(rows)
                rows = []
        epoch += 1


def _pair(rows: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and next-token targets; a row ``(ids, p)`` is not trained on its first ``p``."""
    rows = [r if isinstance(r, tuple) else (r, 0) for r in rows]
    length = max(r.numel() for r, _ in rows)
    x = torch.zeros(len(rows), length - 1, dtype=torch.long)
    y = torch.full((len(rows), length - 1), -100, dtype=torch.long)
    for i, (r, prompt) in enumerate(rows):
        x[i, : r.numel() - 1] = r[:-1]
        y[i, : r.numel() - 1] = r[1:]
        y[i, : max(0, prompt - 1)] = -100  # targets of prompt tokens
    return x, y


def _train(
    net: nn.Module,
    arm: Arm,
    schedule: LRSchedule,
    pool: Pool,
    val: _Val,
    config: BenchConfig,
    seed: int,
    separator: int,
    eval_steps: list[int],
    buckets: int,
    exact: bool,
    evaluate: Evaluate | None,
    encode: Callable[[str], list[int]],
    bar: Any,
) -> dict[str, Any]:
    device = torch.device(config.device)
    steps = config.steps
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    warm = None
    if arm.kind == "seqlen":
        from curriculum.seqlen import SeqLenWarmup

        warm = SeqLenWarmup(
            config.context, total_steps=max(1, round(arm.param * steps)), mode="split", pad_id=0
        )
    snapshots = set(schedule.snapshots(steps))
    averaged: dict[str, torch.Tensor] | None = None
    taken = 0
    history: dict[str, list[float]] = {}

    def record(step: int) -> None:
        metrics = _evaluate(net, val, buckets, exact, device)
        if evaluate is not None:
            net.eval()
            with torch.no_grad():
                extra = evaluate(net, encode)
            net.train()
            metrics.update(_check_metrics(extra, f"arm {arm.name}, seed {seed}, step {step}"))
        for key, value in metrics.items():
            history.setdefault(key, []).append(value)

    net.train()
    if 0 in eval_steps:
        record(0)
    stream = _batches(arm, pool, config, seed, separator)
    for step in range(1, steps + 1):
        x, y = next(stream)
        if warm is not None:
            cut = warm({"input_ids": x, "labels": y}, step - 1)
            x, y = cut["input_ids"], cut["labels"]
        for group in opt.param_groups:
            group["lr"] = config.lr * schedule.factor(step - 1, steps)
        if bool((y != -100).any()):  # a batch of one-token documents has nothing to learn
            logits = net(x.to(device))
            loss = nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]).float(),
                y.to(device).reshape(-1),
                ignore_index=-100,
            )
            if not torch.isfinite(loss):
                raise DivergenceError(
                    f"arm {arm.name}, schedule {schedule.name}, seed {seed}: the loss is "
                    f"{loss.item()} at step {step}; lower --lr"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
        bar.update(1)
        if step in snapshots:
            state = {k: v.detach().float().clone() for k, v in net.state_dict().items()}
            if averaged is None:
                averaged = state
            else:
                for k, v in state.items():
                    averaged[k] += v
            taken += 1
        if step == steps and averaged is not None:
            # The evaluated final model is the average of the snapshots.
            dtypes = {k: v.dtype for k, v in net.state_dict().items()}
            net.load_state_dict({k: (v / taken).to(dtypes[k]) for k, v in averaged.items()})
        if step in eval_steps:
            record(step)
    return {"steps": eval_steps, "metrics": history}
