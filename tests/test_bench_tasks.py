"""Benchmark tasks: a fixed validation set, a pool per seed, real text; synthetic skills."""

from __future__ import annotations

import numpy as np
import pytest

from curriculum import save_scores
from curriculum.bench import SkillsTask, TextTask, skills_graph
from curriculum.errors import InvalidValueError, StaleCacheError
from curriculum.fingerprint import fingerprint_texts


def as_bytes(text: str) -> list[int]:
    return list(text.encode("utf-8"))


@pytest.fixture(scope="module")
def texts(fortunes: list[str], debian: list[str]) -> list[str]:
    return fortunes + debian


def test_text_task_holds_out_a_fixed_validation_set(texts: list[str]) -> None:
    task = TextTask(texts, val_share=0.1)
    assert abs(task.val_index.size - 40) <= 2
    assert not set(task.val_index) & set(task.train_index)
    assert len(task.validation()) == task.val_index.size
    assert np.bincount([i.bucket for i in task.validation()]).min() >= 12  # stratified
    # Buckets are thirds of the training scores.
    counts = np.bincount(task.levels[task.train_index])
    assert counts.max() - counts.min() <= 2
    assert (TextTask(texts, val_share=0.1).val_index == task.val_index).all()


def test_pools_are_random_subsets_sized_to_the_run(texts: list[str]) -> None:
    task = TextTask(texts)
    a = task.pool(0, as_bytes, tokens=20_000, docs=None)
    b = task.pool(0, as_bytes, tokens=20_000, docs=None)
    c = task.pool(1, as_bytes, tokens=20_000, docs=None)
    size = sum(d.size + 1 for d in a.docs)
    assert 20_000 <= size < 20_000 + max(d.size + 1 for d in a.docs)
    assert [d.tolist() for d in a.docs] == [d.tolist() for d in b.docs]
    assert [d.tolist() for d in a.docs] != [d.tolist() for d in c.docs]
    val = {task.texts[i] for i in task.val_index}
    train = {bytes(d.tolist()).decode("utf-8") for d in a.docs}
    assert not val & train
    assert len(task.pool(0, as_bytes, tokens=None, docs=25).docs) == 25


def test_scores_file_must_belong_to_the_corpus(texts: list[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = texts[::-1]
    path = save_scores(
        tmp_path / "s.npy", np.arange(len(other), dtype=float), {"corpus": fingerprint_texts(other)}
    )
    with pytest.raises(StaleCacheError, match="score this corpus: curriculum score CORPUS"):
        TextTask(texts, scores=path)
    ok = save_scores(
        tmp_path / "t.npy", np.arange(len(texts), dtype=float), {"corpus": fingerprint_texts(texts)}
    )
    assert TextTask(texts, scores=ok).scores[3] == 3.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scores": np.ones(3)}, "scores"),
        ({"scores": np.full(400, np.nan)}, "scores"),
        ({"val_share": 1.5}, r"val_share must be in \(0, 1\)"),
    ],
)
def test_bad_text_task_input(texts: list[str], kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidValueError, match=message):
        TextTask(texts, **kwargs)


def test_a_corpus_too_small_to_split_is_refused(fortunes: list[str]) -> None:
    with pytest.raises(InvalidValueError, match="too few to hold out 3 for validation"):
        TextTask(fortunes[:12])
    with pytest.raises(InvalidValueError, match="texts"):
        TextTask(["a good text", ""])


def test_skills_are_correct_additions_in_prerequisite_order() -> None:
    task = SkillsTask(val_per_level=50)
    assert task.skills == ("one_digit", "two_digits", "carry", "three_digits")
    graph = skills_graph()
    assert [graph.depths[s] for s in task.skills] == [0, 1, 2, 3]
    for item in task.validation():
        a, b = (int(v) for v in item.prompt.rstrip("=").split("+"))
        assert item.target[::-1] == str(a + b)
        carry = any((a // 10**k) % 10 + (b // 10**k) % 10 >= 10 for k in range(3))
        skill = task.skills[item.bucket]
        assert carry == (skill in ("carry", "three_digits"))
        assert len(str(max(a, b))) == {"one_digit": 1, "two_digits": 2, "carry": 2}.get(skill, 3)


def test_skill_pools_follow_the_mix_and_the_seed() -> None:
    task = SkillsTask(mix=[0.1, 0.2, 0.3, 0.4])
    pool = task.pool(0, as_bytes, tokens=30_000, docs=None)
    share = np.bincount(pool.levels, minlength=4) / pool.levels.size
    assert share == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=0.03)
    assert (pool.scores == pool.levels).all()
    assert pool.prompts is not None
    for ids, p in zip(pool.docs[:50], pool.prompts[:50], strict=True):
        text = bytes(ids.tolist()).decode()
        assert text.index("=") == p - 1  # the prompt is "a+b=", the rest is the answer
    again = task.pool(0, as_bytes, tokens=30_000, docs=None)
    assert [d.tolist() for d in pool.docs] == [d.tolist() for d in again.docs]


@pytest.mark.parametrize("mix", [[1, 1], [1, -1, 1, 1], [0, 0, 0, 0], [1, np.nan, 1, 1]])
def test_bad_mix_is_refused(mix: list[float]) -> None:
    with pytest.raises(InvalidValueError, match="mix must be 4 non-negative shares"):
        SkillsTask(mix=mix)


def test_constant_scores_are_refused_and_ties_still_make_three_buckets(
    fortunes: list[str],
) -> None:
    with pytest.raises(InvalidValueError, match="scores are all equal"):
        TextTask(fortunes[:60], scores=np.ones(60))
    task = TextTask(fortunes[:60], scores=np.r_[np.zeros(40), np.ones(20)])
    assert np.bincount(task.levels).tolist() == [20, 20, 20]
    assert (task.levels[40:] == 2).all()  # the higher scores are the hardest third
