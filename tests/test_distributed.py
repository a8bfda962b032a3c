"""Real processes over gloo: three ranks take their shares from torch.distributed and resume."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import torch.distributed as dist
import torch.multiprocessing as mp

WORLD = 3


def _worker(rank: int, port: int, out: str) -> None:
    from curriculum import (
        CurriculumSampler,
        ReadabilityScorer,
        RecipeSampler,
        example_recipe,
        load_demo_corpus,
    )

    early = CurriculumSampler(np.arange(10.0))  # built before the process group exists
    tiny = CurriculumSampler(np.arange(2.0), drop_last=True)  # fine on 1 rank, not on 3
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD
    )
    try:
        assert (early.num_replicas, early.rank) == (WORLD, rank)  # the rule is read at use
        try:
            list(tiny)
            raise AssertionError("drop_last with 2 samples on 3 ranks iterated")
        except ValueError as error:
            assert "drop_last=True with 2 samples per epoch and num_replicas=3" in str(error)
        records = load_demo_corpus()[:500]  # 500 does not divide by 3: padding is exercised
        plan = example_recipe("model_spec_midtraining").plan(records)
        scores = ReadabilityScorer().score([r["text"] for r in records])
        result = {}
        for name, build in (
            ("recipe", lambda: RecipeSampler(plan, seed=3)),
            ("curriculum", lambda: CurriculumSampler(scores, seed=3)),
        ):
            sampler = build()  # ranks from torch.distributed
            sampler.set_epoch(1)
            share = list(sampler)
            sampler.set_epoch(1)  # replay it
            it = iter(sampler)
            head = [next(it) for _ in range(41)]
            state = json.loads(json.dumps(sampler.state_dict()))
            resumed = build()
            resumed.load_state_dict(state)
            shares: list[object] = [None] * WORLD
            dist.all_gather_object(shares, share)
            result[name] = {
                "shares": shares,
                "rank": sampler.rank,
                "world": sampler.num_replicas,
                "resumed": head + list(resumed) == share,
            }
        if rank == 0:
            Path(out).write_text(json.dumps(result))
        dist.barrier()
    finally:
        dist.destroy_process_group()


def test_three_ranks_split_pad_keep_the_floor_and_resume(tmp_path: Path) -> None:
    from curriculum import ReadabilityScorer, example_recipe, load_demo_corpus
    from curriculum.ordering import rank_share
    from curriculum.recipes import sliding_minimum

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "result.json"
    mp.spawn(_worker, args=(port, str(out)), nprocs=WORLD, join=True)
    result = json.loads(out.read_text())

    records = load_demo_corpus()[:500]
    plan = example_recipe("model_spec_midtraining").plan(records)
    recipe = result["recipe"]
    whole = plan.order(3, 1, num_replicas=WORLD).indices
    assert whole.size % WORLD == 0
    interleaved = np.stack(recipe["shares"], axis=1).ravel()
    assert interleaved.tolist() == whole.tolist()  # the shares are the global order, split
    for share in recipe["shares"]:
        assert sliding_minimum(plan.floor_mask[np.array(share)], 100) >= 5
    assert recipe["resumed"] and recipe["world"] == WORLD

    curriculum = result["curriculum"]
    scores = ReadabilityScorer().score([r["text"] for r in records])
    from curriculum import CurriculumSampler

    order = CurriculumSampler(scores, seed=3, num_replicas=1, rank=0).global_order(1)
    for r, share in enumerate(curriculum["shares"]):
        assert share == rank_share(order, WORLD, r).tolist()
    merged = np.concatenate([np.array(share) for share in curriculum["shares"]])
    assert set(merged.tolist()) == set(range(500)) and merged.size == 501  # one padded repeat
    assert curriculum["resumed"]
