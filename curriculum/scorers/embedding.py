"""Embedding-cluster difficulty: typical material before rare material.

Texts are embedded (sentence-transformers), clustered (k-means), and scored so that

* across clusters, clusters come in a documented order, by default **centrality**: the mean
  distance of a cluster's texts to the centre of the whole corpus. Central clusters hold the
  corpus's common material; remote clusters hold its rare, specialised material.
* within a cluster, texts near the centroid (typical of it) come before its outliers.

The score is ``cluster_position + typicality`` with typicality in [0, 1): the cluster decides,
typicality orders within it. To keep early training from being all one topic, give the sampler
``strata=scorer.labels_``: each cluster then runs its own typical-to-outlier curriculum and all
clusters are mixed in proportion at every stage.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._validation import check_int, check_texts
from curriculum.cache import corpus_fingerprint
from curriculum.embeddings import embed, load_model, model_id
from curriculum.errors import InvalidValueError, NotFittedError
from curriculum.scorers.base import Scorer

__all__ = ["CLUSTER_ORDERS", "EmbeddingClusterScorer"]

#: How clusters are ordered, easiest first.
CLUSTER_ORDERS = ("centrality", "density", "size", "base")

#: Above this many texts, ``algorithm="auto"`` uses MiniBatchKMeans.
MINIBATCH_THRESHOLD = 20_000


class EmbeddingClusterScorer(Scorer):
    """Difficulty from sentence-embedding clusters: central clusters and typical texts first.

    Args:
        n_clusters: number of k-means clusters.
        model: sentence-transformers model directory or cached name; None for the packaged
            all-MiniLM-L6-v2 (see :mod:`curriculum.embeddings`).
        cluster_order: ``"centrality"`` (mean distance of the cluster's texts to the corpus
            centre, ascending), ``"density"`` (mean distance to their own centroid, ascending:
            tight clusters first), ``"size"`` (largest first), or ``"base"`` (mean score of
            ``base_scorer``, ascending: e.g. the most readable cluster first).
        base_scorer: scorer for ``cluster_order="base"``.
        algorithm: ``"kmeans"``, ``"minibatch"`` or ``"auto"`` (MiniBatchKMeans above
            :data:`MINIBATCH_THRESHOLD` texts).
        batch_size: texts per embedding batch.
        device: ``"cuda"``/``"cpu"``; default a GPU when present.
        cache_dir: embeddings are cached here (memory-mapped), so a second run does not re-embed.
        random_state: seed of the clustering.
        progress: progress bar while embedding; None shows it when stderr is a terminal.

    Attributes:
        labels_: cluster of each fitted text.
        centers_: cluster centroids, shape ``(n_clusters, dim)``.
        cluster_rank_: position of each cluster in the easy-to-hard order.
        cluster_stats_: per cluster: ``size``, ``spread``, ``centrality``, ``base_mean``,
            ``position``.
    """

    name = "embedding_cluster"
    uses_model = True

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        model: str | os.PathLike[str] | None = None,
        cluster_order: str = "centrality",
        base_scorer: Scorer | None = None,
        algorithm: str = "auto",
        batch_size: int = 64,
        device: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        random_state: int = 0,
        progress: bool | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.model = model
        self.cluster_order = cluster_order
        self.base_scorer = base_scorer
        self.algorithm = algorithm
        self.batch_size = batch_size
        self.device = device
        self.cache_dir = cache_dir
        self.random_state = random_state
        self.progress = progress

    def cache_params(self) -> dict[str, Any]:
        """Settings that change the scores."""
        base = self.base_scorer
        return {
            "n_clusters": self.n_clusters,
            "model": model_id(self.model),
            "cluster_order": self.cluster_order,
            "base_scorer": None if base is None else {"name": base.name, **base.cache_params()},
            "algorithm": self.algorithm,
            "random_state": self.random_state,
        }

    @property
    def per_text(self) -> bool:
        """True once fitted: a text's score is its nearest fitted cluster and its distance to it.

        Its embedding is computed in a batch with other texts; batches of other texts can change
        the last bits of the floating-point result, not more.
        """
        return True

    def prepare(self) -> EmbeddingClusterScorer:
        """Load the embedding model (once per process)."""
        load_model(self.model, device=self.device)
        return self

    def _embed(self, texts: list[str]) -> NDArray[np.float32]:
        return embed(
            texts,
            model=self.model,
            batch_size=self.batch_size,
            device=self.device,
            cache_dir=self.cache_dir,
            progress=self.progress,
        )

    def _check(self, n_texts: int) -> None:
        k = check_int("n_clusters", self.n_clusters, minimum=1)
        if n_texts < k:
            raise InvalidValueError(
                f"n_clusters={k} needs at least {k} texts, but got {n_texts}; "
                f"use n_clusters <= {n_texts}"
            )
        if self.cluster_order not in CLUSTER_ORDERS:
            raise InvalidValueError(
                f"cluster_order must be one of {list(CLUSTER_ORDERS)}, "
                f"but got cluster_order={self.cluster_order!r}"
            )
        if self.cluster_order == "base" and self.base_scorer is None:
            raise InvalidValueError(
                "cluster_order='base' needs base_scorer=..., e.g. ReadabilityScorer()"
            )
        if self.algorithm not in ("auto", "kmeans", "minibatch"):
            raise InvalidValueError(
                "algorithm must be 'auto', 'kmeans' or 'minibatch', "
                f"but got algorithm={self.algorithm!r}"
            )

    def fit(self, texts: Sequence[str]) -> EmbeddingClusterScorer:
        """Embed and cluster ``texts``; learn the cluster order and typicality scales."""
        from sklearn.cluster import KMeans, MiniBatchKMeans

        items = check_texts(texts)
        self._check(len(items))
        x = np.asarray(self._embed(items), dtype=np.float32)
        k = int(self.n_clusters)
        minibatch = self.algorithm == "minibatch" or (
            self.algorithm == "auto" and len(items) > MINIBATCH_THRESHOLD
        )
        if minibatch:
            model: Any = MiniBatchKMeans(
                n_clusters=k, random_state=self.random_state, batch_size=4096, n_init=3
            )
        else:
            model = KMeans(n_clusters=k, random_state=self.random_state, n_init="auto")
        labels = model.fit_predict(x)
        centers = model.cluster_centers_.astype(np.float32)
        dist = np.linalg.norm(x - centers[labels], axis=1)
        to_centre = np.linalg.norm(x - x.mean(axis=0), axis=1)
        sizes = np.bincount(labels, minlength=k)
        safe = np.maximum(sizes, 1)
        spread = np.bincount(labels, weights=dist, minlength=k) / safe
        centrality = np.bincount(labels, weights=to_centre, minlength=k) / safe
        base_mean = np.full(k, np.nan)
        if self.base_scorer is not None:
            base = np.asarray(self.base_scorer.score(items), dtype=np.float64)
            base_mean = np.bincount(labels, weights=base, minlength=k) / safe
        key = {
            "centrality": centrality,
            "density": spread,
            "size": -sizes.astype(np.float64),
            "base": base_mean,
        }[self.cluster_order]
        order = np.lexsort((np.arange(k), key))  # easiest cluster first; ties by index
        rank = np.empty(k, dtype=np.int64)
        rank[order] = np.arange(k)

        self.labels_ = labels
        self.centers_ = centers
        self.cluster_rank_ = rank
        self.cluster_stats_ = [
            {
                "cluster": c,
                "size": int(sizes[c]),
                "spread": float(spread[c]),
                "centrality": float(centrality[c]),
                "base_mean": None if np.isnan(base_mean[c]) else float(base_mean[c]),
                "position": int(rank[c]),
            }
            for c in range(k)
        ]
        self._kmeans = model
        self._sorted_dist = [np.sort(dist[labels == c]) for c in range(k)]
        self._fit_corpus = corpus_fingerprint(items)
        self._fit_scores = self._combine(labels, dist)
        return self

    def _combine(self, labels: NDArray[Any], dist: NDArray[Any]) -> NDArray[np.float64]:
        typicality = np.empty(labels.shape[0], dtype=np.float64)
        for c, ref in enumerate(self._sorted_dist):
            mine = labels == c
            if ref.size:
                typicality[mine] = np.searchsorted(ref, dist[mine], side="left") / ref.size
            else:
                typicality[mine] = 0.0
        typicality = np.minimum(typicality, 1.0 - 1e-9)  # stays below the next cluster
        return self.cluster_rank_[labels].astype(np.float64) + typicality

    def predict(self, texts: Sequence[str]) -> NDArray[np.int64]:
        """Nearest fitted cluster of each text."""
        self._require_fit()
        x = np.asarray(self._embed(check_texts(texts)), dtype=np.float32)
        return np.asarray(self._kmeans.predict(x), dtype=np.int64)

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """``cluster position + typicality`` per text; fits on ``texts`` first if not fitted."""
        items = check_texts(texts)
        if not hasattr(self, "labels_"):
            self.fit(items)
        if corpus_fingerprint(items) == self._fit_corpus:
            return self._fit_scores.copy()
        x = np.asarray(self._embed(items), dtype=np.float32)
        labels = np.asarray(self._kmeans.predict(x), dtype=np.int64)
        dist = np.linalg.norm(x - self.centers_[labels], axis=1)
        return self._combine(labels, dist)

    def _require_fit(self) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError(
                "this EmbeddingClusterScorer is not fitted yet; call fit(texts) first"
            )
