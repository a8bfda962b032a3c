"""CurriculumSampler: exactly-once, ranks, determinism, resume, DataLoader integration, errors."""

from __future__ import annotations

import itertools
import json
import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, RandomSampler

from curriculum import CurriculumSampler, ScoreCache
from curriculum.ordering import curriculum_order, difficulty_rank, rank_share
from curriculum.pacing import get_pacing

PACINGS = ["linear", "root", "geometric", "step", "constant"]


class IndexDataset(torch.utils.data.Dataset):
    """Returns its index, so batches show exactly what the sampler emitted."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i


def _scores(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).permutation(n).astype(float)


sampler_args = st.fixed_dictionaries(
    {
        "n": st.integers(1, 300),
        "pacing": st.sampled_from(PACINGS),
        "seed": st.integers(0, 2**32 - 1),
        "epoch": st.integers(0, 3),
        "num_samples": st.sampled_from([None, 50, 1000]),
        "num_replicas": st.integers(1, 5),
        "drop_last": st.booleans(),
    }
)


def _make(args: dict, rank: int = 0) -> CurriculumSampler:
    n = args["n"]
    sampler = CurriculumSampler(
        _scores(n, args["seed"] % 1000),
        pacing=args["pacing"],
        seed=args["seed"],
        num_samples=args["num_samples"],
        num_replicas=args["num_replicas"],
        rank=rank,
        drop_last=args["drop_last"] and n >= args["num_replicas"],
    )
    sampler.set_epoch(args["epoch"])
    return sampler


@settings(max_examples=150, deadline=None)
@given(sampler_args)
def test_ranks_are_disjoint_cover_the_epoch_and_match_the_ordering_functions(args: dict) -> None:
    replicas = args["num_replicas"]
    samplers = [_make(args, rank=r) for r in range(replicas)]
    shares = [list(s) for s in samplers]
    assert [list(_make(args, rank=r)) for r in range(replicas)] == shares  # deterministic
    assert all(len(share) == len(samplers[0]) for share in shares)
    merged = list(itertools.chain.from_iterable(shares))
    n = args["n"]
    if samplers[0].drop_last:
        assert len(set(merged)) == len(merged) == (n // replicas) * replicas
    else:
        assert set(merged) == set(range(n))  # every index at least once...
        assert len(merged) - len(set(merged)) == len(merged) - n  # ...and only padding repeats
    # The same global order as the pure functions: (scores, pacing, seed, epoch) -> indices.
    s0 = samplers[0]
    rank_order = difficulty_rank(s0.scores, seed=s0.seed)
    order = curriculum_order(
        rank_order, s0.pacing, num_samples=s0.num_samples, seed=s0.seed, epoch=args["epoch"]
    )
    for r, share in enumerate(shares):
        assert share == rank_share(order, replicas, r, drop_last=s0.drop_last).tolist()


@settings(max_examples=150, deadline=None)
@given(sampler_args, st.floats(0, 1))
def test_resume_yields_exactly_the_remainder(args: dict, cut: float) -> None:
    sampler = _make(args)
    full = list(sampler)
    k = int(cut * len(full))
    sampler.set_epoch(args["epoch"])  # replay the same epoch
    it = iter(sampler)
    head = list(itertools.islice(it, k))
    state = json.loads(json.dumps(sampler.state_dict()))  # JSON-serialisable
    n, replicas = args["n"], args["num_replicas"]
    finished = k == len(full)  # a finished share is the whole epoch (drop_last's tail too)
    assert state["position"] == (n if finished else min(k * replicas, n))
    assert state["epoch"] == args["epoch"]
    fresh = _make({**args, "epoch": 0})  # a new process does not know the epoch yet
    fresh.load_state_dict(state)
    assert head + list(fresh) == full
    fresh.set_epoch(args["epoch"])
    assert list(fresh) == full  # the epoch after resuming in full again


def _drop_last(args: dict, replicas: int) -> bool:
    return args["drop_last"] and args["n"] >= replicas


@settings(max_examples=200, deadline=None)
@given(sampler_args, st.integers(1, 6), st.floats(0, 1), st.integers(0, 5))
def test_elastic_resume_reads_the_rest_of_the_global_order_once(
    args: dict, new_replicas: int, cut: float, source: int
) -> None:
    """A state from any rank of R ranks resumes R' ranks: together they read the rest, once."""
    n, old_replicas = args["n"], args["num_replicas"]
    olds = [_make(args, rank=r) for r in range(old_replicas)]
    k = int(cut * len(olds[0]))
    heads = [list(itertools.islice(iter(s), k)) for s in olds]
    states = [json.loads(json.dumps(s.state_dict())) for s in olds]
    assert all(state == states[0] for state in states)  # every rank saves the same state
    order = olds[0].global_order().tolist()
    read = min(k * old_replicas, n)
    consumed = [i for j in range(k) for h in heads for i in h[j : j + 1]]
    assert consumed[:read] == order[:read]  # the ranks read the order's head together
    finished = k == len(olds[0])  # a finished share is the whole epoch (drop_last's tail too)
    position = n if finished else read
    assert states[0]["position"] == position
    new_args = {**args, "num_replicas": new_replicas, "epoch": 0}
    new_args["drop_last"] = _drop_last(args, new_replicas)
    news = [_make(new_args, rank=r) for r in range(new_replicas)]
    for s in news:
        s.load_state_dict(states[source % old_replicas])
    rests = [list(s) for s in news]
    rest = order[position:]
    for r, share in enumerate(rests):
        assert (
            share
            == rank_share(
                np.array(rest, dtype=np.int64), new_replicas, r, drop_last=new_args["drop_last"]
            ).tolist()
        )
    merged = [i for share in rests for i in share]
    if new_args["drop_last"]:
        assert len(merged) == len(set(merged)) and len(rest) - len(merged) < new_replicas
    else:
        assert sorted(set(merged)) == sorted(rest)  # the whole rest...
        assert len(merged) - len(rest) < new_replicas  # ...each once, but for rank padding
    if not new_args["drop_last"] and not args["drop_last"]:
        assert set(order[:position]) | set(merged) == set(range(n))  # nothing lost
    assert sorted(news[0]) == sorted(news[0].indices(args["epoch"] + 1))  # then the next epoch


def test_one_epoch_each_index_once_and_easy_before_hard() -> None:
    scores = _scores(1000)
    sampler = CurriculumSampler(scores, pacing="root", seed=3)
    order = list(sampler)
    assert sorted(order) == list(range(1000)) and len(sampler) == 1000
    assert scores[order[:100]].mean() < scores[order[-100:]].mean()


def test_set_epoch_changes_the_order_deterministically() -> None:
    sampler = CurriculumSampler(_scores(500), seed=1)
    first = list(sampler)
    sampler.set_epoch(0)
    assert list(sampler) == first  # set_epoch(0) replays epoch 0
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first and sorted(second) == sorted(first)
    again = CurriculumSampler(_scores(500), seed=1)
    again.set_epoch(1)
    assert list(again) == second


def test_iterating_again_without_set_epoch_starts_the_next_epoch() -> None:
    scores = _scores(1000)
    auto = CurriculumSampler(scores, pacing="linear", num_samples=3000, seed=1)
    epochs = [list(auto) for _ in range(3)]
    assert auto.epoch == 2
    manual = CurriculumSampler(scores, pacing="linear", num_samples=3000, seed=1)
    for epoch, order in enumerate(epochs):
        manual.set_epoch(epoch)
        assert list(manual) == order
    means = [scores[order[:100]].mean() for order in epochs]
    assert means[0] < means[1] < means[2]  # the curriculum goes on instead of replaying
    partial = CurriculumSampler(scores, seed=1)
    head = list(itertools.islice(iter(partial), 10))
    assert list(partial)[:10] == head  # an unfinished epoch starts over, as in torch


def test_stats_report_progress_competence_and_recent_difficulty() -> None:
    scores = _scores(1000)
    sampler = CurriculumSampler(scores, pacing="linear", c0=0.1, num_samples=2000, seed=0)
    start = sampler.stats()
    assert start["progress"] == 0.0 and start["competence"] == pytest.approx(0.1)
    assert np.isnan(start["difficulty"])
    it = iter(sampler)
    drawn = [next(it) for _ in range(500)]
    live = sampler.stats(window=100)
    assert live["progress"] == 0.25 and live["competence"] == pytest.approx(0.1 + 0.9 * 0.25)
    pct = sampler.percentiles()
    assert pct.min() == 0.0 and pct.max() == 100.0
    assert pct[np.argmax(scores)] == 100.0 and pct[np.argmin(scores)] == 0.0
    assert live["difficulty"] == pytest.approx(pct[drawn[-100:]].mean())
    assert sampler.stats(50, window=50)["difficulty"] == pytest.approx(pct[drawn[:50]].mean())
    # A window across an epoch boundary averages the end of one epoch and the start of the next.
    across = sampler.stats(1010, window=20)
    tail = sampler.global_order(0)[-10:].tolist() + sampler.global_order(1)[:10].tolist()
    assert across["difficulty"] == pytest.approx(pct[tail].mean())
    assert sampler.stats(5000)["progress"] == 1.0 and sampler.stats(5000)["competence"] == 1.0
    early, late = sampler.stats(200, window=200), sampler.stats(1000, window=200)
    assert early["difficulty"] < late["difficulty"]  # easy first


def test_independent_of_global_rngs() -> None:
    torch.manual_seed(0)
    np.random.seed(0)
    a = list(CurriculumSampler(_scores(300), seed=5))
    torch.manual_seed(1)
    np.random.seed(1)
    b = list(CurriculumSampler(_scores(300), seed=5))
    assert a == b


def test_reverse_gives_the_anti_curriculum() -> None:
    scores = _scores(1000)
    order = list(CurriculumSampler(scores, reverse=True))
    assert scores[order[:100]].mean() > scores[order[-100:]].mean()


def test_constant_pacing_is_plain_shuffling() -> None:
    scores = np.arange(10000, dtype=float)
    order = list(CurriculumSampler(scores, pacing="constant"))
    assert abs(scores[order[:1000]].mean() - 5000) < 300


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_gets_the_sampler_order_whatever_num_workers(num_workers: int) -> None:
    sampler = CurriculumSampler(_scores(200), seed=2)
    loader = DataLoader(IndexDataset(200), batch_size=16, sampler=sampler, num_workers=num_workers)
    emitted = torch.cat(list(loader)).tolist()
    assert emitted == sampler.indices(0).tolist()


@pytest.mark.parametrize("num_workers", [0, 2])
def test_stateful_dataloader_resumes_mid_epoch(num_workers: int) -> None:
    from torchdata.stateful_dataloader import StatefulDataLoader

    def loader() -> tuple[StatefulDataLoader, CurriculumSampler]:
        sampler = CurriculumSampler(_scores(300), pacing="root", seed=4)
        sampler.set_epoch(1)
        return StatefulDataLoader(
            IndexDataset(300), batch_size=10, sampler=sampler, num_workers=num_workers
        ), sampler

    reference, _ = loader()
    full = [b.tolist() for b in reference]
    interrupted, _ = loader()
    head = []
    for i, batch in enumerate(interrupted):
        head.append(batch.tolist())
        if i == 6:
            state = interrupted.state_dict()
            break
    resumed, sampler = loader()
    sampler.set_epoch(0)  # a fresh process; the loaded state sets the epoch back to 1
    resumed.load_state_dict(state)
    rest = [b.tolist() for b in resumed]
    assert head + rest == full


def test_state_dict_is_small_and_json_serialisable() -> None:
    sampler = CurriculumSampler(_scores(100_000))
    it = iter(sampler)
    next(it)
    state = sampler.state_dict()
    assert len(json.dumps(state)) < 1000
    assert state["position"] == 1


def test_state_after_set_epoch_starts_the_new_epoch() -> None:
    sampler = CurriculumSampler(_scores(50))
    list(sampler)
    assert sampler.state_dict()["position"] == 50
    sampler.set_epoch(1)
    assert (sampler.state_dict()["epoch"], sampler.state_dict()["position"]) == (1, 0)


def test_state_from_another_run_is_refused_with_the_differences() -> None:
    state = CurriculumSampler(_scores(100), seed=1, pacing="linear").state_dict()
    other = CurriculumSampler(_scores(100, seed=9), seed=2, pacing="linear")
    with pytest.raises(ValueError, match=r"different run") as info:
        other.load_state_dict(state)
    message = str(info.value)
    assert "seed: saved 1, this sampler 2" in message
    assert "scores_fingerprint" in message
    assert "Build the sampler with the saved settings" in message


def test_state_saved_with_consumed_counts_what_training_read() -> None:
    sampler = CurriculumSampler(_scores(100), num_replicas=2, rank=1)
    it = iter(sampler)
    [next(it) for _ in range(30)]  # a prefetching DataLoader ran ahead
    assert sampler.state_dict()["position"] == 60
    state = sampler.state_dict(consumed=40)  # training consumed 20 per rank
    fresh = CurriculumSampler(_scores(100), num_replicas=4, rank=3)
    fresh.load_state_dict(state)
    assert list(fresh) == sampler.global_order()[40:][3::4].tolist()
    assert sampler.state_dict(consumed=128)["position"] == 100  # padded last batches: all
    with pytest.raises(ValueError, match=r"consumed must be an integer >= 0, but got"):
        sampler.state_dict(consumed=-1)


@pytest.mark.parametrize(
    ("state", "error", "match"),
    [
        ([1, 2], TypeError, r"state_dict must be a dict"),
        ({"version": 99}, ValueError, r"version=99, this sampler reads version 3"),
        ({"version": 3}, ValueError, r"state_dict lacks keys"),
    ],
)
def test_malformed_state_is_refused(state: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        CurriculumSampler(_scores(10)).load_state_dict(state)  # type: ignore[arg-type]


def test_corrupt_position_is_refused() -> None:
    sampler = CurriculumSampler(_scores(10))
    state = sampler.state_dict()
    with pytest.raises(
        ValueError,
        match=r"state_dict\['position'\]=11 exceeds the 10 samples of epoch 0's global order",
    ):
        sampler.load_state_dict({**state, "position": 11})
    with pytest.raises(ValueError, match=r"state_dict\['position'\] must be an integer >= 0"):
        sampler.load_state_dict({**state, "position": -1})
    for split in ([0, False], [2], "x", [2, "no"], [True, False], [10**7, False]):
        with pytest.raises(ValueError, match=r"state_dict\['split'\] must be \[num_replicas in"):
            sampler.load_state_dict({**state, "split": split})


def test_ranks_default_to_torch_distributed() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    try:
        sampler = CurriculumSampler(_scores(10))
        assert (sampler.num_replicas, sampler.rank) == (1, 0)
    finally:
        dist.destroy_process_group()


def test_num_samples_spans_several_epochs() -> None:
    scores = _scores(1000)
    sampler = CurriculumSampler(scores, pacing="linear", num_samples=3000)
    means = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        means.append(scores[list(sampler)[:100]].mean())
    assert means[0] < means[1] < means[2]


def test_iterates_like_random_sampler_types() -> None:
    sampler = CurriculumSampler(_scores(20))
    values = list(sampler)
    assert all(type(v) is int for v in values)
    assert len(values) == len(RandomSampler(range(20)))


def test_from_texts_and_from_dataset(fortunes: list[str], tmp_path) -> None:
    texts = fortunes[:80]
    a = CurriculumSampler.from_texts(texts, scorer="length", cache=tmp_path, seed=3)
    assert len(list(tmp_path.glob("length-*.npy"))) == 1
    b = CurriculumSampler.from_dataset(
        [{"text": t} for t in texts], scorer="length", seed=3, cache=ScoreCache(tmp_path)
    )
    assert list(a) == list(b)
    lengths = np.array([len(t.split()) for t in texts])
    order = list(a)
    assert lengths[order[:8]].mean() < lengths[order[-8:]].mean()


def test_from_dataset_reads_a_hugging_face_dataset(fortunes: list[str]) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": fortunes[:50], "id": list(range(50))})
    sampler = CurriculumSampler.from_dataset(ds, text_field="text", scorer="length")
    loader = DataLoader(ds, batch_size=10, sampler=sampler)
    seen = [i for batch in loader for i in batch["id"].tolist()]
    assert sorted(seen) == list(range(50))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"scores": [1.0, float("nan"), 2.0]},
            ValueError,
            r"scores must be finite, but got scores\[1\]=nan "
            r"\(1 non-finite values at positions 1\)",
        ),
        ({"scores": [1.0, None]}, TypeError, r"missing scores \(None\) are not allowed"),
        ({"scores": [1.0, float("inf")]}, ValueError, r"scores\[1\]=inf"),
        (
            {"scores": []},
            ValueError,
            r"scores must hold at least one score, but got an empty array",
        ),
        ({"scores": [[1.0, 2.0]]}, ValueError, r"scores must be 1-D"),
        ({"scores": ["a", "b"]}, TypeError, r"scores must hold numbers, but got dtype <U1"),
        (
            {"scores": [1.0, 2.0], "dataset": [0, 1, 2]},
            ValueError,
            r"scores has 2 values but the dataset has 3 samples",
        ),
        (
            {"scores": [1.0], "rank": 2, "num_replicas": 2},
            ValueError,
            r"rank must be in \[0, num_replicas - 1\] = \[0, 1\], but got rank=2",
        ),
        (
            {"scores": [1.0], "rank": -1, "num_replicas": 2},
            ValueError,
            r"rank must be an integer >= 0, but got rank=-1",
        ),
        ({"scores": [1.0], "num_replicas": 0}, ValueError, r"num_replicas must be an integer >= 1"),
        ({"scores": [1.0], "pacing": "fast"}, ValueError, r"pacing must be one of"),
        ({"scores": [1.0], "c0": 0.0}, ValueError, r"c0 must be in \(0, 1\], but got c0=0.0"),
        ({"scores": [1.0], "num_samples": 0}, ValueError, r"num_samples must be an integer >= 1"),
        ({"scores": [1.0], "seed": 1.5}, TypeError, r"seed must be an integer, but got seed=1.5"),
        (
            {"scores": [1.0], "num_replicas": 2, "drop_last": True},
            ValueError,
            r"leaves every rank empty",
        ),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs: dict, error: type, match: str) -> None:
    scores = kwargs.pop("scores")
    with pytest.raises(error, match=match):
        CurriculumSampler(scores, **kwargs)


def test_pacing_instance_and_callable_are_accepted() -> None:
    scores = _scores(100)
    a = list(CurriculumSampler(scores, pacing=get_pacing("step", stages=3)))
    b = list(CurriculumSampler(scores, pacing=lambda t: np.minimum(1.0, 0.2 + t)))
    assert sorted(a) == sorted(b) == list(range(100))


def test_strata_keep_every_stage_diverse(demo_records: list[dict], demo_scores: np.ndarray) -> None:
    source = np.array([r["source"].split("/")[0] for r in demo_records])
    plain = CurriculumSampler(demo_scores, seed=0)
    mixed = CurriculumSampler(demo_scores, seed=0, strata=source)
    share = (source == "debian-reference").mean()
    first_plain = (source[list(plain)[:300]] == "debian-reference").mean()
    first_mixed = (source[list(mixed)[:300]] == "debian-reference").mean()
    assert first_plain < share / 2  # technical text is hard: a plain curriculum holds it back
    assert abs(first_mixed - share) < 0.02  # strata: every stage has its share
    order = mixed.indices(0).tolist()
    assert sorted(order) == list(range(len(source)))
    within = demo_scores[[i for i in order if source[i] == "fortunes"]]
    assert within[:200].mean() < within[-200:].mean()  # still easy-to-hard within a stratum


def test_strata_are_part_of_the_state() -> None:
    scores = _scores(100)
    a = CurriculumSampler(scores, strata=np.arange(100) % 2)
    with pytest.raises(ValueError, match=r"strata_fingerprint: saved"):
        CurriculumSampler(scores, strata=np.arange(100) % 3).load_state_dict(a.state_dict())
    with pytest.raises(ValueError, match=r"strata must hold one label per sample \(100\)"):
        CurriculumSampler(scores, strata=[0, 1])
    with pytest.raises(TypeError, match=r"strata must hold integer or string labels"):
        CurriculumSampler(scores, strata=[None] * 100)


def test_a_state_from_one_lambda_pacing_does_not_resume_another() -> None:
    """Both lambdas are named `<lambda>`: the settings match, the indices decide."""
    scores = _scores(300)
    slow = CurriculumSampler(scores, pacing=lambda t: 0.05 + 0.95 * t, seed=1)
    it = iter(slow)
    head = [next(it) for _ in range(40)]
    state = slow.state_dict()
    fast = CurriculumSampler(scores, pacing=lambda t: min(1.0, 0.5 + t), seed=1)
    with pytest.raises(ValueError, match=r"global order of epoch 0 differs .* callable"):
        fast.load_state_dict(state)
    same = CurriculumSampler(scores, pacing=lambda t: 0.05 + 0.95 * t, seed=1)
    same.load_state_dict(state)
    assert head + list(same) == list(
        CurriculumSampler(scores, pacing=lambda t: 0.05 + 0.95 * t, seed=1)
    )


def test_set_epoch_to_another_epoch_drops_a_pending_resume() -> None:
    sampler = CurriculumSampler(_scores(50), seed=1)
    sampler.set_epoch(2)
    it = iter(sampler)
    [next(it) for _ in range(10)]
    state = sampler.state_dict()
    fresh = CurriculumSampler(_scores(50), seed=1)
    fresh.load_state_dict(state)
    fresh.set_epoch(2)  # the same epoch: the resume stands
    assert fresh.state_dict()["position"] == 10
    fresh.set_epoch(3)  # the loop moved on: a checkpoint now must not rewind to epoch 2
    assert (fresh.state_dict()["epoch"], fresh.state_dict()["position"]) == (3, 0)
    assert len(list(fresh)) == 50


def test_a_tampered_state_with_odd_types_is_refused_cleanly() -> None:
    sampler = CurriculumSampler(_scores(20), seed=0)
    state = sampler.state_dict()
    with pytest.raises(ValueError, match=r"seed: saved array"):
        sampler.load_state_dict({**state, "seed": np.array([0, 0])})
    with pytest.raises(ValueError, match=r"pacing: saved"):
        sampler.load_state_dict({**state, "pacing": object()})


def test_a_drop_last_state_at_the_end_of_an_epoch_resumes_the_next_epoch() -> None:
    """The trimmed tail is not left over: a finished share is the whole epoch."""
    samplers = [
        CurriculumSampler(_scores(10), num_replicas=4, rank=r, drop_last=True) for r in range(4)
    ]
    for s in samplers:
        list(s)
    state = samplers[1].state_dict()
    assert (state["epoch"], state["position"]) == (0, 10)
    one = CurriculumSampler(_scores(10))  # resumed on one rank
    one.load_state_dict(state)
    assert list(one) == []  # nothing of epoch 0 is left...
    assert list(one) == one.indices(1).tolist()  # ...and the next iteration is epoch 1
