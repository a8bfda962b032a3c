"""Embeddings and the embedding-cluster scorer, offline with the packaged MiniLM model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from curriculum import CurriculumSampler, EmbeddingClusterScorer, LengthScorer
from curriculum.cache import CacheError, sidecar
from curriculum.embeddings import default_device, embed, load_model


@pytest.fixture(scope="module")
def texts(fortunes: list[str], debian: list[str]) -> list[str]:
    return fortunes[:150] + debian[:50]


def test_embed_matches_model_encode_and_uses_the_cache(tmp_path: Path, texts: list[str]) -> None:
    model = load_model()
    direct = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    first = embed(texts, batch_size=32, cache_dir=tmp_path, progress=False)
    np.testing.assert_allclose(first, direct, atol=1e-5)
    assert first.shape == (200, 384) and first.dtype == np.float32
    assert len(list(tmp_path.glob("embeddings-*.npy"))) == 1
    again = embed(texts, cache_dir=tmp_path)
    assert isinstance(again, np.memmap)  # memory-mapped, not re-embedded
    np.testing.assert_array_equal(again, first)
    assert default_device() == "cpu"  # no GPU in CI; "cuda" is chosen when one is present


def test_wrong_shape_in_the_embedding_cache_is_reported(tmp_path: Path, texts: list[str]) -> None:
    embed(texts[:20], cache_dir=tmp_path)
    (path,) = tmp_path.glob("embeddings-*.npy")
    np.save(path, np.zeros(20, dtype=np.float32))
    with pytest.raises(CacheError, match=r"expected 2 dimension\(s\) of real numbers"):
        embed(texts[:20], cache_dir=tmp_path)
    np.save(path, np.zeros((20, 7), dtype=np.float32))
    with pytest.raises(CacheError, match=r"does not match its metadata"):
        embed(texts[:20], cache_dir=tmp_path)
    sidecar(path).unlink()
    with pytest.raises(CacheError, match=r"embeddings metadata .* is missing"):
        embed(texts[:20], cache_dir=tmp_path)


def test_missing_model_path_and_uncached_name_are_clear_errors(texts: list[str]) -> None:
    with pytest.raises(FileNotFoundError, match=r"model path '/nonexistent/model' does not exist"):
        embed(texts[:2], model="/nonexistent/model")
    with pytest.raises(ValueError, match=r"this library never downloads"):
        embed(texts[:2], model="nobody/no-such-model-here")


@pytest.fixture(scope="module")
def fitted(texts: list[str], tmp_path_factory: pytest.TempPathFactory) -> EmbeddingClusterScorer:
    cache = tmp_path_factory.mktemp("emb")
    return EmbeddingClusterScorer(5, cache_dir=cache, progress=False).fit(texts)


def test_fit_exposes_labels_centers_and_stats(fitted: EmbeddingClusterScorer) -> None:
    assert fitted.labels_.shape == (200,) and set(fitted.labels_) == set(range(5))
    assert fitted.centers_.shape == (5, 384)
    stats = fitted.cluster_stats_
    assert sorted(s["position"] for s in stats) == list(range(5))
    assert sum(s["size"] for s in stats) == 200
    by_position = sorted(stats, key=lambda s: s["position"])
    centrality = [s["centrality"] for s in by_position]
    assert centrality == sorted(centrality)  # central clusters first (the default order)


def test_scores_put_clusters_in_order_and_typical_texts_first(
    fitted: EmbeddingClusterScorer, texts: list[str]
) -> None:
    scores = fitted.score(texts)
    np.testing.assert_array_equal(np.floor(scores), fitted.cluster_rank_[fitted.labels_])
    x = embed(texts, cache_dir=fitted.cache_dir)
    dist = np.linalg.norm(x - fitted.centers_[fitted.labels_], axis=1)
    for c in range(5):
        mine = fitted.labels_ == c
        order = np.argsort(scores[mine])
        assert np.all(np.diff(dist[mine][order]) >= -1e-6)  # nearer the centroid = earlier


def test_new_texts_are_scored_against_the_fitted_clusters(
    fitted: EmbeddingClusterScorer, fortunes: list[str]
) -> None:
    new = fortunes[200:230]
    scores = fitted.score(new)
    labels = fitted.predict(new)
    assert scores.shape == (30,) and np.all((scores >= 0) & (scores < 5))
    np.testing.assert_array_equal(np.floor(scores), fitted.cluster_rank_[labels])


def test_cluster_orders_and_base_scorer(texts: list[str], tmp_path: Path) -> None:
    for order in ("density", "size"):
        s = EmbeddingClusterScorer(4, cluster_order=order, cache_dir=tmp_path).fit(texts)
        stats = sorted(s.cluster_stats_, key=lambda st: st["position"])
        key = [st["spread"] if order == "density" else -st["size"] for st in stats]
        assert key == sorted(key)
    base = EmbeddingClusterScorer(
        4, cluster_order="base", base_scorer=LengthScorer(), cache_dir=tmp_path
    ).fit(texts)
    means = [st["base_mean"] for st in sorted(base.cluster_stats_, key=lambda st: st["position"])]
    assert means == sorted(means)  # shortest cluster first


def test_strata_from_clusters_keep_stages_diverse(
    fitted: EmbeddingClusterScorer, texts: list[str]
) -> None:
    scores = fitted.score(texts)
    plain = list(CurriculumSampler(scores, seed=0))[:40]
    mixed = list(CurriculumSampler(scores, seed=0, strata=fitted.labels_))[:40]
    assert len(set(fitted.labels_[plain])) < len(set(fitted.labels_[mixed])) == 5


@pytest.mark.parametrize(
    ("kwargs", "n", "match"),
    [
        (
            {"n_clusters": 8},
            5,
            r"n_clusters=8 needs at least 8 texts, but got 5; use n_clusters <= 5",
        ),
        ({"cluster_order": "random"}, 10, r"cluster_order must be one of"),
        ({"cluster_order": "base"}, 10, r"cluster_order='base' needs base_scorer"),
        ({"algorithm": "dbscan"}, 10, r"algorithm must be 'auto', 'kmeans' or 'minibatch'"),
        ({"n_clusters": 0}, 10, r"n_clusters must be an integer >= 1"),
    ],
)
def test_bad_settings(kwargs: dict, n: int, match: str, texts: list[str]) -> None:
    with pytest.raises(ValueError, match=match):
        EmbeddingClusterScorer(**{"n_clusters": 2, **kwargs}).fit(texts[:n])


def test_unfitted_predict_is_refused(texts: list[str]) -> None:
    with pytest.raises(RuntimeError, match=r"not fitted yet; call fit\(texts\) first"):
        EmbeddingClusterScorer().predict(texts[:3])


def test_minibatch_kmeans_and_score_cache(texts: list[str], tmp_path: Path) -> None:
    from curriculum import ScoreCache

    scorer = EmbeddingClusterScorer(3, algorithm="minibatch", cache_dir=tmp_path)
    scores = ScoreCache(tmp_path).get_or_compute(scorer, texts)
    assert scores.shape == (200,)
    assert len(list(tmp_path.glob("embedding_cluster-*.npy"))) == 1


def test_embedding_shows_progress_on_a_terminal_and_when_asked(
    texts: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    embed(texts[:40], progress=True)
    assert "embedding" in capsys.readouterr().err
    embed(texts[:40])  # not a terminal, not a notebook: quiet
    assert "embedding" not in capsys.readouterr().err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    embed(texts[:40])  # progress=None on a terminal: shown
    assert "embedding: 100%" in terminal.getvalue()


def test_cli_embedding_scorer_takes_n_clusters(
    tmp_path: Path, texts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from curriculum.cli import main

    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps({"text": t}) for t in texts[:60]))
    out = tmp_path / "e.npy"
    argv = ["score", str(corpus), "--scorer", "embedding_cluster", "--n-clusters", "3"]
    assert main([*argv, "-o", str(out)]) == 0
    assert "embedding" in capsys.readouterr().err  # the CLI shows progress unless --no-progress
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["params"]["n_clusters"] == 3
    assert set(np.floor(np.load(out)).astype(int).tolist()) == {0, 1, 2}
