"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, str(README), "exec"), namespace)
        sampler = namespace["sampler"]
        assert len(list(sampler)) == len(namespace["texts"])  # type: ignore[arg-type]
        if "for epoch" in block:
            assert sampler.epoch == 1  # type: ignore[attr-defined]  # the loop ran to the end


def test_readme_shows_both_commands() -> None:
    text = README.read_text()
    assert "make demo" in text and "make test" in text
