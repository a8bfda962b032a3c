"""Score cache: reuse, staleness and corruption are detected and reported, never used silently."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curriculum import CacheError, LengthScorer, ReadabilityScorer, ScoreCache, StaleCacheError
from curriculum.cache import corpus_fingerprint, load_scores, save_scores, sidecar


class CountingScorer(LengthScorer):
    calls = 0

    def score(self, texts):
        type(self).calls += 1
        return super().score(texts)


def _entry(tmp_path: Path, texts: list[str]) -> Path:
    cache = ScoreCache(tmp_path)
    cache.get_or_compute(ReadabilityScorer(), texts)
    (path,) = tmp_path.glob("*.npy")
    return path


def test_scores_are_computed_once_and_reused(tmp_path: Path, fortunes: list[str]) -> None:
    cache = ScoreCache(tmp_path)
    CountingScorer.calls = 0
    a = cache.get_or_compute(CountingScorer(), fortunes[:50])
    b = cache.get_or_compute(CountingScorer(), fortunes[:50])
    np.testing.assert_array_equal(a, b)
    assert CountingScorer.calls == 1
    cache.get_or_compute(CountingScorer(), fortunes[:50], refresh=True)
    assert CountingScorer.calls == 2


def test_entries_are_keyed_by_settings_and_corpus(tmp_path: Path, fortunes: list[str]) -> None:
    cache = ScoreCache(tmp_path)
    cache.get_or_compute(ReadabilityScorer(), fortunes[:20])
    cache.get_or_compute(ReadabilityScorer("smog_index"), fortunes[:20])
    cache.get_or_compute(ReadabilityScorer(), fortunes[:21])
    # n_jobs and progress do not change scores, so they share the entry.
    cache.get_or_compute(ReadabilityScorer(n_jobs=1, progress=False), fortunes[:20])
    assert len(list(tmp_path.glob("*.npy"))) == 3
    meta = json.loads(sidecar(cache.path_for(ReadabilityScorer(), fortunes[:20])).read_text())
    assert meta["scorer"] == "readability" and meta["count"] == 20
    assert meta["params"]["metric"] == "flesch_kincaid_grade"
    assert meta["corpus"] == corpus_fingerprint(fortunes[:20])
    assert cache.clear() == 3 and not list(tmp_path.glob("*"))


def test_stale_entry_is_reported_with_what_differs(tmp_path: Path, fortunes: list[str]) -> None:
    path = _entry(tmp_path, fortunes[:20])
    meta = json.loads(sidecar(path).read_text())
    meta["corpus"] = "0" * 32  # as if copied from another corpus
    sidecar(path).write_text(json.dumps(meta))
    with pytest.raises(
        StaleCacheError, match=r"stale:\n  corpus: cached '0{32}', expected '[0-9a-f]{32}'"
    ):
        ScoreCache(tmp_path).get_or_compute(ReadabilityScorer(), fortunes[:20])


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda p: p.write_bytes(b"not numpy"), r"scores file .* is corrupt"),
        (lambda p: p.write_bytes(p.read_bytes()[:-16]), r"is corrupt|does not match its metadata"),
        (
            lambda p: np.save(p, np.zeros(20)),
            r"does not match its metadata .* changed or half-written",
        ),
        (
            lambda p: np.save(p, np.zeros((20, 2))),
            r"shape \(20, 2\) and dtype float64, expected 1 dimension\(s\) of real numbers",
        ),
        (lambda p: sidecar(p).write_text("{broken"), r"scores metadata .* is corrupt"),
        (lambda p: sidecar(p).unlink(), r"scores metadata .* is missing"),
        (lambda p: sidecar(p).write_text('{"format_version": 7}'), r"format_version=7, expected 1"),
    ],
)
def test_corrupt_entries_raise_and_name_the_fix(
    tmp_path: Path, fortunes: list[str], damage, match
) -> None:
    path = _entry(tmp_path, fortunes[:20])
    damage(path)
    with pytest.raises(CacheError, match=match) as info:
        ScoreCache(tmp_path).get_or_compute(ReadabilityScorer(), fortunes[:20])
    assert "delete" in str(info.value) and "computed again" in str(info.value)
    assert path.exists()  # nothing is deleted behind the user's back


def test_save_and_load_scores_round_trip(tmp_path: Path) -> None:
    values = np.array([1.5, -2.0, 3.25])
    path = save_scores(tmp_path / "s.npy", values, {"scorer": "x"})
    np.testing.assert_array_equal(load_scores(path, expect={"scorer": "x"}), values)
    with pytest.raises(StaleCacheError, match=r"scorer: cached 'x', expected 'y'"):
        load_scores(path, expect={"scorer": "y"})


def test_bare_npy_is_accepted_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "bare.npy"
    np.save(path, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(load_scores(path, require_metadata=False), [1.0, 2.0])
    with pytest.raises(CacheError, match=r"missing"):
        load_scores(path)
    np.save(path, np.array([1.0, np.nan]))
    with pytest.raises(CacheError, match=r"non-finite"):
        load_scores(path, require_metadata=False)
    with pytest.raises(FileNotFoundError, match=r"no scores file at"):
        load_scores(tmp_path / "missing.npy")
    with pytest.raises(ValueError, match=r"path must end in .npy"):
        save_scores(tmp_path / "s.txt", np.ones(2))


def test_a_scorer_returning_bad_values_is_not_cached(tmp_path: Path) -> None:
    class Broken(LengthScorer):
        def score(self, texts):
            return np.array([np.nan] * len(texts))

    with pytest.raises(ValueError, match=r"a scorer must return one finite float per text"):
        ScoreCache(tmp_path).get_or_compute(Broken(), ["a b", "c"])
    assert not list(tmp_path.glob("*"))


def test_clear_removes_only_cache_entries(tmp_path: Path, fortunes: list[str]) -> None:
    path = _entry(tmp_path, fortunes[:20])
    mine = tmp_path / "my_embeddings.npy"
    np.save(mine, np.zeros(3))
    (tmp_path / "my_embeddings.json").write_text('{"mine": true}')
    save_scores(tmp_path / "scores.npy", np.arange(3.0))  # library metadata, but not an entry
    assert ScoreCache(tmp_path).clear() == 1
    assert not path.exists() and not sidecar(path).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "my_embeddings.json",
        "my_embeddings.npy",
        "scores.json",
        "scores.npy",
    ]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda t: save_scores(t / "s.npy", np.ones((2, 2))), ValueError, r"must be 1-D"),
        (lambda t: save_scores(t / "s.npy", [1.0, np.nan]), ValueError, r"must be finite"),
        (lambda t: save_scores(t / "s.npy", [1j]), TypeError, r"real numbers"),
        (lambda t: save_scores(t / "s.npy", [1.0], {"x": object()}), TypeError, r"as JSON"),
        (lambda t: load_scores(t), ValueError, r"is not a scores file"),
        (lambda t: load_scores("."), ValueError, r"is not a scores file|is a directory"),
    ],
)
def test_bad_arrays_and_paths_are_named(tmp_path: Path, call, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call(tmp_path)
    assert not (tmp_path / "s.npy").exists()
