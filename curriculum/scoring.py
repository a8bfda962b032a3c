"""A corpus file scored into ``scores.npy``, read in chunks so that its size is not bound by memory.

A scorer that scores each text on its own (``scorer.per_text``; fitted already if it needs a fit)
reads the file one chunk at a time (:func:`~curriculum.datasets.iter_texts`): each chunk is
scored, fingerprinted and dropped, and only the scores (8 bytes a text) stay in memory. A scorer
that must see the whole corpus (``EmbeddingClusterScorer`` before its fit, ``CombinedScorer``,
an object without ``per_text``) reads it into memory, as it needs to. Either way the same files
are written: the scores, and a sidecar with the scorer, its settings, the corpus fingerprint and
the input (:func:`score_metadata`), which is also what scoring on Ray writes.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._digest import CorpusDigest
from curriculum._files import check_input, check_output
from curriculum._progress import progress_bar
from curriculum._validation import check_scores
from curriculum.cache import ScoreCache, check_sidecar_free, save_scores, sidecar
from curriculum.datasets import CHUNK_SIZE, iter_texts
from curriculum.errors import InvalidValueError
from curriculum.fingerprint import TextHasher, fingerprint_texts
from curriculum.scorers import get_scorer

__all__ = ["check_scores_output", "corpus_digest", "score_file", "score_metadata", "streams"]


def streams(scorer: Any) -> bool:
    """Whether ``scorer`` can score a corpus in chunks and get the scores it gets whole.

    True when it says each text is scored on its own (``per_text``) and it needs no fit on the
    corpus first (``needs_fit()``; an ``EmbeddingClusterScorer`` fitted already streams).
    """
    needs_fit = getattr(scorer, "needs_fit", None)
    return bool(getattr(scorer, "per_text", False)) and not (needs_fit and needs_fit())


def score_metadata(scorer: Any, fingerprint: str, source: str | os.PathLike[str]) -> dict[str, Any]:
    """The sidecar of a scores file: scorer name and settings, corpus fingerprint, input."""
    params = scorer.cache_params() if hasattr(scorer, "cache_params") else {}
    return {
        "scorer": getattr(scorer, "name", type(scorer).__name__),
        "params": json.loads(json.dumps(params, default=str)),
        "corpus": fingerprint,
        "input": str(source),
    }


def check_scores_output(
    output: str | os.PathLike[str],
    *,
    inputs: list[Any],
    force: bool = False,
    what: str = "output",
    flag: str = "force=True",
) -> Path:
    """``output`` as a ``.npy`` path that can be written with its sidecar, before any work.

    Raises:
        InvalidValueError: it does not end in ``.npy``.
        OutputExistsError: it (or its sidecar) is an input, or exists and ``force`` is not set,
            or a ``.json`` file that is not our metadata sits where the sidecar goes.
        OutputError: it cannot be written there.
    """
    out = check_output(output, what=what, inputs=inputs, force=force, flag=flag)
    if out.suffix != ".npy":
        raise InvalidValueError(f"{what} must end in .npy, but got {what} {str(out)!r}")
    check_output(sidecar(out), what="the metadata file", inputs=inputs, force=force, flag=flag)
    check_sidecar_free(out)
    return out


def corpus_digest(
    path: str | os.PathLike[str],
    *,
    text_field: str = "text",
    chunk_size: int = CHUNK_SIZE,
    row_check: bool = False,
    sample_size: int = 0,
    seed: int = 0,
    progress: bool | None = None,
) -> CorpusDigest:
    """One streaming pass over a corpus file: fingerprint, count (and row check, fit sample).

    The file is read and checked as :func:`~curriculum.datasets.iter_texts` reads it.
    """
    digest = CorpusDigest(row_check=row_check, sample_size=sample_size, seed=seed)
    with progress_bar(total=None, desc="reading", progress=progress) as bar:
        for chunk in iter_texts(path, text_field=text_field, chunk_size=chunk_size):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest


def _quiet(scorer: Any) -> Any:
    """``scorer`` without its own progress bar (a copy; the caller's scorer is left alone)."""
    if getattr(scorer, "progress", False) is False:
        return scorer
    quiet = copy.copy(scorer)
    quiet.progress = False
    return quiet


def _stream_scores(
    path: Path,
    scorer: Any,
    *,
    text_field: str,
    chunk_size: int,
    progress: bool | None,
    total: int | None,
) -> tuple[NDArray[np.float64], str]:
    """Scores of every text of ``path``, chunk by chunk, and the corpus fingerprint."""
    hasher = TextHasher()
    sizes: list[int] = []

    def chunks() -> Iterator[list[str]]:  # fingerprinted in file order, as the scorer reads them
        for chunk in iter_texts(path, text_field=text_field, chunk_size=chunk_size):
            hasher.update(chunk)
            sizes.append(len(chunk))
            yield chunk

    quiet = _quiet(scorer)
    score_chunks = getattr(quiet, "score_chunks", None)
    results = score_chunks(chunks()) if score_chunks else (quiet.score(c) for c in chunks())
    parts: list[NDArray[np.float64]] = []
    with progress_bar(total=total, desc=f"scoring ({scorer.name})", progress=progress) as bar:
        for k, result in zip(itertools.count(), results):
            scores = np.asarray(result, dtype=np.float64)
            if scores.shape != (sizes[k],):
                raise InvalidValueError(
                    f"{scorer!r} returned scores of shape {scores.shape} for {sizes[k]} texts; "
                    "a scorer must return one float per text"
                )
            parts.append(scores)
            bar.update(len(scores))
    return np.concatenate(parts), hasher.hexdigest()


def score_file(
    path: str | os.PathLike[str],
    scorer: Any,
    *,
    output: str | os.PathLike[str],
    text_field: str = "text",
    chunk_size: int = CHUNK_SIZE,
    cache: ScoreCache | str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    force: bool = False,
) -> NDArray[np.float64]:
    """Score every text of a corpus file and write ``output`` (``.npy``) with its sidecar.

    What ``curriculum score`` does. A scorer for which :func:`streams` holds reads the file in
    chunks of ``chunk_size`` texts and holds only the scores; others read it whole. The sidecar
    records the scorer, its settings, the corpus fingerprint and ``path``
    (:func:`score_metadata`); :func:`~curriculum.cache.load_scores` reads it back.

    Args:
        path: the corpus file (JSON lines, parquet or plain text, as
            :func:`~curriculum.datasets.read_corpus` reads them).
        scorer: a scorer instance or a registered name.
        output: the scores file to write; never an input, replaced only with ``force``.
        text_field: the field or column holding the text.
        chunk_size: texts per chunk.
        cache: a :class:`~curriculum.cache.ScoreCache` (or its directory): scores of the same
            corpus and settings are read from it instead of computed, and stored after. With a
            streaming scorer the file is then read twice: once for its fingerprint, once to
            score it on a miss (a file that changed in between is refused).
        progress: show a progress bar (it replaces the scorer's own); None shows it when stderr
            is a terminal.
        force: replace an existing ``output``.

    Returns:
        The scores, one per text in file order.
    """
    source = check_input(path, what="input file")
    out = check_scores_output(output, inputs=[source], force=force)
    scorer = get_scorer(scorer)
    store = cache if cache is None or isinstance(cache, ScoreCache) else ScoreCache(cache)
    if not streams(scorer):
        texts = [t for chunk in iter_texts(source, text_field=text_field) for t in chunk]
        fingerprint = fingerprint_texts(texts)
        scores = store.get_or_compute(scorer, texts) if store else scorer.score(texts)
        scores = check_scores(scores, name="scores", expected_len=len(texts), what="corpus")
    else:
        found, total, expected = None, None, None
        if store is not None:
            digest = corpus_digest(
                source, text_field=text_field, chunk_size=chunk_size, progress=progress
            )
            expected, total = digest.fingerprint, digest.count
            found = store.lookup(scorer, expected, total)
        if found is not None and expected is not None:
            scores, fingerprint = found, expected
        else:
            scores, fingerprint = _stream_scores(
                source,
                scorer,
                text_field=text_field,
                chunk_size=chunk_size,
                progress=progress,
                total=total,
            )
            if expected is not None and fingerprint != expected:
                raise InvalidValueError(
                    f"{source} changed while it was read: its texts differ between the "
                    "fingerprint pass and the scoring pass; score it again once it is written"
                )
            if store is not None:
                store.store(scorer, fingerprint, scores)
    save_scores(out, scores, score_metadata(scorer, fingerprint, source))
    return scores
