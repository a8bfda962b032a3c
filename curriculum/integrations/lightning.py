"""Lightning with a curriculum: :class:`CurriculumCallback`.

Lightning wraps a custom sampler in its own distributed sampler by default
(``use_distributed_sampler=True``), which would split the curriculum over ranks a second time
and shuffle it. The sampler splits itself, so the callback refuses that setting on several
ranks and names the fix; it also resumes the sampler mid-epoch from a checkpoint (Lightning
alone restarts a plain ``DataLoader`` at the start of the epoch) and logs the curriculum.

Usage::

    sampler = CurriculumSampler(scores, num_samples=training_span(...))
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    trainer = L.Trainer(use_distributed_sampler=False, callbacks=[CurriculumCallback(sampler)])
    trainer.fit(model, loader)
"""

from __future__ import annotations

from typing import Any

from curriculum.errors import InvalidTypeError, InvalidValueError, MissingExtraError

try:
    import lightning.pytorch as pl
except ImportError as error:  # pragma: no cover - exercised without the extra installed
    raise MissingExtraError(
        "curriculum.integrations.lightning needs Lightning: pip install 'curriculum[lightning]'"
    ) from error

from curriculum._positional import PositionalSampler
from curriculum.sampler import CurriculumSampler
from curriculum.seqlen import SeqLenWarmup

__all__ = ["CurriculumCallback"]


class CurriculumCallback(pl.Callback):
    """Keeps a curriculum sampler correct under Lightning: one split, exact resume, logging.

    * On several ranks it refuses ``Trainer(use_distributed_sampler=True)`` (Lightning's
      default), which would split the sampler's share again; pass ``False``.
    * Its checkpoint state is the sampler's global position, counted from the batches trained
      (not from what a prefetching ``DataLoader`` has drawn). On ``fit(ckpt_path=...)`` the
      sampler resumes there, so the run reads what the uninterrupted run reads. Build the
      sampler before ``fit`` and pass the same object to the callback and the ``DataLoader``.
    * Each training step it logs ``curriculum/progress``, ``curriculum/competence`` and
      ``curriculum/difficulty`` (mean percentile of the step's samples on all ranks; a
      :class:`~curriculum.CurriculumSampler` only) with ``pl_module.log``, and keeps them in
      :attr:`history`.

    Lightning calls ``set_epoch`` on the sampler itself.

    Args:
        sampler: the sampler of the training ``DataLoader``.
        log: whether to log the curriculum numbers.
        warmup: a :class:`~curriculum.SeqLenWarmup` your ``training_step`` applies at
            ``trainer.global_step``; its length is logged as ``curriculum/seq_length``.
    """

    def __init__(
        self, sampler: PositionalSampler, *, log: bool = True, warmup: SeqLenWarmup | None = None
    ) -> None:
        if not isinstance(sampler, PositionalSampler):
            raise InvalidTypeError(
                "sampler must be a CurriculumSampler or RecipeSampler, but got "
                f"{type(sampler).__name__}"
            )
        if warmup is not None and not isinstance(warmup, SeqLenWarmup):
            raise InvalidTypeError(
                f"warmup must be a SeqLenWarmup, but got {type(warmup).__name__}"
            )
        self.sampler = sampler
        self.log = bool(log)
        self.warmup = warmup
        self.history: list[dict[str, float]] = []
        self._batch_size: int | None = None
        self._epoch: int | None = None  # epoch being trained and its global position
        self._position = 0
        self._resumed: tuple[int, int] | None = None
        self._batch_step = 0

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Refuse Lightning's own distributed sampler when training on several ranks."""
        if stage != "fit" or trainer.world_size <= 1:
            return
        connector = getattr(trainer, "_accelerator_connector", None)
        if getattr(connector, "use_distributed_sampler", False):
            raise InvalidValueError(
                "Trainer(use_distributed_sampler=True) wraps the curriculum sampler in "
                "Lightning's DistributedSampler, which splits it over ranks a second time and "
                "shuffles it; pass Trainer(use_distributed_sampler=False): the sampler splits "
                "itself"
            )

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Read the per-rank batch size of the training ``DataLoader``."""
        loader = trainer.train_dataloader
        size = getattr(loader, "batch_size", None)
        if not isinstance(size, int) or size < 1:
            raise InvalidValueError(
                "CurriculumCallback needs a training DataLoader with batch_size= (got "
                f"batch_size={size!r}); pass batch_size and sampler to the DataLoader"
            )
        self._batch_size = size

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        """Start counting an epoch at its first batch (or where a resume put it)."""
        self._batch_step = trainer.global_step  # the step this batch trains (for the warm-up)
        epoch = self.sampler.epoch
        if self._epoch != epoch:
            self._epoch = epoch
            resumed = self._resumed
            self._position = resumed[1] if resumed is not None and resumed[0] == epoch else 0
            self._resumed = None

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        """Count the batch just trained on every rank, and log the curriculum."""
        if self._batch_size is None or self._epoch is None:
            return
        step = self._batch_size * self.sampler.num_replicas
        size = int(self.sampler.global_order(self._epoch).shape[0])
        before = self._position
        self._position = min(size, before + step)
        sampler = self.sampler
        if not self.log:
            return
        metrics: dict[str, float] = {}
        if isinstance(sampler, CurriculumSampler):
            seen = self._epoch * int(sampler.scores.shape[0]) + self._position
            stats = sampler.stats(seen, window=max(1, self._position - before))
            metrics = {f"curriculum/{key}": value for key, value in stats.items()}
        if self.warmup is not None:
            metrics["curriculum/seq_length"] = float(self.warmup.length(self._batch_step))
        if metrics:
            pl_module.log_dict(metrics, on_step=True, on_epoch=False)
            self.history.append({"step": float(trainer.global_step), **metrics})

    def state_dict(self) -> dict[str, Any]:
        """The sampler's state at the batches trained so far (an epoch's end: the next epoch)."""
        if self._epoch is None:  # no batch trained yet: where the run starts, not the prefetch
            epoch, position = (
                self._resumed if self._resumed is not None else (self.sampler.epoch, 0)
            )
            return {"sampler": self.sampler.state_dict_at(epoch, position)}
        size = int(self.sampler.global_order(self._epoch).shape[0])
        if self._position >= size:
            return {"sampler": self.sampler.state_dict_at(self._epoch + 1, 0)}
        return {"sampler": self.sampler.state_dict_at(self._epoch, self._position)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume the sampler where the checkpoint's training was (before the loader starts)."""
        state = state_dict.get("sampler") if isinstance(state_dict, dict) else None
        if not isinstance(state, dict):
            raise InvalidValueError(
                "the checkpoint's CurriculumCallback state has no 'sampler' state; it was not "
                "saved by this callback"
            )
        self.sampler.load_state_dict(state)
        self._resumed = (int(state["epoch"]), int(state["position"]))
        self._epoch = None
