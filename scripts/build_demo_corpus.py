"""Build the small demo corpus shipped in ``curriculum/data/`` from the real texts in shared/data.

Usage: python scripts/build_demo_corpus.py [--data-dir ../shared/data]

Deterministic: the same input files give the same corpus. Takes a stratified sample of the
fortune files (every category represented, in proportion) and of Debian Reference paragraphs.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "curriculum" / "data" / "demo_corpus.jsonl"
N_FORTUNES = 2400
N_DEBIAN = 600
MAX_CHARS = 700  # keep the demo table readable


def _load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if r["text"].strip() and len(r["text"]) <= MAX_CHARS]


def _stratified(
    rows: list[dict[str, str]], k: int, rng: np.random.Generator
) -> list[dict[str, str]]:
    by_source: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_source[row["source"]].append(row)
    picked: list[dict[str, str]] = []
    for source in sorted(by_source):
        group = by_source[source]
        take = max(1, round(k * len(group) / len(rows)))
        idx = rng.choice(len(group), size=min(take, len(group)), replace=False)
        picked.extend(group[i] for i in sorted(idx))
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data-dir", type=Path, default=default)
    args = parser.parse_args()
    rng = np.random.default_rng(20261125)
    fortunes = _stratified(_load(args.data_dir / "fortunes.jsonl"), N_FORTUNES, rng)
    debian = _stratified(_load(args.data_dir / "debian-reference.jsonl"), N_DEBIAN, rng)
    rows = fortunes + debian
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(
                json.dumps(
                    {"id": row["id"], "source": row["source"], "text": row["text"]},
                    ensure_ascii=False,
                )
                + "\n"
            )
    print(
        f"wrote {len(rows)} passages ({len(fortunes)} fortunes, "
        f"{len(debian)} Debian Reference) to {OUT}"
    )


if __name__ == "__main__":
    main()
