"""The README's Python examples and commands run as written, from the root of a clone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(
        tmp_path
    )  # what the examples write (Trainer's output_dir) stays out of the clone
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, str(README), "exec"), namespace)
        if "run_bench" in block:  # the benchmark example: its result, saved where it says
            result = namespace["result"]
            assert result.summary["cosine"]["full"]["vs_random"]["loss"]["n"] == 2  # type: ignore[index]
            assert (tmp_path / "bench-demo" / "bench.md").is_file()
            continue
        sampler = namespace["sampler"]
        assert sampler.num_replicas == 1  # type: ignore[attr-defined]
        if "resumed" in namespace:  # the accelerate block: the rest of the epoch after 10 steps
            assert len(list(namespace["resumed"])) == len(namespace["texts"]) - 320  # type: ignore[arg-type]
        if "trainer" in namespace and "span" in namespace:  # Lightning ran its 20 steps
            assert sampler.stats(20 * 32)["progress"] == 1.0  # type: ignore[attr-defined]
        if "for epoch" in block:
            assert sampler.epoch == 1  # type: ignore[attr-defined]  # the loop ran to the end
        assert len(list(sampler)) == len(namespace["texts"])  # type: ignore[arg-type]


def test_readme_shows_both_commands() -> None:
    text = README.read_text()
    assert "make demo" in text and "make test" in text


def _command_blocks() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    return [
        [line for line in block.splitlines() if line.startswith("curriculum ")]
        for block in blocks
        if "curriculum " in block
    ]


@pytest.mark.parametrize("block", _command_blocks(), ids=lambda b: b[0].split()[1])
def test_readme_commands_run_verbatim_in_a_clone(tmp_path: Path, block: list[str]) -> None:
    """Each bash block, run line by line in a fresh directory laid out like the clone's root."""
    data = tmp_path / "curriculum" / "data"
    shutil.copytree(README.parent / "curriculum" / "data", data)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for line in block:
        result = subprocess.run(
            line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        assert "Traceback" not in result.stderr
