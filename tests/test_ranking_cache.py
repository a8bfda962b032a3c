"""The shared ranking: computed once per directory, mapped by every rank, never used damaged."""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from curriculum import CurriculumSampler
from curriculum.cache import ScoreCache, sidecar
from curriculum.errors import CacheError, OutputError
from curriculum.ranking_cache import ranking_path


def _scores(n: int = 5000) -> np.ndarray:
    return np.round(np.random.default_rng(0).gamma(4.0, 2.0, n), 1)


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("ranking-*.npy"))


def test_a_second_sampler_maps_the_stored_ranking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scores = _scores()
    plain = CurriculumSampler(scores, seed=4)
    first = CurriculumSampler(scores, seed=4, ranking_dir=tmp_path)
    assert np.array_equal(first.ranking(), plain.ranking())
    assert len(_files(tmp_path)) == 1

    def fail(self: CurriculumSampler) -> list[np.ndarray]:
        raise AssertionError("the stored ranking should have been mapped, not recomputed")

    monkeypatch.setattr(CurriculumSampler, "_compute_ranks", fail)
    second = CurriculumSampler(scores, seed=4, ranking_dir=tmp_path)
    ranking = second.ranking()
    assert ranking is not None
    assert isinstance(ranking.base, np.memmap) or isinstance(ranking.base.base, np.memmap)
    assert not ranking.flags.writeable
    assert np.array_equal(ranking, plain.ranking())
    assert list(second) == list(plain)  # the whole epoch, not only the ranking


@pytest.mark.parametrize(
    "change", [{"seed": 5}, {"reverse": True}, {"strata": np.arange(5000) % 3}, {"scores": 1}]
)
def test_other_settings_get_their_own_ranking(tmp_path: Path, change: dict[str, Any]) -> None:
    scores = _scores()
    CurriculumSampler(scores, seed=4, ranking_dir=tmp_path).global_order()
    kwargs: dict[str, Any] = {"seed": 4, **change}
    other_scores = scores + kwargs.pop("scores", 0)
    sampler = CurriculumSampler(other_scores, ranking_dir=tmp_path, **kwargs)
    expected = CurriculumSampler(other_scores, **kwargs)
    assert np.array_equal(sampler.global_order(), expected.global_order())
    assert len(_files(tmp_path)) == 2


def test_strata_are_stored_and_split_back(tmp_path: Path) -> None:
    scores, strata = _scores(), np.arange(5000) % 7
    stored = CurriculumSampler(scores, seed=1, strata=strata, ranking_dir=tmp_path)
    stored.global_order()
    mapped = CurriculumSampler(scores, seed=1, strata=strata, ranking_dir=tmp_path)
    plain = CurriculumSampler(scores, seed=1, strata=strata)
    assert [r.tolist() for r in mapped._ranks()] == [r.tolist() for r in plain._ranks()]
    assert np.array_equal(mapped.global_order(), plain.global_order())


def _damage_values(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[-4:] = (10**6).to_bytes(4, "little")  # still a valid .npy, other content
    path.write_bytes(bytes(raw))


def _damage_sizes(path: Path) -> None:
    meta = json.loads(sidecar(path).read_text())
    meta["sizes"] = [1, 2]
    sidecar(path).write_text(json.dumps(meta))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize("damage", [_damage_values, _damage_sizes, _truncate])
def test_a_damaged_ranking_is_refused_with_the_fix(tmp_path: Path, damage: Any) -> None:
    scores = _scores()
    CurriculumSampler(scores, seed=4, ranking_dir=tmp_path).global_order()
    (path,) = _files(tmp_path)
    damage(path)
    with pytest.raises(CacheError, match=rf"delete {path}.*computed again"):
        CurriculumSampler(scores, seed=4, ranking_dir=tmp_path).global_order()
    path.unlink()
    sidecar(path).unlink()
    again = CurriculumSampler(scores, seed=4, ranking_dir=tmp_path)
    assert np.array_equal(again.global_order(), CurriculumSampler(scores, seed=4).global_order())


def test_an_unusable_directory_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OutputError, match=r"ranking_dir=.*cannot be written.*ranking_dir=None"):
        CurriculumSampler(_scores(), ranking_dir=blocker / "sub").global_order()


def test_from_texts_stores_the_ranking_in_the_score_cache(
    tmp_path: Path, fortunes: list[str]
) -> None:
    sampler = CurriculumSampler.from_texts(fortunes, scorer="length", cache=tmp_path, seed=2)
    sampler.global_order()
    assert len(_files(tmp_path)) == 1
    assert ranking_path(tmp_path, {}).parent == tmp_path
    ScoreCache(tmp_path).clear()
    assert not list(tmp_path.iterdir())  # scores, ranking, sidecars and lock all removed


def _rank_in_process(directory: str, barrier: Any, results: Any, index: int) -> None:
    computed = []
    original = CurriculumSampler._compute_ranks

    def compute(self: CurriculumSampler) -> list[np.ndarray]:
        computed.append(True)
        return original(self)

    CurriculumSampler._compute_ranks = compute  # type: ignore[method-assign]
    scores = _scores(200_000)
    barrier.wait()  # the four ranks ask for the ranking at the same moment
    sampler = CurriculumSampler(scores, seed=9, num_replicas=4, rank=index, ranking_dir=directory)
    share = sampler.indices()
    results.put((index, bool(computed), share.tolist()[:50], int(share.shape[0])))


def test_four_processes_compute_the_ranking_once(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [
        ctx.Process(target=_rank_in_process, args=(str(tmp_path), barrier, results, i))
        for i in range(4)
    ]
    for p in procs:
        p.start()
    got = sorted(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(computed for _, computed, _, _ in got) == 1
    expected = CurriculumSampler(_scores(200_000), seed=9).global_order()
    for index, _, head, size in got:
        assert size == 50_000
        assert head == expected[index::4][:50].tolist()


def test_a_score_cache_that_cannot_take_the_ranking_still_serves_from_texts(
    tmp_path: Path, fortunes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    import curriculum.ranking_cache as ranking_cache

    CurriculumSampler.from_texts(fortunes, scorer="length", cache=tmp_path)  # scores cached
    real_open = builtins.open

    def read_only(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith(".lock"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(ranking_cache, "open", read_only, raising=False)
    sampler = CurriculumSampler.from_texts(fortunes, scorer="length", cache=tmp_path, seed=2)
    with pytest.warns(UserWarning, match=r"cannot be stored in .*keeps its own in memory"):
        order = sampler.global_order()
    assert np.array_equal(order, CurriculumSampler(sampler.scores, seed=2).global_order())
    assert not _files(tmp_path)
    explicit = CurriculumSampler(sampler.scores, seed=2, ranking_dir=tmp_path)
    with pytest.raises(OutputError, match=r"cannot be written.*Permission denied"):
        explicit.global_order()  # a directory the user chose is not skipped silently


def test_a_file_system_without_locks_still_stores_the_ranking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import curriculum.ranking_cache as ranking_cache

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(ranking_cache.fcntl, "flock", no_locks)
    scores = _scores()
    stored = CurriculumSampler(scores, seed=3, ranking_dir=tmp_path)
    assert np.array_equal(stored.global_order(), CurriculumSampler(scores, seed=3).global_order())
    assert len(_files(tmp_path)) == 1


def test_percentiles_reuse_the_shared_ranking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import curriculum.sampler as sampler_module

    scores = _scores()
    expected = CurriculumSampler(scores, seed=6).percentiles()
    CurriculumSampler(scores, seed=6, ranking_dir=tmp_path).global_order()

    def fail(*args: Any, **kwargs: Any) -> np.ndarray:
        raise AssertionError("percentiles should read the stored ranking")

    monkeypatch.setattr(sampler_module, "difficulty_rank", fail)
    mapped = CurriculumSampler(scores, seed=6, ranking_dir=tmp_path)
    assert np.array_equal(mapped.percentiles(), expected)


def test_memory_mapped_scores_stay_mapped_in_the_sampler(tmp_path: Path) -> None:
    # The README's plan for 1B samples: every rank maps the same scores file, none copies it.
    from curriculum.cache import load_array, save_scores

    path = save_scores(tmp_path / "scores.npy", _scores())
    mapped = load_array(path, mmap=True)
    sampler = CurriculumSampler(mapped, seed=0, ranking_dir=tmp_path)
    assert np.shares_memory(sampler.scores, mapped)
    assert len(list(sampler)) == mapped.shape[0]
