"""Hugging Face ``Trainer`` with a curriculum: :class:`CurriculumTrainer` and its callback.

Under accelerate (which ``Trainer`` runs on), the sampler is global: it yields every rank's
indices in one order and accelerate hands batch ``i`` of it to process ``i % world_size``. So
accelerate's sharding is the only split, and each optimizer step reads the next
``per_device_train_batch_size * gradient_accumulation_steps * world_size`` positions of the
global order on all processes together.

Resuming with ``resume_from_checkpoint`` replays the sampler's deterministic order up to the
checkpoint (``Trainer`` skips the batches already trained), so the batches after the resume
are the ones the uninterrupted run reads, on every rank. That holds on another number of
processes too when the global batch (per-device batch x accumulation x processes) and so the
steps per epoch are the same, as elastic training keeps them; a checkpoint records the
curriculum settings, the global batch and the steps per epoch, and a resume that differs in any
is refused with the reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from curriculum.errors import InputFileError, InvalidValueError, MissingExtraError

try:
    from transformers import Trainer, TrainerCallback
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, get_last_checkpoint
except ImportError as error:  # pragma: no cover - exercised without the extra installed
    raise MissingExtraError(
        "curriculum.integrations.hf needs transformers and accelerate: pip install 'curriculum[hf]'"
    ) from error

from curriculum._files import atomic_write
from curriculum.datasets import check_map_style, dataset_scores
from curriculum.packing import PackedDataset
from curriculum.sampler import CurriculumSampler
from curriculum.seqlen import SeqLenWarmup
from curriculum.span import steps_in_epoch, training_span

__all__ = ["CHECKPOINT_FILE", "CurriculumCallback", "CurriculumTrainer", "find_sampler"]

CHECKPOINT_FILE = "curriculum_sampler.json"
_RESERVED = ("num_replicas", "rank", "dataset")


def find_sampler(loader: Any) -> CurriculumSampler | None:
    """The :class:`CurriculumSampler` inside a (possibly accelerate-prepared) ``DataLoader``."""
    seen: set[int] = set()
    stack = [loader]
    while stack:
        obj = stack.pop()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, CurriculumSampler):
            return obj
        stack.extend(getattr(obj, name, None) for name in ("sampler", "batch_sampler", "dataset"))
    return None


class CurriculumCallback(TrainerCallback):
    """Logs the curriculum as training goes: progress, competence and mean difficulty.

    At every training log it adds ``curriculum/progress`` (share of the span done),
    ``curriculum/competence`` (share of the ranking open) and ``curriculum/difficulty`` (mean
    percentile, 0-100, of the samples trained on since the previous log, all ranks together) to
    the logs, and keeps them in :attr:`history`. The numbers come from
    :meth:`CurriculumSampler.stats` at the position training has consumed (counted from the
    optimizer steps, so a prefetching ``DataLoader`` does not skew them).

    :class:`CurriculumTrainer` adds one before the reporting integrations, so the numbers reach
    TensorBoard, W&B and ``trainer.state.log_history``. Added to a plain ``Trainer`` with
    ``add_callback``, it runs after them: it then fills :attr:`history` and the console logs.

    Args:
        sampler: the sampler to report on; default the one in the train ``DataLoader``.
    """

    def __init__(self, sampler: CurriculumSampler | None = None) -> None:
        self.sampler = sampler
        self.history: list[dict[str, float]] = []
        self.warmup: SeqLenWarmup | None = None  # set by CurriculumTrainer(seqlen_warmup=...)
        self._geometry: tuple[int, int, int] | None = None  # (epoch draws, steps/epoch, batch)
        self._live = False  # a PackedDataset: documents per step vary, read the sampler's count
        self._last_seen = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Find the sampler and how many samples a step consumes."""
        loader = kwargs.get("train_dataloader")
        if self.sampler is None:
            self.sampler = find_sampler(loader)
        if self.sampler is None or loader is None:
            return
        if isinstance(getattr(loader, "dataset", None), PackedDataset):
            self._live = True
            self._last_seen = self.sampler.samples_seen()
            return
        per_rank = len(loader)
        accum = args.gradient_accumulation_steps
        steps_per_epoch = max(per_rank // accum + int(per_rank % accum > 0), 1)
        per_step = getattr(loader, "total_batch_size", None)  # accelerate: batch x processes
        if not isinstance(per_step, int):
            per_step = args.train_batch_size * args.world_size
        global_batch = per_step * accum
        self._geometry = (int(self.sampler.scores.shape[0]), steps_per_epoch, global_batch)
        self._last_seen = self.seen(state.global_step)

    def seen(self, global_step: int) -> int:
        """Samples all ranks have trained on after ``global_step`` optimizer steps."""
        if self._geometry is None:
            raise InvalidValueError("CurriculumCallback.seen needs a started training run")
        n, steps_per_epoch, global_batch = self._geometry
        epochs, steps = divmod(int(global_step), steps_per_epoch)
        return epochs * n + min(steps * global_batch, n)

    def metrics(self, global_step: int) -> dict[str, float]:
        """The curriculum numbers after ``global_step`` steps (difficulty since the last log).

        With a :class:`~curriculum.PackedDataset` (documents per step vary) they are read at the
        sampler's own count, which runs a prefetched batch or so ahead of training.
        """
        metrics: dict[str, float] = {}
        if self.warmup is not None:
            metrics["curriculum/seq_length"] = float(self.warmup.length(global_step))
        if self.sampler is None or (self._geometry is None and not self._live):
            return metrics
        seen = self.sampler.samples_seen() if self._live else self.seen(global_step)
        stats = self.sampler.stats(seen, window=max(1, seen - self._last_seen))
        self._last_seen = seen
        return {**{f"curriculum/{key}": value for key, value in stats.items()}, **metrics}

    def add_to(self, logs: dict[str, Any], global_step: int) -> None:
        """Add the numbers to a training log (one that reports ``loss``), once."""
        if "loss" not in logs or any(key.startswith("curriculum/") for key in logs):
            return
        metrics = self.metrics(global_step)
        if metrics:
            logs.update(metrics)
            self.history.append({"step": float(global_step), **metrics})

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Add the numbers to the training logs."""
        if logs is not None:
            self.add_to(logs, state.global_step)


class CurriculumTrainer(Trainer):
    """A ``transformers.Trainer`` that feeds the training set easy to hard.

    It builds a global :class:`CurriculumSampler` (accelerate's sharding is the only split),
    spans the curriculum over the run (:func:`~curriculum.training_span` of ``max_steps``, or of
    the epochs, with the per-device batch, gradient accumulation and world size), lets
    ``Trainer`` call ``set_epoch``, logs through a :class:`CurriculumCallback`, and resumes
    exactly with ``resume_from_checkpoint``.

    A :class:`~curriculum.PackedDataset` as ``train_dataset`` (blocks packed in curriculum
    order) brings its own sampler: give no ``scores`` then; accelerate dispatches its blocks
    from the first process, so build its sampler global (the rank rule does under accelerate).

    Args:
        *args: as ``Trainer``.
        scores: one difficulty per training sample, or the name of a ``train_dataset`` column
            that holds them (the column is read before ``Trainer`` drops unused columns).
        sampler_kwargs: passed to :class:`CurriculumSampler` (``pacing``, ``c0``, ``full_at``,
            ``strata``, ``reverse``, ...). ``seed`` defaults to ``args.seed``; ``num_samples``
            (the span) defaults to the run's. Ranks are not settable: the sampler is global.
        seqlen_warmup: a :class:`~curriculum.SeqLenWarmup` applied to every batch at the
            optimizer step (so it resumes with the run), logged as ``curriculum/seq_length``.
        **kwargs: as ``Trainer``.
    """

    def __init__(
        self,
        *args: Any,
        scores: ArrayLike | str | None = None,
        sampler_kwargs: Mapping[str, Any] | None = None,
        seqlen_warmup: SeqLenWarmup | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if seqlen_warmup is not None and not isinstance(seqlen_warmup, SeqLenWarmup):
            raise InvalidValueError(
                f"seqlen_warmup must be a SeqLenWarmup, but got {type(seqlen_warmup).__name__}"
            )
        self.seqlen_warmup = seqlen_warmup
        self.curriculum_callback = CurriculumCallback()
        self.curriculum_callback.warmup = seqlen_warmup
        # Before the reporting integrations (index 0 is DefaultFlowCallback), so they see it.
        self.callback_handler.callbacks.insert(1, self.curriculum_callback)
        self.curriculum_sampler: CurriculumSampler | None = None
        self._resume_dir: str | None = None
        if isinstance(self.train_dataset, PackedDataset):
            if scores is not None or sampler_kwargs:
                raise InvalidValueError(
                    "train_dataset is a PackedDataset, which brings its own sampler; drop "
                    "scores= and sampler_kwargs= (build the sampler you pass to PackedDataset)"
                )
            sampler = self.train_dataset.sampler
            if isinstance(sampler, CurriculumSampler):
                self.curriculum_sampler = sampler
                self.curriculum_callback.sampler = sampler
            self.curriculum_scores: ArrayLike | str | None = None
            self.sampler_kwargs: dict[str, Any] = {}
            return
        if scores is None:
            raise InvalidValueError(
                "CurriculumTrainer needs scores=: one difficulty per training sample, or the "
                "name of a train_dataset column that holds them"
            )
        self.curriculum_scores = scores
        self.sampler_kwargs = dict(sampler_kwargs or {})
        reserved = sorted(set(self.sampler_kwargs) & set(_RESERVED))
        if reserved:
            raise InvalidValueError(
                f"sampler_kwargs may not set {reserved}: under Trainer the sampler is global "
                "(accelerate splits the batches over processes) and the dataset is train_dataset"
            )
        if self.args.group_by_length:
            raise InvalidValueError(
                "group_by_length=True orders batches by length, which replaces the curriculum; "
                "set group_by_length=False (or score by length: scores=lengths)"
            )

    # -- the sampler ----------------------------------------------------------------------------

    def _scores(self) -> np.ndarray:
        dataset = self.train_dataset
        if dataset is None:
            raise InvalidValueError("CurriculumTrainer needs a train_dataset")
        check_map_style(dataset)
        if isinstance(self.curriculum_scores, str):
            return dataset_scores(dataset, score_column=self.curriculum_scores)
        return np.asarray(self.curriculum_scores)

    def _batch_size(self) -> int:
        """The per-process batch ``Trainer`` trains with (restored from a checkpoint too)."""
        size = getattr(self, "_train_batch_size", None)
        return int(size if isinstance(size, int) else self.args.train_batch_size)

    def global_batch_size(self) -> int:
        """Samples per optimizer step on all processes together."""
        args = self.args
        return self._batch_size() * args.gradient_accumulation_steps * args.world_size

    def _steps_per_epoch(self, dataset_size: int) -> int:
        args = self.args
        return steps_in_epoch(
            dataset_size,
            batch_size=self._batch_size(),
            grad_accum=args.gradient_accumulation_steps,
            world_size=args.world_size,
            drop_last=args.dataloader_drop_last,
        )

    def _get_train_sampler(self, train_dataset: Any = None) -> CurriculumSampler:
        dataset: Any = self.train_dataset
        scores = self._scores()
        kwargs = dict(self.sampler_kwargs)
        kwargs.setdefault("seed", self.args.seed)
        if "num_samples" not in kwargs:
            args = self.args
            kwargs["num_samples"] = training_span(
                len(dataset),
                batch_size=self._batch_size(),  # per process (x GPUs under DataParallel)
                max_steps=args.max_steps if args.max_steps > 0 else None,
                epochs=None if args.max_steps > 0 else args.num_train_epochs,
                grad_accum=args.gradient_accumulation_steps,
                world_size=args.world_size,
                drop_last=args.dataloader_drop_last,
            )
        sampler = CurriculumSampler(scores, num_replicas=1, rank=0, dataset=dataset, **kwargs)
        if self._resume_dir is not None:
            self._check_resume(sampler, self._resume_dir)
        self.curriculum_sampler = sampler
        self.curriculum_callback.sampler = sampler
        return sampler

    def training_step(self, model: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """``Trainer.training_step``, on sequences cut by the warm-up when one is set."""
        if self.seqlen_warmup is not None:
            inputs = self.seqlen_warmup(inputs, self.state.global_step)
        return super().training_step(model, inputs, *args, **kwargs)

    def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
        """``Trainer.log``, with the curriculum numbers in every training log."""
        self.curriculum_callback.add_to(logs, self.state.global_step)
        super().log(logs, *args, **kwargs)

    # -- checkpoints ----------------------------------------------------------------------------

    def train(  # type: ignore[override]
        self, resume_from_checkpoint: str | bool | None = None, **kwargs: Any
    ) -> Any:
        """``Trainer.train``; a resume is checked against the saved curriculum first."""
        resume = resume_from_checkpoint
        if resume is True:
            resume = get_last_checkpoint(self.args.output_dir)
        self._resume_dir = resume if isinstance(resume, str) else None
        try:
            return super().train(resume_from_checkpoint=resume_from_checkpoint, **kwargs)
        finally:
            self._resume_dir = None

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        super()._save_checkpoint(model, trial)
        if self.curriculum_sampler is None or not self.args.should_save:
            return
        if isinstance(self.train_dataset, PackedDataset):
            return  # Trainer replays the packed stream deterministically up to the checkpoint
        folder = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        path = os.path.join(self._get_output_dir(trial=trial), folder, CHECKPOINT_FILE)
        seen = self.curriculum_callback.seen(self.state.global_step)
        n = int(self.curriculum_sampler.scores.shape[0])
        epoch, position = divmod(seen, n)
        sampler = self.curriculum_sampler
        record = {
            "global_batch_size": self.global_batch_size(),
            "steps_per_epoch": self._steps_per_epoch(n),
            "seen": seen,
            "state": sampler.state_dict_at(epoch, position),
        }
        atomic_write(path, lambda handle: handle.write(json.dumps(record).encode("utf-8")))

    def _check_resume(self, sampler: CurriculumSampler, checkpoint: str) -> None:
        path = os.path.join(checkpoint, CHECKPOINT_FILE)
        if not os.path.exists(path):
            return  # a checkpoint of a plain Trainer: nothing to compare
        try:
            with open(path, encoding="utf-8") as handle:
                record = json.load(handle)
            saved_batch = record["global_batch_size"]
            state = record["state"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputFileError(
                f"{path} is not a curriculum checkpoint record ({error}); restore it from the "
                "run's checkpoint, or delete it to resume without the check"
            ) from error
        if not isinstance(state, dict):
            raise InputFileError(f"{path}: 'state' must be a sampler state_dict")
        if saved_batch != self.global_batch_size():
            args = self.args
            raise InvalidValueError(
                f"the checkpoint was trained with a global batch of {saved_batch} samples per "
                f"step, this run takes {self.global_batch_size()} (batch "
                f"{self._batch_size()} per process, restored from the checkpoint, x "
                f"gradient_accumulation_steps={args.gradient_accumulation_steps} x "
                f"{args.world_size} processes): Trainer counts steps, so the data after the "
                "resume would not continue the saved order. Keep the global batch: on fewer "
                "processes raise gradient_accumulation_steps as much"
            )
        saved_steps = record.get("steps_per_epoch")
        steps = self._steps_per_epoch(int(sampler.scores.shape[0]))
        if saved_steps is not None and saved_steps != steps:
            raise InvalidValueError(
                f"the checkpoint's epochs had {saved_steps} optimizer steps, this run's have "
                f"{steps} (dataloader_drop_last=True drops a different tail with "
                f"{args.world_size} processes): Trainer would resume at another place in the "
                "order. Resume with the saved number of processes and accumulation, or with "
                "dataloader_drop_last=False"
            )
        try:
            sampler.check_state_dict(state)  # refuses other scores, pacing, seed or span
        except InvalidValueError as error:
            raise InvalidValueError(
                f"{error}\nUnder CurriculumTrainer the span (num_samples) comes from max_steps "
                "or num_train_epochs: keep them, the scores and sampler_kwargs as in the saved "
                "run. To train past the saved run, pass sampler_kwargs={'num_samples': <saved "
                "num_samples>} (the curriculum ends where it did, then plain shuffling)"
            ) from error
