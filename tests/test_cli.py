"""The command line, as a user runs it: real files in, files and tables out, clear failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from curriculum.cli import main


@pytest.fixture()
def corpus(tmp_path: Path, fortunes: list[str], debian: list[str]) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps({"text": t}) for t in fortunes[:150] + debian[:50]))
    return path


def test_score_then_schedule_with_plot(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores.npy"
    assert (
        main(["score", str(corpus), "--scorer", "readability", "-o", str(out), "--no-progress"])
        == 0
    )
    scores = np.load(out)
    assert scores.shape == (200,)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["scorer"] == "readability" and meta["count"] == 200
    assert "scored 200 texts" in capsys.readouterr().out

    plot, table = tmp_path / "schedule.png", tmp_path / "profile.json"
    code = main(
        [
            "schedule",
            "--scores",
            str(out),
            "--pacing",
            "root",
            "--bins",
            "5",
            "--plot",
            str(plot),
            "--json",
            str(table),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "competence" in printed and printed.count("%") >= 10
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    profile = json.loads(table.read_text())
    medians = [row[1] for row in profile["rank"]]
    assert medians[0] < medians[-1]  # easy first


def test_score_with_metric_cache_and_other_scorers(tmp_path: Path, corpus: Path) -> None:
    cache = tmp_path / "cache"
    for _ in range(2):
        assert (
            main(
                [
                    "score",
                    str(corpus),
                    "--metric",
                    "smog_index",
                    "--cache-dir",
                    str(cache),
                    "-o",
                    str(tmp_path / "s.npy"),
                    "--no-progress",
                ]
            )
            == 0
        )
    assert len(list(cache.glob("*.npy"))) == 1
    for scorer in ("length", "compression"):
        assert (
            main(["score", str(corpus), "--scorer", scorer, "-o", str(tmp_path / f"{scorer}.npy")])
            == 0
        )


def test_plain_text_input(tmp_path: Path, fortunes: list[str]) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(t.replace("\n", " ") for t in fortunes[:30]))
    assert main(["score", str(path), "--scorer", "length", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (30,)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["score", "missing.jsonl", "-o", "s.npy"], "input file missing.jsonl does not exist"),
        (
            ["score", "{corpus}", "--metric", "nope", "-o", "{tmp}/s.npy"],
            "metric must be a textstat metric",
        ),
        (
            [
                "score",
                "{corpus}",
                "--scorer",
                "length",
                "--metric",
                "smog_index",
                "-o",
                "{tmp}/s.npy",
            ],
            "--metric only applies to --scorer readability",
        ),
        (
            ["score", "{corpus}", "--text-field", "body", "-o", "{tmp}/s.npy"],
            "must be a JSON object with a 'body' field",
        ),
        (["schedule", "--scores", "{tmp}/none.npy"], "no scores file"),
        (
            ["schedule", "--scores", "{tmp}/bad.npy", "--c0", "2"],
            "c0 must be in (0, 1], but got c0=2.0",
        ),
        (["schedule", "--scores", "{tmp}/nan.npy"], "non-finite"),
    ],
)
def test_errors_are_one_clear_line_and_exit_1(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    np.save(tmp_path / "bad.npy", np.arange(5.0))
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    args = [a.format(corpus=corpus, tmp=tmp_path) for a in argv]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_usage_errors_exit_2_and_help_works() -> None:
    with pytest.raises(SystemExit) as info:
        main(["schedule", "--scores", "s.npy", "--pacing", "warp"])
    assert info.value.code == 2
    for argv in (["--help"], ["score", "--help"], ["schedule", "--help"], ["demo", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0


def test_demo_runs_as_installed_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "curriculum"
    result = subprocess.run(
        [str(script), "demo", "--out-dir", str(tmp_path), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "stage" in result.stdout and "wrote" in result.stdout
    assert (tmp_path / "schedule.png").stat().st_size > 10_000
    grades = [
        float(line.split()[4])
        for line in result.stdout.splitlines()
        if line.strip()[:1].isdigit() and "%" in line
    ]
    assert len(grades) == 5 and grades == sorted(grades)
