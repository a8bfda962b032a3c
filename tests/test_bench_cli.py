"""`curriculum bench` on the command line: outputs, errors before training, nothing overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curriculum import save_scores
from curriculum.cli import ARM_NAMES, SCHEDULE_NAMES, main
from curriculum.fingerprint import fingerprint_texts

TINY = [
    "--steps", "4", "--seeds", "2", "--batch-size", "2", "--context", "16", "--d-model", "16",
    "--layers", "1", "--heads", "2", "--evals", "2", "--no-plot",
]  # fmt: skip


def test_cli_names_match_the_library() -> None:
    from curriculum.bench import ARMS, SCHEDULES

    assert tuple(ARMS) == ARM_NAMES and tuple(SCHEDULES) == SCHEDULE_NAMES


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, fortunes: list[str]) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in fortunes))
    return path


def test_bench_text_writes_json_and_markdown(corpus: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "res"
    assert main(["bench", "text", str(corpus), "-o", str(out), "--arms", "random,step", *TINY]) == 0
    printed = capsys.readouterr().out
    assert "| `step` |" in printed and "wrote" in printed
    data = json.loads((out / "bench.json").read_text())
    assert data["info"]["arms"] == ["random", "step"] and data["info"]["schedules"] == [
        "cosine",
        "wsd",
    ]
    assert (out / "bench.md").read_text().startswith("Task `text`")
    assert not (out / "bench.png").exists()
    # A second run refuses to replace the results, before training.
    assert main(["bench", "text", str(corpus), "-o", str(out), *TINY]) == 1
    assert "--force" in capsys.readouterr().err


def test_bench_skills_with_the_shipped_probes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "skills"
    args = ["bench", "skills", "-o", str(out), "--mix", "1,1,1,2", "--probes", *TINY]
    assert main(args) == 0
    data = json.loads((out / "bench.json").read_text())
    assert data["info"]["mix"] == pytest.approx([0.2, 0.2, 0.2, 0.4])
    assert "probe/accuracy" in data["summary"]["cosine"]["step"]["vs_random"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--seeds", "1"], "seeds must be at least 2 for a paired interval"),
        (["--arms", "random,curriculum"], "unknown arm 'curriculum'"),
        (["--schedules", "cosine,step"], "unknown name 'step'"),
        (["--steps", "100000"], "supports at most"),
        (["--mix", "1,1,1,1"], "--mix applies to the skills task"),
        (["--device", "tpu"], "device must be cpu, cuda, cuda:N or auto"),
    ],
)
def test_bad_input_fails_before_training(  # type: ignore[no-untyped-def]
    corpus: Path, tmp_path: Path, capsys, extra: list[str], message: str
) -> None:
    out = tmp_path / "res"
    assert main(["bench", "text", str(corpus), "-o", str(out), *TINY, *extra]) == 1
    err = capsys.readouterr().err
    assert err.startswith("curriculum bench: error:") and message in err
    assert not (out / "bench.json").exists()


def test_scores_file_of_another_corpus(
    corpus: Path, tmp_path: Path, capsys, fortunes: list[str]
) -> None:  # type: ignore[no-untyped-def]
    other = fortunes[:50]
    scores = save_scores(tmp_path / "s.npy", np.zeros(50), {"corpus": fingerprint_texts(other)})
    code = main(
        ["bench", "text", str(corpus), "--scores", str(scores), "-o", str(tmp_path / "r"), *TINY]
    )
    assert code == 1
    assert "score this corpus" in capsys.readouterr().err


def test_skills_takes_no_corpus(corpus: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["bench", "skills", str(corpus), "-o", str(tmp_path / "r"), *TINY]) == 1
    assert "generates its data" in capsys.readouterr().err
