"""Curriculum order for mosaicml-streaming: MDS shards with scores, and a StreamingDataset.

``StreamingDataset`` is iterable, so a DataLoader cannot take a ``sampler=``: its order is built
inside the dataset. Streaming builds each epoch as a *partition* of sample positions over nodes,
ranks, workers and batches, laid out so that the global consumption order is the same for any
world size (its "canonical" order), and then maps positions to samples with a shuffle.
:class:`CurriculumStreamingDataset` keeps the partition (and with it streaming's node/rank/worker
split, shard download and eviction, and mid-epoch resumption) and replaces the shuffle: the
sample consumed at canonical time ``k`` is the ``k``-th sample of
:func:`curriculum.ordering.curriculum_order`, the same function and seed semantics as
:class:`~curriculum.sampler.CurriculumSampler`.

This relies on private internals of mosaicml-streaming (the batching registry, ``get_partitions``
and ``resample_streams``); the supported versions are pinned in ``SUPPORTED`` and tested.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from curriculum._files import check_output, current_umask
from curriculum._validation import check_int, check_scores, check_texts, fingerprint_array
from curriculum.cache import load_scores, save_scores
from curriculum.errors import (
    CacheError,
    InvalidTypeError,
    InvalidValueError,
    MissingExtraError,
    MissingFieldError,
    NotFittedError,
)
from curriculum.fingerprint import fingerprint_bytes
from curriculum.ordering import curriculum_order, difficulty_rank
from curriculum.pacing import Pacing, PacingLike, get_pacing

try:
    import streaming
    from streaming import MDSWriter, StreamingDataset
    from streaming.base.batching import batching_methods
    from streaming.base.compression import get_compressions, is_compression
    from streaming.base.partition import get_partitions
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise MissingExtraError(
        "curriculum.streaming needs mosaicml-streaming: pip install 'curriculum[streaming]'"
    ) from exc

__all__ = ["SCORES_FILE", "SUPPORTED", "CurriculumStreamingDataset", "write_mds"]

#: mosaicml-streaming versions whose internals this module was written and tested against.
SUPPORTED = (">=0.11", "<0.14")
#: Scores of every sample, in sample-id order, beside the shards (with a .json sidecar).
SCORES_FILE = "curriculum_scores.npy"
BATCHING = "curriculum"

_ENCODINGS = {str: "str", int: "int64", float: "float64", bool: "int8"}
_BASE_CODECS = {c.split(":")[0] for c in get_compressions()}
_NUMERIC = (
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
)


def _check_version() -> None:
    from packaging.version import Version

    v = Version(streaming.__version__)
    if not (Version("0.11") <= v < Version("0.14")):
        raise MissingExtraError(
            f"curriculum.streaming supports mosaicml-streaming {', '.join(SUPPORTED)}, but "
            f"{streaming.__version__} is installed; install a supported version"
        )


_check_version()


def write_mds(
    records: Sequence[Mapping[str, Any]] | Sequence[str],
    out: str | os.PathLike[str],
    *,
    scores: ArrayLike,
    scores_column: str = "difficulty",
    text_field: str = "text",
    layout: str = "curriculum",
    compression: str | None = None,
    size_limit: int | str = 1 << 26,
) -> Path:
    """Write a corpus to MDS shards with its difficulty scores as a column.

    Args:
        records: texts, or mappings holding ``text_field`` (other str/int/float fields are kept).
        out: output directory (must be empty or absent).
        scores: one difficulty per record, higher = harder.
        scores_column: name of the float64 score column.
        text_field: the field holding the text.
        layout: ``"curriculum"`` writes samples easiest first, so that early training reads few
            shards; ``"corpus"`` keeps the input order. Sample ids follow the written order.
        compression: MDS compression (e.g. ``"zstd"``), or None.
        size_limit: bytes per shard before a new one starts.

    Returns:
        The output directory. Beside the shards it holds :data:`SCORES_FILE`, the scores in
        sample-id order, so readers need not decode every sample to get them.
    """
    rows = [{text_field: r} if isinstance(r, str) else dict(r) for r in records]
    if not rows:
        raise InvalidValueError("records must hold at least one record, but got none")
    for i, row in enumerate(rows):
        if text_field not in row:
            raise MissingFieldError(
                f"records[{i}] has no field {text_field!r}; its keys are {sorted(row)}"
            )
    check_texts([r[text_field] for r in rows], name=f"records' {text_field!r} texts")
    values = check_scores(scores, expected_len=len(rows), what="corpus")
    if layout not in ("curriculum", "corpus"):
        raise InvalidValueError(
            f"layout must be 'curriculum' or 'corpus', but got layout={layout!r}"
        )
    if scores_column in rows[0] or scores_column == text_field:
        raise InvalidValueError(
            f"scores_column={scores_column!r} clashes with a field of the records; "
            "choose another name"
        )
    if compression is not None and not is_compression(compression):
        raise InvalidValueError(
            f"compression must be one of mosaicml-streaming's ({', '.join(sorted(_BASE_CODECS))}, "
            f"optionally with a level such as zstd:7), but got compression={compression!r}"
        )
    out = check_output(out, what="out", directory=True)
    columns = _columns(rows, scores_column)
    order = np.argsort(values, kind="stable") if layout == "curriculum" else np.arange(len(rows))
    # Written beside `out`, renamed into place at the end: a failure leaves `out` as it was.
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        with MDSWriter(
            out=str(staging), columns=columns, compression=compression, size_limit=size_limit
        ) as writer:
            for i in order:
                row = rows[int(i)]
                sample = {k: row[k] for k in columns if k != scores_column}
                sample[scores_column] = float(values[i])
                writer.write(sample)
        meta = {"column": scores_column, "layout": layout, "index": _index_fingerprint(staging)}
        save_scores(staging / SCORES_FILE, values[order], meta)
        os.chmod(staging, 0o777 & ~current_umask())
        os.replace(staging, out)  # `out` is absent or an empty directory
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out


def _columns(rows: list[dict[str, Any]], scores_column: str) -> dict[str, str]:
    """MDS columns from the first record, checked against every record before anything is written.

    A field whose value is a str, int, float or bool in the first record becomes a column; every
    record must hold it with the same type (ints within int64).
    """
    columns = {scores_column: "float64"}
    kinds: dict[str, type] = {}
    for key, value in rows[0].items():
        encoding = _ENCODINGS.get(type(value))
        if encoding is not None:
            columns[key] = encoding
            kinds[key] = type(value)
    for i, row in enumerate(rows):
        for key, kind in kinds.items():
            if key not in row:
                raise MissingFieldError(
                    f"records[{i}] lacks field {key!r}, which records[0] has; give every record "
                    "the same fields"
                )
            if type(row[key]) is not kind:
                raise InvalidTypeError(
                    f"records[{i}][{key!r}] is {type(row[key]).__name__} ({row[key]!r:.40}), but "
                    f"records[0][{key!r}] is {kind.__name__}; give the field one type"
                )
            if kind is int and not -(2**63) <= row[key] < 2**63:
                raise InvalidValueError(
                    f"records[{i}][{key!r}]={row[key]} does not fit the int64 column"
                )
    return columns


def _index_fingerprint(directory: str | os.PathLike[str]) -> str:
    """Hash of a dataset's ``index.json``: ties the scores file to the shards beside it."""
    return fingerprint_bytes(Path(directory, "index.json").read_bytes())


def _generate_work_curriculum(
    dataset: StreamingDataset, world: Any, epoch: int, sample_in_epoch: int
) -> NDArray[np.int64]:
    """Streaming's partition, with positions mapped to samples in curriculum order.

    Called by streaming in the local leader, like its own ``generate_work_*`` functions.
    """
    if not isinstance(dataset, CurriculumStreamingDataset):
        raise InvalidTypeError(
            "the 'curriculum' batching method needs a CurriculumStreamingDataset"
        )
    if dataset.num_canonical_nodes is None or not isinstance(dataset.batch_size, int):
        raise InvalidValueError("num_canonical_nodes and batch_size must be set before iterating")
    _, small_per_big = dataset.resample_streams(epoch)
    big_ids = get_partitions(
        dataset.partition_algo,
        dataset.epoch_size,
        dataset.num_canonical_nodes,
        world.num_nodes,
        world.ranks_per_node,
        world.workers_per_rank,
        dataset.batch_size,
        sample_in_epoch,
        dataset.initial_physical_nodes,
    )
    mapping = dataset.position_to_sample(epoch, small_per_big)
    big_ids = np.where(big_ids != -1, mapping[np.maximum(big_ids, 0)], -1)
    return np.where(big_ids != -1, small_per_big[np.maximum(big_ids, 0)], -1)


batching_methods[BATCHING] = _generate_work_curriculum


class CurriculumStreamingDataset(StreamingDataset):
    """A ``StreamingDataset`` whose per-epoch order is a curriculum (easy to hard).

    Takes every ``StreamingDataset`` argument (``remote``, ``local``, ``streams``,
    ``batch_size``, ``num_canonical_nodes``, ...) except ``shuffle``/``shuffle_*`` and
    ``batching_method``, which the curriculum replaces. Pass ``batch_size`` as for any
    StreamingDataset: streaming needs it for deterministic resumption.

    Args:
        *args: passed to ``StreamingDataset``.
        scores: one difficulty per sample (in sample-id order). Default: read the
            :data:`SCORES_FILE` written by :func:`write_mds`, else the ``scores_column`` of
            every sample.
        scores_column: the score column of the MDS samples.
        pacing: as for :class:`~curriculum.sampler.CurriculumSampler`.
        num_samples: draws the curriculum spans (default: one epoch).
        seed: seed of the order; with the epoch it fixes it, as in CurriculumSampler.
        reverse: hardest first.
        c0: start competence of a named pacing.
        full_at: share of the curriculum at which competence reaches 1.
        **kwargs: passed to ``StreamingDataset``.
    """

    def __init__(
        self,
        *args: Any,
        scores: ArrayLike | None = None,
        scores_column: str = "difficulty",
        pacing: PacingLike = "root",
        num_samples: int | None = None,
        seed: int = 0,
        reverse: bool = False,
        c0: float | None = None,
        full_at: float | None = None,
        **kwargs: Any,
    ) -> None:
        for key in (
            "shuffle",
            "shuffle_algo",
            "shuffle_seed",
            "shuffle_block_size",
            "batching_method",
        ):
            if key in kwargs:
                raise InvalidTypeError(
                    f"{key} cannot be set on CurriculumStreamingDataset: the curriculum decides "
                    "the order (use seed=, pacing= and reverse=)"
                )
        super().__init__(*args, shuffle=False, **kwargs)
        self.batching_method = BATCHING
        self.scores_column = scores_column
        self.pacing: Pacing = get_pacing(pacing, c0=c0, full_at=full_at)
        self.curriculum_seed = check_int("seed", seed, minimum=0)
        self.reverse = bool(reverse)
        self.scores = (
            check_scores(scores, expected_len=self.num_samples, what="StreamingDataset")
            if scores is not None
            else self._read_scores()
        )
        self.curriculum_samples = check_int(
            "num_samples", self.epoch_size if num_samples is None else num_samples, minimum=1
        )
        self._rank_cache: tuple[str, NDArray[np.signedinteger]] | None = None

    def _read_scores(self) -> NDArray[np.float64]:
        if len(self.streams) == 1:  # the side file describes one stream's samples
            stream = self.streams[0]
            for root in (stream.local, stream.remote):
                path = Path(root, stream.split or "", SCORES_FILE) if root else None
                if path is not None and path.exists():
                    return self._checked_side_file(path, Path(stream.local, stream.split or ""))
        shard = self.shards[0]
        names = list(getattr(shard, "column_names", []))
        encodings = dict(zip(names, getattr(shard, "column_encodings", []), strict=False))
        if self.scores_column not in names:
            raise InvalidValueError(
                f"the MDS dataset has no column {self.scores_column!r} (columns: {names}); "
                "write it with curriculum.streaming.write_mds(..., scores=...), name the column "
                "with scores_column=, or pass scores="
            )
        if encodings.get(self.scores_column) not in _NUMERIC:
            raise InvalidTypeError(
                f"column {self.scores_column!r} must be numeric, but its MDS encoding is "
                f"{encodings.get(self.scores_column)!r}; write the scores as float64"
            )
        column = [self.get_item(i)[self.scores_column] for i in range(self.num_samples)]
        return check_scores(
            np.asarray(column, dtype=np.float64), name=f"column {self.scores_column!r}"
        )

    def _checked_side_file(self, path: Path, local: Path) -> NDArray[np.float64]:
        """The scores of :data:`SCORES_FILE`, checked against the shards it claims to describe.

        Its sidecar must name this dataset's ``index.json`` (so a scores file copied from other
        shards is refused) and the score column, and its values must equal the column in the
        first shard's samples (spot-checked: up to 16 samples, from the shard training reads
        first in the curriculum layout).
        """
        fix = (
            f"rewrite the shards with curriculum.streaming.write_mds, delete {path.name} to read "
            "the column instead, or pass scores="
        )
        scores = check_scores(
            load_scores(
                path,
                expect={"index": _index_fingerprint(local), "column": self.scores_column},
                fix=fix,
            ),
            name=str(path),
            expected_len=self.num_samples,
            what="StreamingDataset",
        )
        first = int(getattr(self.shards[0], "samples", self.num_samples))
        for i in np.unique(np.linspace(0, max(first, 1) - 1, 16).astype(np.int64)):
            value = float(self.get_item(int(i))[self.scores_column])
            if value != scores[i]:
                raise CacheError(
                    f"{path} does not match the shards: sample {int(i)} has {self.scores_column}="
                    f"{value!r} in its shard but {float(scores[i])!r} in {path.name}; {fix}"
                )
        return scores

    def position_to_sample(self, epoch: int, small_per_big: NDArray[np.int64]) -> NDArray[np.int64]:
        """For one epoch, the (resampled) sample that fills each canonical position.

        Positions are ordered by when streaming's canonical order consumes them; the ``k``-th
        position consumed gets the ``k``-th sample of the curriculum order.
        """
        if self.num_canonical_nodes is None:
            raise NotFittedError(
                "num_canonical_nodes is chosen by streaming when iteration starts; pass "
                "num_canonical_nodes= to the dataset to compute the order before that"
            )
        size = int(small_per_big.shape[0])
        key = fingerprint_array(small_per_big)
        if self._rank_cache is None or self._rank_cache[0] != key:
            rank = difficulty_rank(
                self.scores[small_per_big], seed=self.curriculum_seed, reverse=self.reverse
            )
            self._rank_cache = (key, rank)
        order = curriculum_order(
            self._rank_cache[1],
            self.pacing,
            num_samples=self.curriculum_samples,
            seed=self.curriculum_seed,
            epoch=epoch,
        )
        canonical = get_partitions("orig", size, self.num_canonical_nodes, 1, 1, 1, 1, 0)
        timeline = canonical.reshape(-1)
        timeline = timeline[timeline >= 0]
        _, first = np.unique(timeline, return_index=True)  # first time each position is read
        positions = timeline[np.sort(first)]
        mapping = np.empty(size, dtype=np.int64)
        mapping[positions] = order
        return mapping

    def curriculum_state(self) -> dict[str, Any]:
        """The settings that fix the order (save them beside streaming's own state)."""
        return {
            "pacing": self.pacing.spec(),
            "seed": self.curriculum_seed,
            "reverse": self.reverse,
            "num_samples": self.curriculum_samples,
            "scores_fingerprint": fingerprint_array(self.scores),
        }

    def state_dict(self, num_samples: int, from_beginning: bool) -> dict[str, Any]:
        """Streaming's resumption state plus the curriculum settings that fix the order."""
        state = super().state_dict(num_samples, from_beginning)
        state["curriculum"] = self.curriculum_state()
        return state

    def load_state_dict(self, obj: dict[str, Any]) -> None:
        """Resume; refuses a state saved with other scores or curriculum settings.

        A state without the ``curriculum`` entry (one from a plain ``StreamingDataset``) is
        refused too: nothing in it says which order it was a position in.
        """
        if not isinstance(obj, dict):
            raise InvalidTypeError(
                f"state_dict must be a dict from state_dict(), but got {type(obj).__name__}"
            )
        saved = obj.get("curriculum")
        if not isinstance(saved, dict):
            raise InvalidValueError(
                "state_dict has no 'curriculum' settings (it was saved by a plain "
                "StreamingDataset, or edited), so it cannot be checked against this curriculum; "
                "resume from a CurriculumStreamingDataset state, or start the epoch afresh"
            )
        mine = self.curriculum_state()
        diffs = [
            f"{k}: saved {saved.get(k)!r}, this dataset {v!r}"
            for k, v in mine.items()
            if saved.get(k) != v
        ]
        if diffs:
            raise InvalidValueError(
                "state_dict comes from a different curriculum and cannot resume this "
                "dataset:\n  " + "\n  ".join(diffs)
            )
        super().load_state_dict({k: v for k, v in obj.items() if k != "curriculum"})
