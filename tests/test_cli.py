"""The command line, as a user runs it: real files in, files and tables out, clear failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from curriculum.cache import save_scores
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
                    "--force",
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


def test_score_shows_a_progress_bar_unless_told_not_to(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", str(corpus), "--scorer", "length", "-o", str(tmp_path / "a.npy")]) == 0
    assert "scoring (length): " in capsys.readouterr().err
    argv = ["score", str(corpus), "--scorer", "length", "-o", str(tmp_path / "b.npy")]
    assert main([*argv, "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


def test_engine_ray_without_ray_names_the_extra(
    tmp_path: Path,
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert main(["score", str(corpus), "--engine", "ray", "-o", str(tmp_path / "s.npy")]) == 1
    err = capsys.readouterr().err
    assert "scoring on Ray needs Ray Data: pip install 'curriculum[ray]'" in err
    assert not (tmp_path / "s.npy").exists()


def test_plain_text_input(tmp_path: Path, fortunes: list[str]) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(t.replace("\n", " ") for t in fortunes[:30]))
    assert main(["score", str(path), "--scorer", "length", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (30,)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["score", "missing.jsonl", "-o", "s.npy"], "input file 'missing.jsonl' does not exist"),
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
            "--metric does not apply to --scorer length",
        ),
        (
            ["score", "{corpus}", "--text-field", "body", "-o", "{tmp}/s.npy"],
            "must be a JSON object with a 'body' field",
        ),
        (
            ["score", "{corpus}", "--address", "auto", "-o", "{tmp}/s.npy"],
            "--address applies to --engine ray; add --engine ray",
        ),
        (
            ["score", "{corpus}", "--engine", "ray", "--jobs", "2", "-o", "{tmp}/s.npy"],
            "--jobs applies to --engine local; with --engine ray, Ray runs a task per CPU",
        ),
        (["schedule", "--scores", "{tmp}/none.npy"], "none.npy' does not exist"),
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


# -- files: an output never replaces an input; problems are named before any work -------------


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_scoring_never_overwrites_the_corpus(
    tmp_path: Path, fortunes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus.json"  # JSON lines named .json: the sidecar of corpus.npy
    corpus.write_text("\n".join(json.dumps({"text": t}) for t in fortunes[:20]))
    before = corpus.read_bytes()
    for extra in ([], ["--force"]):
        code, err = _run(["score", str(corpus), "-o", str(tmp_path / "corpus.npy"), *extra], capsys)
        assert code == 1 and "is the input" in err and "never replaces an input" in err
    assert corpus.read_bytes() == before and not (tmp_path / "corpus.npy").exists()
    code, err = _run(["score", str(corpus), "-o", str(corpus)], capsys)
    assert code == 1 and "is the input" in err


def test_an_existing_output_is_replaced_only_with_force(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.npy"
    assert main(["score", str(corpus), "--scorer", "length", "-o", str(out)]) == 0
    code, err = _run(["score", str(corpus), "--scorer", "length", "-o", str(out)], capsys)
    assert code == 1 and "exists; pass --force to replace it" in err
    assert main(["score", str(corpus), "--scorer", "length", "-o", str(out), "--force"]) == 0
    # A foreign scores.json beside -o scores.npy is never replaced, not even with --force.
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    for extra in ([], ["--force"]):
        code, err = _run(
            ["score", str(corpus), "--scorer", "length", "-o", str(tmp_path / "notes.npy"), *extra],
            capsys,
        )
        assert code == 1 and "notes.json" in err
    assert notes.read_text() == '{"my": "notes"}'


def test_the_output_is_checked_before_the_input_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "c.jsonl"
    broken.write_text("{not json\n")  # reading it would fail: the output error must come first
    code, err = _run(["score", str(broken), "-o", str(tmp_path / "s.txt")], capsys)
    assert code == 1 and "-o must end in .npy" in err


@pytest.mark.parametrize(
    ("setup", "argv", "message"),
    [
        (lambda t: (t / "d").mkdir(), ["score", "{t}/d", "-o", "{t}/s.npy"], "is a directory"),
        (lambda t: (t / "d").mkdir(), ["score", "{c}", "-o", "{t}/d"], "is a directory; give a"),
        (None, ["score", "{c}", "-o", "/proc/curriculum-test.npy"], "cannot be written"),
        (
            lambda t: (t / "f").write_text("x"),
            ["score", "{c}", "-o", "{t}/f/s.npy"],
            "is a file, not a directory",
        ),
        (
            lambda t: (t / "f").write_text("x"),
            ["mds", "{c}", "{t}/f", "--scorer", "length"],
            "is a file; give a new or empty directory",
        ),
        (
            lambda t: (t / "l.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1")),
            ["score", "{t}/l.txt", "-o", "{t}/s.npy"],
            "l.txt:1 is not UTF-8 (byte 0xe9 at column 4); convert the file, e.g. iconv",
        ),
        (
            lambda t: (t / "b.jsonl").write_bytes(b"\x00\x01\x02binary"),
            ["score", "{t}/b.jsonl", "-o", "{t}/s.npy"],
            "b.jsonl:1 holds NUL bytes: it looks like a binary file",
        ),
        (
            lambda t: (t / "p.parquet").write_text("not parquet"),
            ["score", "{t}/p.parquet", "-o", "{t}/s.npy"],
            "is not a readable parquet file",
        ),
        (None, ["schedule", "--scores", "{c}"], "is not a scores file: give the .npy file"),
        (
            lambda t: save_scores(t / "s.npy", np.arange(9.0)),
            ["schedule", "--scores", "{t}/s.npy", "--plot", "{t}/p.txt"],
            "--plot '",
        ),
        (
            lambda t: save_scores(t / "s.npy", np.arange(9.0)),
            ["schedule", "--scores", "{t}/s.npy", "--plot", "{t}/p.png", "--json", "{t}/p.png"],
            "both name",
        ),
        (
            lambda t: (t / "r.yaml").write_text("phases: 5\n"),
            ["plan", "{t}/r.yaml"],
            "'phases' must be a list of phases",
        ),
        (None, ["plan", "model-raising", "--fields", "nosuch"], "fields ['nosuch'] are in no"),
        (None, ["plan", "nonesuch"], "no shipped recipe 'nonesuch'"),
        (None, ["plan", "{t}/missing.yaml"], "recipe file '"),
        (None, ["concepts", "--graph", "nograph"], "is neither a shipped graph"),
        (None, ["score", "{c}", "--n-clusters", "3", "-o", "{t}/s.npy"], "--n-clusters does not"),
        (None, ["score", "{c}", "--scorer", "length", "--jobs", "2", "-o", "{t}/s.npy"], "--jobs"),
        (
            lambda t: (t / "u.jsonl").write_text('{"text": "bad \\ud800"}\n'),
            ["score", "{t}/u.jsonl", "-o", "{t}/s.npy"],
            "an unpaired surrogate",
        ),
        (
            lambda t: (t / "w.txt").write_bytes("caf\xe9\n".encode("utf-16")),
            ["score", "{t}/w.txt", "-o", "{t}/s.npy"],
            "is UTF-16 text, not UTF-8; convert the file, e.g. iconv -f utf-16",
        ),
        (None, ["schedule", "--scores", "."], "is a directory"),
        (None, ["schedule", "--scores", "/"], "is a directory"),
        (
            lambda t: save_scores(t / "s.npy", np.arange(9.0)),
            ["schedule", "--scores", "{t}/s.npy", "--stages", "4"],
            "--stages applies to --pacing step, not --pacing root",
        ),
        (
            lambda t: np.save(t / "z.npy", np.array([1 + 2j, 3j])),
            ["schedule", "--scores", "{t}/z.npy"],
            "real numbers",
        ),
        (None, ["mds", "{c}", "{t}/m", "--scorer", "length", "--compression", "bogus"], "bogus"),
        (None, ["concepts", "--unassigned", "-3"], "integer depth >= 0"),
        (
            lambda t: (t / "g.yaml").write_text(
                "concepts:\n- {name: a, description: d, keywords: 5}\n"
            ),
            ["concepts", "--graph", "{t}/g.yaml"],
            "keywords must be a list of non-empty strings",
        ),
        (
            lambda t: (t / "r.yaml").write_text("phases:\n- {name: a, framing: [{mode: human}]}\n"),
            ["plan", "{t}/r.yaml"],
            "framing entries must be names",
        ),
        (
            lambda t: (t / "r.yaml").write_text("phases:\n- {name: [a, b]}\n"),
            ["plan", "{t}/r.yaml"],
            "phase names must be non-empty strings",
        ),
        (
            lambda t: (t / "r.yaml").write_text("phases:\n- {name: a, order: []}\n"),
            ["plan", "{t}/r.yaml"],
            "order must not be an empty list",
        ),
        (
            lambda t: (t / "r.yaml").write_text(
                "phases:\n- {name: a, order: {lexicographic: 5}}\n"
            ),
            ["plan", "{t}/r.yaml"],
            "order lexicographic must be a non-empty list",
        ),
        (
            lambda t: (t / "r.yaml").write_text("phases:\n- {name: a, order: {field: [a]}}\n"),
            ["plan", "{t}/r.yaml"],
            "order must be a scorer name or {field: name}",
        ),
        (
            lambda t: (t / "r.yaml").write_text("phases:\n- {name: a, samples: 100000000000}\n"),
            ["plan", "{t}/r.yaml"],
            "more than 1000 rounds of it",
        ),
    ],
)
def test_file_and_setting_problems_are_one_clear_line(
    tmp_path: Path,
    corpus: Path,
    capsys: pytest.CaptureFixture[str],
    setup,
    argv: list[str],
    message: str,
) -> None:
    if setup is not None:
        setup(tmp_path)
    args = [a.format(t=tmp_path, c=corpus) for a in argv]
    code, err = _run(args, capsys)
    assert code == 1 and message in err, err
    assert ".tmp" not in err and "delete" not in err


def test_scores_of_another_corpus_are_refused(
    tmp_path: Path, corpus: Path, fortunes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(json.dumps({"text": t}) for t in fortunes[-200:]))
    scores = tmp_path / "other.npy"
    assert main(["score", str(other), "--scorer", "length", "-o", str(scores)]) == 0
    for argv in (
        ["mds", str(corpus), str(tmp_path / "shards"), "--scores", str(scores)],
        ["schedule", "--scores", str(scores), "--input", str(corpus)],
    ):
        code, err = _run(argv, capsys)
        assert code == 1 and "stale:\n  corpus: cached" in err and "curriculum score" in err
    bare = tmp_path / "bare.npy"
    np.save(bare, np.arange(200.0))
    code, err = _run(["mds", str(corpus), str(tmp_path / "s2"), "--scores", str(bare)], capsys)
    assert code == 1 and "metadata" in err and "is missing" in err
    own = tmp_path / "own.npy"
    assert main(["score", str(corpus), "--scorer", "length", "-o", str(own)]) == 0
    assert main(["schedule", "--scores", str(own), "--input", str(corpus), "--bins", "4"]) == 0
    out = capsys.readouterr().out
    assert out.count("...") + out.count("   ") >= 4  # an example text per slice


def test_outputs_follow_the_umask(tmp_path: Path, corpus: Path) -> None:
    import os

    for mask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        old = os.umask(mask)
        try:
            out = tmp_path / f"s{mask}.npy"
            assert main(["score", str(corpus), "--scorer", "length", "-o", str(out)]) == 0
        finally:
            os.umask(old)
        assert out.stat().st_mode & 0o777 == mode
        assert out.with_suffix(".json").stat().st_mode & 0o777 == mode


def test_a_library_bug_keeps_its_traceback(
    monkeypatch: pytest.MonkeyPatch, corpus: Path, tmp_path: Path
) -> None:
    import curriculum.cli as cli

    def broken(args: object) -> int:
        raise TypeError("a bug inside the library")

    monkeypatch.setitem(cli.HANDLERS, "score", broken)
    with pytest.raises(TypeError, match="a bug inside the library"):
        main(["score", str(corpus), "-o", str(tmp_path / "s.npy")])


def test_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "curriculum"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"'{script}' plan model_raising | head -n 1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.stdout.startswith("recipe 'model-raising'")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.returncode in (0, 141)  # 141 when the pipe closed before the last write
    # Far more output than a pipe holds: a write surely hits the closed pipe.
    save_scores(tmp_path / "s.npy", np.random.default_rng(0).random(6000))
    long = f"'{script}' schedule --scores s.npy --bins 5000 | head -n 1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", long],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 141 and result.stderr == "", result.stderr


def test_plan_reports_the_sliding_floor_per_rank_and_short_corpora(
    tmp_path: Path, fortunes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "model-raising", "--replicas", "3"]) == 0
    out = capsys.readouterr().out
    assert "in every sliding window (asked: 5, 5%)" in out and "per rank, at least: " in out
    short = tmp_path / "short.jsonl"
    short.write_text("\n".join(json.dumps({"text": t, "role": "explains"}) for t in fortunes[:30]))
    doc = {
        "phases": [{"name": "all"}],
        "floor": {"select": {"role": "explains"}, "share": 0.05, "window": 100},
    }
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps(doc))
    assert main(["plan", str(recipe), "--input", str(short), "--fields", "role"]) == 0
    assert "no full window of 100" in capsys.readouterr().out


def test_named_graphs_scorers_and_options(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.npy"
    argv = ["score", str(corpus), "--scorer", "concept_graph", "--graph", "values", "-o", str(out)]
    assert main(argv) == 0
    assert json.loads(out.with_suffix(".json").read_text())["scorer"] == "concept_graph"
    assert main(["concepts", "--graph", "values"]) == 0
    assert "ordering violations" in capsys.readouterr().out


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path, fortunes: list[str]) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(("\n".join(json.dumps({"text": t}) for t in fortunes[:5])).encode("utf-8-sig"))
    assert main(["score", str(path), "--scorer", "length", "-o", str(tmp_path / "s.npy")]) == 0


def test_the_demo_replaces_only_its_own_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "schedule.png"
    mine.write_text("my own plot")
    argv = ["demo", "--out-dir", str(tmp_path), "--cache-dir", str(tmp_path / "cache")]
    code, err = _run(argv, capsys)
    assert code == 1 and "was not written by the demo" in err and mine.read_text() == "my own plot"
    assert main([*argv, "--force"]) == 0
    assert main(argv) == 0  # its own plot from the run before: replaced without --force
    code, err = _run(["demo", "--out-dir", str(mine / "sub")], capsys)
    assert code == 1 and "is a file, not a directory" in err


def test_stale_scores_name_their_corpus_and_a_fix_that_overwrites_nothing(
    tmp_path: Path, corpus: Path, fortunes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(json.dumps({"body": t}) for t in fortunes[-200:]))
    scores = tmp_path / "other.npy"
    argv = ["score", str(other), "--text-field", "body", "--scorer", "length", "-o", str(scores)]
    assert main(argv) == 0
    code, err = _run(["schedule", "--scores", str(scores), "--input", str(corpus)], capsys)
    assert code == 1 and f"these are the scores of {other}" in err
    assert f"-o {tmp_path / 'corpus-scores.npy'}" in err  # a new name, never the given one
