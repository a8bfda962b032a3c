"""The models a benchmark trains: a tiny byte-level transformer, or a Hugging Face causal LM."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from curriculum.errors import InvalidValueError

__all__ = ["ByteLM", "HFCausalLM", "load_hf_model"]


class ByteLM(nn.Module):
    """A small pre-norm causal transformer over bytes (vocabulary 256, no tokenizer).

    Args:
        d_model: width.
        layers: transformer layers.
        heads: attention heads (must divide ``d_model``).
        context: longest input, in bytes.
    """

    vocab_size = 256
    mask: torch.Tensor

    def __init__(self, d_model: int = 128, layers: int = 2, heads: int = 4, context: int = 128):
        super().__init__()
        if d_model % heads:
            raise InvalidValueError(
                f"heads must divide d_model, but got d_model={d_model}, heads={heads}"
            )
        self.context = context
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
        h = self.tok(x) + self.pos(torch.arange(t, device=x.device))
        h = self.blocks(h, mask=self.mask[:t, :t], is_causal=True)
        return self.head(self.norm(h))


class HFCausalLM(nn.Module):
    """A Hugging Face causal LM behind the benchmark's ``model(input_ids) -> logits`` interface."""

    def __init__(self, model: Any, context: int) -> None:
        super().__init__()
        self.model = model
        self.context = context
        self.vocab_size = int(model.config.vocab_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for every position of ``x`` (batch, time)."""
        return self.model(input_ids=x).logits


def load_hf_model(path: str | os.PathLike[str], *, seed: int) -> tuple[Any, bool]:
    """A causal LM from a local directory, and whether weights were loaded.

    Its weights when the directory has them, else initialised from its ``config.json`` with
    ``seed``.

    Nothing is downloaded: the directory must exist and hold a ``config.json``.
    """
    from transformers import AutoConfig, AutoModelForCausalLM

    directory = Path(path)
    if not (directory / "config.json").is_file():
        raise InvalidValueError(
            f"model must be a local directory with a config.json (a Hugging Face causal LM config "
            f"or checkpoint), but {str(path)!r} has none; save one with "
            "model.save_pretrained(dir) or config.save_pretrained(dir)"
        )
    config = AutoConfig.from_pretrained(directory, local_files_only=True)
    has_weights = any(
        (directory / name).is_file()
        for name in ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
    )
    try:
        if has_weights:
            model = AutoModelForCausalLM.from_pretrained(directory, local_files_only=True)
        else:
            torch.manual_seed(seed)
            model = AutoModelForCausalLM.from_config(config)
    except ValueError as exc:  # transformers' "Unrecognized configuration class" for non-LMs
        raise InvalidValueError(
            f"model {str(path)!r} is not a causal language model ({type(config).__name__}): {exc}"
        ) from exc
    return model, has_weights
