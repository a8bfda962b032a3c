"""PackedDataset: texts packed into fixed-length blocks in the sampler's (curriculum) order.

Packing in corpus order and then ordering the blocks dilutes a curriculum: every block mixes
neighbouring texts of any difficulty. Packing the texts in the order the sampler emits them
keeps it: block ``k`` holds the texts the curriculum puts at that point.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import IterableDataset, Sampler, get_worker_info

from curriculum._positional import PositionalSampler
from curriculum._validation import check_int
from curriculum.datasets import check_map_style
from curriculum.errors import InvalidTypeError, InvalidValueError, MissingFieldError
from curriculum.fingerprint import callable_name, differing_settings, fingerprint_json

__all__ = ["PackedDataset"]

STATE_VERSION = 1
_LOOKAHEAD = 256  # texts tokenized per call in tokenizer mode


class PackedDataset(IterableDataset):
    """Texts packed into blocks of ``block_length`` tokens, in the order a sampler gives.

    Each document (the token ids of one dataset item, then ``separator`` when given) is
    appended to the current block; a document longer than the room left continues in the next
    blocks, so no token is lost. Every block is a dict of LongTensors of length
    ``block_length``:

    * ``input_ids``: the tokens;
    * ``position_ids``: position inside each document piece, restarting at 0 where a document
      (or its continuation) starts in the block, as Hugging Face's flattening collator marks
      packed sequences for flash-attention models;
    * ``document_ids``: the dataset index each token comes from (``-1`` for padding), to build a
      block-diagonal attention mask (with a plain mask, a block's documents see each other);
    * ``attention_mask``: 1 for tokens, 0 for the padding of a share's final partial block.

    Documents with no tokens (and no separator) add nothing. The final partial block of an
    epoch is padded with ``pad_id`` (or dropped with ``drop_last=True``).

    Ranks come from the sampler (each rank packs its own share; their block counts differ by a
    few per epoch, so train a fixed number of steps). With ``num_workers`` > 0, worker ``w`` of
    ``W`` packs the documents at positions ``w, w + W, ...`` of the sampler's order, so the
    workers pack disjoint shares that together hold every document once, each in curriculum
    order; workers get a copy of the dataset, so call :meth:`set_epoch` (which passes the epoch
    to the sampler) every epoch. :meth:`state_dict` is the epoch, the position of the document
    being packed and how many of its tokens are already out (a finished share: the end of the
    epoch); torchdata's ``StatefulDataLoader`` keeps one per worker and resumes exactly. A state
    from another block length, separator, corpus, rank or sampler is refused. A sampler without
    ``set_epoch`` (a plain ``RandomSampler``) is recorded as epoch 0: resume it within an epoch.

    Args:
        token_ids: map-style dataset of token-id lists (or of texts, with ``tokenizer``).
        sampler: the order, e.g. a :class:`~curriculum.CurriculumSampler` (any ``Sampler[int]``
            whose order is deterministic for an epoch resumes exactly).
        block_length: tokens per block, at least 2.
        tokenizer: a Hugging Face tokenizer or the path of a local directory holding one;
            ``token_ids`` then holds texts, tokenized without special tokens.
        separator: token id appended after every document (typically EOS), or None.
        pad_id: token id of the padding of a final partial block (default ``separator``, else 0).
        drop_last: drop the final partial block of an epoch instead of padding it.
    """

    def __init__(
        self,
        token_ids: Sequence[Any],
        sampler: Sampler[int],
        block_length: int,
        *,
        tokenizer: Any = None,
        separator: int | None = None,
        pad_id: int | None = None,
        drop_last: bool = False,
    ) -> None:
        check_map_style(token_ids)
        if not isinstance(sampler, Sampler) and not hasattr(sampler, "__iter__"):
            raise InvalidTypeError(
                f"sampler must be a Sampler[int], but got {type(sampler).__name__}"
            )
        self.token_ids = token_ids
        self.sampler = sampler
        self.block_length = check_int("block_length", block_length, minimum=2)
        self.separator = check_int("separator", separator, allow_none=True)
        self.pad_id = check_int("pad_id", pad_id, allow_none=True)
        self.drop_last = bool(drop_last)
        self.tokenizer = tokenizer
        self._tokenizer: Any = None
        if tokenizer is not None:
            from curriculum.scorers.tokens import load_tokenizer

            self._tokenizer = load_tokenizer(tokenizer)
        size = getattr(sampler, "scores", None)
        if size is not None and len(size) != len(token_ids):
            raise InvalidValueError(
                f"the sampler orders {len(size)} samples but token_ids has {len(token_ids)}; "
                "build the sampler on the scores of these documents"
            )
        self._where: tuple[int, int, int] = (self._epoch(), 0, 0)  # epoch, position, offset
        self._resume: tuple[int, int, int] | None = None
        self._end = 0
        self._corpus: str | None = None

    # -- the order ------------------------------------------------------------------------------

    def _epoch(self) -> int:
        return int(getattr(self.sampler, "epoch", 0))

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch of the next iteration (passed on to the sampler)."""
        epoch = check_int("epoch", epoch, minimum=0)
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)
        if self._resume is not None and self._resume[0] != epoch:
            self._resume = None
        if self._resume is None:
            self._where = (epoch, 0, 0)  # a state saved now starts that epoch

    def _documents(
        self, order: Iterator[int], skip: int, worker: int, workers: int
    ) -> Iterator[tuple[int, int, NDArray[np.int64]]]:
        """``(position, index, tokens)`` of this worker's documents from position ``skip`` on."""
        pending: list[tuple[int, int]] = []
        count = len(self.token_ids)
        end = 0
        for position, index in enumerate(order):
            end = position + 1
            if position < skip or position % workers != worker:
                continue
            if not 0 <= index < count:
                raise InvalidValueError(
                    f"the sampler gave index {index}, outside token_ids (0..{count - 1}); build "
                    "the sampler over these documents"
                )
            if self._tokenizer is None:
                yield position, index, self._ids(index)
                continue
            pending.append((position, index))
            if len(pending) == _LOOKAHEAD:
                yield from self._tokenize(pending)
                pending = []
        if pending:
            yield from self._tokenize(pending)
        self._end = max(end, skip)  # positions of this epoch's order (a finished share: here)

    def _ids(self, index: int) -> NDArray[np.int64]:
        item = self.token_ids[index]
        if isinstance(item, dict) or hasattr(item, "keys"):
            if "input_ids" not in item:
                raise MissingFieldError(
                    f"token_ids[{index}] is a mapping without 'input_ids' (keys "
                    f"{sorted(item)}); pass lists of token ids, or items holding 'input_ids'"
                )
            item = item["input_ids"]
        if isinstance(item, str):
            raise InvalidTypeError(f"token_ids[{index}] is a text; pass tokenizer= to pack texts")
        try:
            ids = np.asarray(item.tolist() if isinstance(item, torch.Tensor) else item)
        except (TypeError, ValueError):  # ragged or not numbers: numpy cannot make an array
            ids = np.asarray([None])
        if ids.ndim != 1 or not (ids.size == 0 or np.issubdtype(ids.dtype, np.integer)):
            raise InvalidTypeError(
                f"token_ids[{index}] must be a 1-D list of token ids, but got "
                f"{type(item).__name__} {str(item)[:60]}; pass tokenizer= to pack texts"
            )
        if ids.size and ids.min() < 0:
            raise InvalidValueError(
                f"token_ids[{index}] holds token id {int(ids.min())}: ids must be >= 0"
            )
        return self._with_separator(ids.astype(np.int64, copy=False))

    def _tokenize(
        self, pending: list[tuple[int, int]]
    ) -> Iterator[tuple[int, int, NDArray[np.int64]]]:
        texts = [self.token_ids[index] for _, index in pending]
        bad = [
            i for i, t in zip((i for _, i in pending), texts, strict=True) if not isinstance(t, str)
        ]
        if bad:
            raise InvalidTypeError(
                f"with tokenizer=, token_ids must hold texts, but token_ids[{bad[0]}] is "
                f"{type(self.token_ids[bad[0]]).__name__}"
            )
        rows = self._tokenizer(texts, add_special_tokens=False)["input_ids"]
        for (position, index), row in zip(pending, rows, strict=True):
            yield position, index, self._with_separator(np.asarray(row, dtype=np.int64))

    def _with_separator(self, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        if self.separator is None:
            return ids
        return np.append(ids, np.int64(self.separator))

    # -- iteration ------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        skip, offset = 0, 0
        if self._resume is not None:
            epoch, skip, offset = self._resume
            self._resume = None
            if hasattr(self.sampler, "set_epoch"):
                self.sampler.set_epoch(epoch)
        self._end = skip
        order = iter(self.sampler)  # now, so that the sampler settles the epoch
        epoch = self._epoch()
        self._where = (epoch, skip, offset)
        return self._blocks(order, epoch, worker, workers, skip, offset)

    def _blocks(
        self,
        order: Iterator[int],
        epoch: int,
        worker: int,
        workers: int,
        skip: int,
        offset: int,
    ) -> Iterator[dict[str, torch.Tensor]]:
        length = self.block_length
        ids = np.empty(length, dtype=np.int64)
        pos = np.empty(length, dtype=np.int64)
        doc = np.empty(length, dtype=np.int64)
        fill = 0
        docs = self._documents(order, skip, worker, workers)
        current = next(docs, None)
        while current is not None:
            position, index, tokens = current
            upcoming: tuple[int, int, NDArray[np.int64]] | None = None
            peeked = False
            t = offset if position == skip else 0
            while t < tokens.shape[0]:
                take = min(length - fill, tokens.shape[0] - t)
                ids[fill : fill + take] = tokens[t : t + take]
                pos[fill : fill + take] = np.arange(take)
                doc[fill : fill + take] = index
                fill += take
                t += take
                if fill == length:
                    # Where to go on after this block: this document at token t, the next
                    # document, or (none left) the end of the epoch.
                    if t < tokens.shape[0]:
                        self._where = (epoch, position, t)
                    else:
                        upcoming, peeked = next(docs, None), True
                        after = self._end if upcoming is None else upcoming[0]
                        self._where = (epoch, after, 0)
                    yield _block(ids, pos, doc, length)
                    fill = 0
            current = upcoming if peeked else next(docs, None)
        if fill and not self.drop_last:
            pad = self.pad_id if self.pad_id is not None else (self.separator or 0)
            ids[fill:] = pad
            pos[fill:] = 0
            doc[fill:] = -1
            self._where = (epoch, self._end, 0)
            yield _block(ids, pos, doc, fill)
        self._where = (epoch, self._end, 0)  # this share is done: the rest of the epoch is empty

    # -- Stateful -------------------------------------------------------------------------------

    def _corpus_fingerprint(self) -> str:
        """Hash of up to 1,000 documents spread over the corpus, and the tokenizer (cached)."""
        if self._corpus is None:
            n = len(self.token_ids)
            picks = sorted({n * k // 1000 for k in range(min(n, 1000))})
            sample = []
            for i in picks:
                item = self.token_ids[i]
                if hasattr(item, "keys"):
                    item = item.get("input_ids", "")
                sample.append(item if isinstance(item, str) else np.asarray(item).tolist())
            tokenizer = None
            if self._tokenizer is not None:
                from curriculum.scorers.tokens import tokenizer_fingerprint

                try:
                    tokenizer = tokenizer_fingerprint(self._tokenizer)
                except InvalidValueError:  # a plain callable: known by its name only
                    tokenizer = callable_name(self._tokenizer)
            self._corpus = fingerprint_json({"n": n, "sample": sample, "tokenizer": tokenizer})
        return self._corpus

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "block_length": self.block_length,
            "separator": self.separator,
            "drop_last": self.drop_last,
            "documents": len(self.token_ids),
            "corpus": self._corpus_fingerprint(),
        }
        if isinstance(self.sampler, PositionalSampler):
            # The position counts this rank's share of the order: rank and ranks must match.
            config["sampler.num_replicas"] = self.sampler.num_replicas
            config["sampler.rank"] = self.sampler.rank
            for key, value in self.sampler._config().items():
                config[f"sampler.{key}"] = value
        return config

    def state_dict(self) -> dict[str, Any]:
        """The epoch, the position of the document being packed and its tokens already out."""
        epoch, position, offset = self._resume if self._resume is not None else self._where
        info = get_worker_info()
        return {
            "version": STATE_VERSION,
            "epoch": epoch,
            "position": position,
            "offset": offset,
            "workers": 1 if info is None else info.num_workers,
            **self._config(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume: the next iteration yields exactly the blocks after the saved one.

        Raises:
            TypeError: ``state_dict`` is not a mapping.
            ValueError: it is malformed or comes from another block length, separator, corpus
                or sampler; the message lists the differences.
        """
        if not isinstance(state_dict, dict):
            raise InvalidTypeError(
                f"state_dict must be a dict from PackedDataset.state_dict(), but got "
                f"{type(state_dict).__name__}"
            )
        if state_dict.get("version") != STATE_VERSION:
            raise InvalidValueError(
                f"state_dict has version={state_dict.get('version')!r}, PackedDataset reads "
                f"version {STATE_VERSION}; it is not a PackedDataset state"
            )
        diffs = differing_settings(state_dict, self._config(), this="this dataset")
        if diffs:
            raise InvalidValueError(
                "state_dict comes from a different packing and cannot resume this dataset:\n  "
                + "\n  ".join(diffs)
                + "\nBuild the dataset with the saved settings, corpus and sampler, or start "
                "afresh."
            )
        epoch = check_int("state_dict['epoch']", state_dict.get("epoch"), minimum=0)
        position = check_int("state_dict['position']", state_dict.get("position"), minimum=0)
        offset = check_int("state_dict['offset']", state_dict.get("offset"), minimum=0)
        info = get_worker_info()
        workers = 1 if info is None else info.num_workers
        if state_dict.get("workers") != workers:
            raise InvalidValueError(
                f"state_dict was saved by a worker of {state_dict.get('workers')!r} workers, this "
                f"one is one of {workers}: each worker packs its own share, so resume with "
                f"num_workers={state_dict.get('workers')!r}"
            )
        self._resume = (epoch, position, offset)
        self._where = (epoch, position, offset)


def _block(
    ids: NDArray[np.int64], pos: NDArray[np.int64], doc: NDArray[np.int64], fill: int
) -> dict[str, torch.Tensor]:
    mask = np.zeros(ids.shape[0], dtype=np.int64)
    mask[:fill] = 1
    return {
        "input_ids": torch.from_numpy(ids.copy()),
        "position_ids": torch.from_numpy(pos.copy()),
        "document_ids": torch.from_numpy(doc.copy()),
        "attention_mask": torch.from_numpy(mask),
    }
