"""Pure numpy ordering functions: ``(scores, pacing, seed, epoch) -> indices``.

The sampler is a thin layer over these. The model of one epoch:

* :func:`difficulty_rank` sorts the samples from easiest to hardest (ties broken at random, per
  seed). Position ``j`` in that ranking is "open" once competence * N > j.
* At each position ``i`` of the epoch (global progress ``(epoch * N + i) / num_samples``) one
  sample is drawn uniformly at random from the open samples not yet drawn this epoch. Every
  sample is therefore emitted exactly once per epoch.
* When the pacing opens fewer samples than have been drawn (a convex pacing such as
  ``geometric``), the window is widened just enough to admit the next easiest unseen sample:
  exactly-once is kept, and the order is then strictly easiest-first until the pacing catches up.
* Once progress reaches 1 (after ``num_samples`` draws), every sample is open: plain shuffling.

To stay vectorised, the epoch is cut into at most ``max_blocks`` blocks of positions (plus the
pacing's own breakpoints, so step pacings are exact); competence is read at the start of each
block, which never opens a sample early. The uniform draws within a block are simulated exactly:
a multivariate hypergeometric draw decides how many samples each released group gives to each
block, then shuffles within groups and within blocks place them. Cost: O(N) memory and time per
epoch, plus O(max_blocks^2) for the counts.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from curriculum._streams import Stream, rng
from curriculum.errors import InvalidValueError
from curriculum.pacing import Pacing

__all__ = [
    "curriculum_order",
    "difficulty_rank",
    "open_windows",
    "rank_share",
    "stratified_order",
    "stratified_ranks",
]


#: Up to this many samples the ranking is an exact stable sort; above it, packed 64-bit keys.
PERMUTATION_MAX = 1 << 22
_RANK_CHUNK = 1 << 16  # samples per step while building and reading the ranking keys
_SIGN = np.int64(-(1 << 63))


def index_dtype(n: int) -> type[np.signedinteger]:
    """Smallest signed integer dtype that indexes ``n`` samples (int32 up to 2**31 - 1)."""
    return np.int32 if n < 2**31 else np.int64


def difficulty_rank(
    scores: ArrayLike, *, seed: int = 0, reverse: bool = False, stream: tuple[int, ...] = ()
) -> NDArray[np.signedinteger]:
    """Sample indices ordered from easiest (lowest score) to hardest.

    Ties are broken at random per ``seed``, so equal scores do not keep corpus order. Scores must
    already be validated (1-D, finite).

    Up to :data:`PERMUTATION_MAX` samples: a stable sort of the scores taken in the order of a
    random permutation, exact (about 24 bytes per sample while it runs).

    Above it, a sort that scales: each sample becomes one 64-bit key, its score's
    order-preserving bits in the high part and a seeded bijective hash of its index in the low
    ``b`` bits (``b`` = bits of ``N - 1``), and the keys are sorted in place (numpy's vectorised
    sort; keys are distinct, so the result does not depend on the sort algorithm). The hash
    breaks ties with no random memory access. The score keeps its sign, its exponent and its
    first ``52 - b`` mantissa bits, so scores that agree on those may count as tied: a relative
    difference below ``2 ** (b - 52)`` (7.5e-9 at 30M samples, 2.4e-7 at 1B), or subnormal
    numbers (below 2.2e-308 in magnitude) next to zero. Scores further apart are ordered
    exactly. Memory: the keys, 8 bytes per sample, and the result is written over them (int32
    indices give back half of the buffer).

    Args:
        scores: one difficulty per sample, higher is harder.
        seed: seed of the run-level random stream.
        reverse: hardest first (anti-curriculum).
        stream: extra integers that select an independent random stream.

    Returns:
        A permutation of ``range(len(scores))`` (int32 when it fits).
    """
    s = np.asarray(scores, dtype=np.float64)
    return _rank(
        s, rng(seed, Stream.RANK, *stream), reverse=reverse, hashed=s.shape[0] > PERMUTATION_MAX
    )


def _rank(
    s: NDArray[np.float64],
    gen: np.random.Generator,
    *,
    reverse: bool,
    hashed: bool,
    dtype: type[np.signedinteger] | None = None,
) -> NDArray[np.signedinteger]:
    """:func:`difficulty_rank` with its tie-breaker and index dtype chosen.

    ``hashed`` selects the packed keys with the index hash (else the permutation and a stable
    sort); ``dtype`` (int32 or int64) defaults to :func:`index_dtype`. Tests and benchmarks
    pick them.
    """
    n = s.shape[0]
    dtype = np.dtype(index_dtype(n) if dtype is None else dtype).type
    if n < 2:
        return np.arange(n, dtype=dtype)
    if not hashed:
        perm = np.arange(n, dtype=dtype)
        gen.shuffle(perm)
        ordered = s[perm]
        if reverse:
            np.negative(ordered, out=ordered)
        return perm[np.argsort(ordered, kind="stable")]
    bits = (n - 1).bit_length()
    tie = _IndexHash(bits, gen)
    keep = np.int64(-(1 << bits))  # the high 64 - bits bits
    keys = np.empty(n, dtype=np.uint64)
    position = np.arange(_RANK_CHUNK, dtype=np.uint64)
    for lo in range(0, n, _RANK_CHUNK):
        hi = min(lo + _RANK_CHUNK, n)
        value = keys[lo:hi].view(np.float64)
        value[:] = s[lo:hi]
        if reverse:
            np.negative(value, out=value)
        value += 0.0  # -0.0 becomes 0.0: the two compare equal
        # Order-preserving bits: negative floats have every bit flipped, others the sign bit.
        key = value.view(np.int64)
        flip = key >> 63
        flip |= _SIGN
        key ^= flip
        key &= keep
        key |= tie.forward(position[: hi - lo].copy()).view(np.int64)
        position += np.uint64(_RANK_CHUNK)
    del position, value, key, flip
    keys.sort()
    # The ranking is written over the sorted keys, chunk by chunk: position j of the result lies
    # in key j // 2 (int32) or j (int64), which is read before it is overwritten.
    out = keys.view(dtype)
    mask = np.uint64((1 << bits) - 1)
    for lo in range(0, n, _RANK_CHUNK):
        hi = min(lo + _RANK_CHUNK, n)
        out[lo:hi] = tie.inverse(keys[lo:hi] & mask)
    del out
    if np.dtype(dtype).itemsize == 8:
        return keys.view(dtype)
    # Give back the upper half of the buffer in place (realloc), then read it as int32.
    keys.resize((n + 1) // 2, refcheck=False)
    return keys.view(np.int32)[:n]


class _IndexHash:
    """A seeded bijection of ``[0, 2**bits)``: rounds of ``x -> ((x + c) * a) ^ shift`` mod 2**bits.

    Each step is invertible modulo ``2**bits`` (an addition, an odd multiplier, and a xor-shift
    by at least half the width, which undoes itself), so distinct indices get distinct hashes and
    the index is recovered exactly from its hash.
    """

    ROUNDS = 4

    def __init__(self, bits: int, gen: np.random.Generator) -> None:
        modulus = 1 << bits
        self.mask = np.uint64(modulus - 1)
        self.shift = np.uint64((bits + 1) // 2)
        draws = [int(v) for v in gen.integers(0, 1 << 62, size=2 * self.ROUNDS)]
        self.adds = [np.uint64(c % modulus) for c in draws[: self.ROUNDS]]
        self.subtracts = [
            np.uint64((modulus - c % modulus) % modulus) for c in draws[: self.ROUNDS]
        ]
        odd = [(2 * a + 1) % modulus for a in draws[self.ROUNDS :]]
        self.multipliers = [np.uint64(a) for a in odd]
        self.inverses = [np.uint64(pow(a, -1, modulus)) for a in odd]

    def forward(self, x: NDArray[np.uint64]) -> NDArray[np.uint64]:
        """Hashes of ``x`` (computed in place)."""
        for c, a in zip(self.adds, self.multipliers, strict=True):
            x += c
            x *= a
            x &= self.mask
            x ^= x >> self.shift
        return x

    def inverse(self, x: NDArray[np.uint64]) -> NDArray[np.uint64]:
        """Indices whose hashes are ``x`` (computed in place)."""
        for c, a in zip(reversed(self.subtracts), reversed(self.inverses), strict=True):
            x ^= x >> self.shift
            x *= a
            x += c
            x &= self.mask
        return x


def open_windows(
    n: int,
    pacing: Pacing,
    *,
    num_samples: int,
    epoch: int = 0,
    max_blocks: int = 512,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Blocks of one epoch and how much of the ranking is open in each.

    Args:
        n: number of samples in the epoch.
        pacing: competence as a function of progress.
        num_samples: draws over which the curriculum runs (progress 1 after them).
        epoch: epoch number; progress continues across epochs.
        max_blocks: resolution of the epoch (pacing breakpoints are added exactly).

    Returns:
        ``(starts, opened, window)``: block start positions with ``n`` appended (length B + 1),
        the number of ranked samples the pacing opens at each block start (length B), and the
        window actually used, widened where needed so that every block can draw unseen samples
        (``window[k] >= starts[k + 1]``, non-decreasing, ``window[-1] == n``).
    """
    offset = epoch * n  # global position of this epoch's first draw
    b = max(1, min(n, max_blocks))
    starts = {n * k // b for k in range(b)}
    for t in pacing.breakpoints():
        pos = math.ceil(t * num_samples - offset - 1e-9)
        if 0 < pos < n:
            starts.add(pos)
    end_pos = num_samples - offset
    if 0 < end_pos < n:
        starts.add(end_pos)
    bounds = np.fromiter(sorted(starts), dtype=np.int64)
    progress = (offset + bounds) / num_samples
    competence = np.where(progress >= 1.0, 1.0, pacing(progress))
    opened = np.clip(np.ceil(competence * n - 1e-6), 1, n).astype(np.int64)
    bounds = np.append(bounds, n)
    window = np.maximum.accumulate(np.maximum(opened, bounds[1:]))
    return bounds, opened, window


def curriculum_order(
    rank: NDArray[np.signedinteger],
    pacing: Pacing,
    *,
    num_samples: int | None = None,
    seed: int = 0,
    epoch: int = 0,
    max_blocks: int = 512,
    stream: tuple[int, ...] = (),
) -> NDArray[np.signedinteger]:
    """One epoch's order: every index of ``rank`` exactly once, paced from easy to hard.

    Args:
        rank: indices from easiest to hardest (see :func:`difficulty_rank`).
        pacing: competence as a function of progress.
        num_samples: draws over which the curriculum runs; defaults to one epoch (``len(rank)``).
        seed: seed; with ``epoch`` it fixes the epoch-level random stream.
        epoch: epoch number.
        max_blocks: resolution of the epoch, see :func:`open_windows`.
        stream: extra integers that select an independent random stream (one per stratum).

    Returns:
        A permutation of ``rank``'s values, in emission order.
    """
    n = int(rank.shape[0])
    num_samples = n if num_samples is None else num_samples
    gen = rng(seed, Stream.EPOCH, epoch, *stream)
    if n == 0:
        return rank.copy()
    if epoch * n >= num_samples:  # past the curriculum: plain shuffling
        return rank[gen.permutation(n)]
    if pacing.exhaustive:
        return _stage_by_stage(rank, pacing, num_samples=num_samples, epoch=epoch, gen=gen)
    bounds, _, window = open_windows(
        n, pacing, num_samples=num_samples, epoch=epoch, max_blocks=max_blocks
    )
    num_blocks = bounds.shape[0] - 1
    if window[0] == n:  # everything open from the start
        return rank[gen.permutation(n)]

    # Groups: the part of the ranking released at block k is rank[window[k-1]:window[k]].
    group_edges = np.concatenate(([0], window))
    sizes = np.diff(group_edges)
    draws = np.diff(bounds)
    counts = np.zeros((num_blocks, num_blocks), dtype=np.int64)  # [group, block]
    remaining = np.zeros(num_blocks, dtype=np.int64)
    for k in range(num_blocks):
        remaining[k] = sizes[k]
        live = np.flatnonzero(remaining[: k + 1])
        if live.size == 1:
            take = np.array([draws[k]])
        else:
            take = gen.multivariate_hypergeometric(remaining[live], int(draws[k]))
        counts[live, k] = take
        remaining[live] -= take

    # Within each group, a random subset goes to each block: shuffle, then cut in block order.
    # Chunk (g, k), the part of group g drawn in block k, lands in block k after the chunks of
    # the groups before g: a scatter by chunk offsets (what a stable sort by block would give).
    dest = np.concatenate(([0], np.cumsum(counts.T.ravel())[:-1])).reshape(num_blocks, -1).T
    src = np.concatenate(([0], np.cumsum(counts.ravel())[:-1])).reshape(num_blocks, -1)
    shift = (dest - src).astype(np.int64)
    order = np.empty_like(rank)
    for g, (lo, hi) in enumerate(itertools.pairwise(group_edges)):
        if hi == lo:
            continue
        part = rank[lo:hi].copy()
        if hi - lo > 1:
            gen.shuffle(part)
        live = counts[g] > 0
        positions = np.arange(lo, hi, dtype=np.int64)
        positions += np.repeat(shift[g, live], counts[g, live])
        order[positions] = part
    # Within a block every open sample is equally likely at every position.
    for lo, hi in itertools.pairwise(bounds):
        if hi - lo > 1:
            gen.shuffle(order[lo:hi])
    return order


def _stage_by_stage(
    rank: NDArray[np.signedinteger],
    pacing: Pacing,
    *,
    num_samples: int,
    epoch: int,
    gen: np.random.Generator,
) -> NDArray[np.signedinteger]:
    """An exhaustive pacing's epoch: each stage's part of the ranking in full, shuffled within.

    Stage ``k`` holds the ranked samples ``[ceil(levels[k-1] * n), ceil(levels[k] * n))``, the
    same cut points the pacing opens. An epoch that starts with every stage open is a shuffle.
    """
    n = int(rank.shape[0])
    if float(pacing(epoch * n / num_samples)) >= 1.0:
        return rank[gen.permutation(n)]
    levels = np.asarray(getattr(pacing, "levels", [1.0]), dtype=np.float64)
    cuts = np.clip(np.ceil(levels * n - 1e-6), 0, n).astype(np.int64)
    edges = np.unique(np.concatenate(([0], cuts, [n])))
    order = rank.copy()
    for lo, hi in itertools.pairwise(edges):
        if hi - lo > 1:
            gen.shuffle(order[lo:hi])
    return order


def stratified_ranks(
    scores: ArrayLike, strata: ArrayLike, *, seed: int = 0, reverse: bool = False
) -> list[NDArray[np.signedinteger]]:
    """Per stratum, its sample indices from easiest to hardest (see :func:`difficulty_rank`).

    Args:
        scores: one difficulty per sample, higher is harder (validated, finite).
        strata: one label per sample (a cluster, a source, a concept...); strata are taken in
            sorted label order.
        seed: seed of the run-level stream (ties are broken independently per stratum).
        reverse: hardest first.
    """
    s = np.asarray(scores, dtype=np.float64)
    n = s.shape[0]
    _, inverse = np.unique(np.asarray(strata), return_inverse=True)
    members = np.argsort(inverse, kind="stable").astype(index_dtype(n))
    edges = np.concatenate(([0], np.cumsum(np.bincount(inverse))))
    return [
        members[lo:hi][difficulty_rank(s[members[lo:hi]], seed=seed, reverse=reverse, stream=(k,))]
        for k, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]


def stratified_order(
    ranks: list[NDArray[np.signedinteger]],
    pacing: Pacing,
    *,
    num_samples: int | None = None,
    seed: int = 0,
    epoch: int = 0,
    max_blocks: int = 512,
) -> NDArray[np.signedinteger]:
    """One epoch's order that keeps every stage of training as diverse as the corpus.

    Each stratum runs its own curriculum over its own ranking with the same pacing, and the strata
    are interleaved in proportion to their sizes: any stretch of ``L`` consecutive positions
    holds about ``L * n_s / N`` samples of stratum ``s`` (within one), so early training is not
    all one topic. Every index appears exactly once.

    Args:
        ranks: per stratum, its indices from easiest to hardest (:func:`stratified_ranks`).
        pacing: competence as a function of progress, applied within each stratum.
        num_samples: draws the curriculum spans, all strata together (default one epoch).
        seed: seed; strata get independent streams derived from it.
        epoch: epoch number.
        max_blocks: resolution of each stratum's epoch.
    """
    if pacing.exhaustive:
        raise InvalidValueError(
            f"pacing={pacing!r} draws one stage per level of the whole ranking, which strata "
            "cannot keep (each stratum holds its own share of every level); drop strata, or use "
            "a Step without exhaustive=True"
        )
    n = sum(int(r.shape[0]) for r in ranks)
    num_samples = n if num_samples is None else num_samples
    gen = rng(seed, Stream.MERGE, epoch)
    parts, keys = [], []
    for k, rank in enumerate(ranks):
        size = int(rank.shape[0])
        parts.append(
            curriculum_order(
                rank,
                pacing,
                num_samples=max(1, round(num_samples * size / n)),
                seed=seed,
                epoch=epoch,
                max_blocks=max_blocks,
                stream=(k,),
            )
        )
        # The j-th sample of a stratum sits at (j + u) / size of the epoch: a proportional merge.
        keys.append((np.arange(size) + gen.random()) / size)
    order = np.concatenate(parts)
    return order[np.argsort(np.concatenate(keys), kind="stable")]


def rank_share(
    order: NDArray[np.signedinteger], num_replicas: int, rank: int, *, drop_last: bool = False
) -> NDArray[np.signedinteger]:
    """The share of a global order that one rank takes, as in ``DistributedSampler``.

    Rank ``r`` takes positions ``r, r + R, r + 2R, ...``, so every rank follows the same
    easy-to-hard progression. Without ``drop_last`` the order is padded to a multiple of
    ``num_replicas`` with its own *last* samples (those few are seen twice): unlike
    ``DistributedSampler``, which repeats the first ones, this keeps the end of every rank's
    epoch at the hard end of the curriculum, so padding never puts an easy sample after hard
    ones. With ``drop_last`` the tail is dropped.
    """
    n = order.shape[0]
    if drop_last:
        total = (n // num_replicas) * num_replicas
        padded = order[:total]
    else:
        total = -(-n // num_replicas) * num_replicas
        pad = total - n
        tail = order[(np.arange(n - pad, n) % n)] if pad else order[:0]
        padded = np.concatenate([order, tail]) if pad else order
    return padded[rank:total:num_replicas]
