"""One pass over a corpus as it streams past: fingerprint, count, row check, fit sample."""

from __future__ import annotations

import numpy as np

from curriculum._streams import Stream, rng
from curriculum.fingerprint import TextHasher, row_hashes

__all__ = ["CorpusDigest"]


class CorpusDigest:
    """What scoring needs to know about a corpus, gathered one chunk at a time.

    Args:
        row_check: also sum :func:`~curriculum.fingerprint.row_hashes` of (position, text), to
            check later that scores computed elsewhere belong to these texts at these positions.
        sample_size: also keep a uniform sample of this many texts (reservoir sampling), for a
            scorer that must be fitted; a corpus no larger than it is kept whole.
        seed: seed of the sample (stream ``FIT_SAMPLE``).
    """

    def __init__(self, *, row_check: bool = False, sample_size: int = 0, seed: int = 0) -> None:
        self._hasher = TextHasher()
        self._row_check = np.uint64(0) if row_check else None
        self._size = sample_size
        self._sample: list[str] = []
        self._positions: list[int] = []
        self._rng = rng(seed, Stream.FIT_SAMPLE) if sample_size else None

    @property
    def count(self) -> int:
        """Texts seen so far."""
        return self._hasher.count

    @property
    def fingerprint(self) -> str:
        """:func:`~curriculum.fingerprint.fingerprint_texts` of the texts seen so far."""
        return self._hasher.hexdigest()

    @property
    def row_check(self) -> int:
        """Sum of the row hashes modulo 2**64 (0 unless ``row_check`` was asked for)."""
        return int(self._row_check or 0)

    def update(self, texts: list[str]) -> None:
        """Take the next texts of the corpus, in order."""
        start = self.count
        self._hasher.update(texts)
        if self._row_check is not None:
            hashes = row_hashes(range(start, start + len(texts)), texts)
            self._row_check = np.add(self._row_check, hashes.sum(dtype=np.uint64))
        if self._rng is not None:
            self._reservoir(self._rng, start, texts)

    def _reservoir(self, gen: np.random.Generator, start: int, texts: list[str]) -> None:
        fill = max(0, min(len(texts), self._size - start))
        self._sample.extend(texts[:fill])
        self._positions.extend(range(start, start + fill))
        if fill == len(texts):
            return
        positions = np.arange(start + fill, start + len(texts))
        slots = gen.integers(0, positions + 1)  # text i replaces slot j < size, j in [0, i]
        for k in np.flatnonzero(slots < self._size):
            self._sample[slots[k]] = texts[fill + k]
            self._positions[slots[k]] = int(positions[k])

    def sample(self) -> list[str]:
        """The sampled texts, in corpus order (the whole corpus if it fits the sample)."""
        order = np.argsort(self._positions, kind="stable")
        return [self._sample[i] for i in order]
