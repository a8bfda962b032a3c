"""Recipes: phase order, replay and floor shares, exactly-once, resume mid-phase, errors."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curriculum.phases import Floor, Phase, Recipe, RecipeSampler, example_recipe


@pytest.fixture(scope="module")
def records(demo_records: list[dict]) -> list[dict]:
    return demo_records[:700] + demo_records[-200:]  # fortunes and technical paragraphs


@pytest.fixture(scope="module")
def plan(records: list[dict]):
    recipe = Recipe(
        [
            Phase("technical", select={"source": "debian-reference"}, order="readability"),
            Phase("quotes", order="length", pacing="linear", replay=0.2),
        ],
        floor=Floor(select={"source": "debian-reference"}, share=0.1, window=50),
    )
    return recipe.plan(records)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31), st.integers(0, 3))
def test_phase_order_replay_floor_and_exactly_once(plan, seed: int, epoch: int) -> None:
    order, phase, kind = plan.order(seed, epoch)
    own = order[kind == 0]
    assert sorted(own.tolist()) == list(range(900))  # every selected sample once
    assert np.all(np.diff(phase) >= 0)  # phases in order
    of = plan.phase_of()
    assert np.array_equal(of[own], phase[kind == 0])  # own samples only in their phase
    # Replays come from earlier phases only, at the asked share (within one sample).
    quotes = (phase == 1) & (kind != 2)
    replay = quotes & (kind == 1)
    assert np.all(of[order[replay]] == 0)
    assert abs(replay.sum() / quotes.sum() - 0.2) < 1 / quotes.sum() + 1e-9
    # The floor: at least ceil(0.1 * 50) = 5 technical texts in every full window of 50.
    hits = plan.floor_mask[order]
    assert min(hits[i : i + 50].sum() for i in range(0, order.size - 49, 50)) >= 5
    assert np.all(plan.floor_mask[order[kind == 2]])


def test_floor_from_the_first_token_repeats_what_is_needed(records: list[dict]) -> None:
    recipe = Recipe(
        [
            Phase("quotes", select={"source": ["fortunes/definitions", "fortunes/cookie"]}),
            Phase("rest"),
        ],
        floor=Floor(select={"source": "debian-reference"}, share=0.2, window=20),
    )
    order, _, kind = recipe.plan(records).order(0)
    technical = np.array([r["source"] == "debian-reference" for r in records])
    assert technical[order[:20]].sum() >= 4  # present from step 0, before their own phase
    assert (kind == 2).sum() > 0


def test_recipe_sampler_resumes_mid_phase_and_splits_ranks(plan) -> None:
    sampler = RecipeSampler(plan, seed=4)
    sampler.set_epoch(2)
    full = list(sampler)
    assert full == plan.order(4, 2)[0].tolist()
    boundary = int((plan.order(4, 2)[1] == 0).sum())
    k = boundary + 37  # inside the second phase
    it = iter(sampler)
    head = list(itertools.islice(it, k))
    state = json.loads(json.dumps(sampler.state_dict()))
    fresh = RecipeSampler(plan, seed=4)
    fresh.load_state_dict(state)
    assert head + list(fresh) == full
    other = RecipeSampler(plan, seed=5)
    with pytest.raises(ValueError, match=r"seed: saved 4, this sampler 5"):
        other.load_state_dict(state)
    from collections import Counter

    shares = [list(RecipeSampler(plan, seed=4, num_replicas=3, rank=r)) for r in range(3)]
    epoch0 = plan.order(4, 0)[0].tolist()
    padding = epoch0[: (-len(epoch0)) % 3]  # as DistributedSampler pads
    assert Counter(itertools.chain(*shares)) == Counter(epoch0 + padding)
    assert len({len(share) for share in shares}) == 1


def test_shares_set_phase_lengths_and_repeat_a_small_pool(records: list[dict]) -> None:
    recipe = Recipe(
        [
            Phase("technical", select={"source": "debian-reference"}, share=0.5),
            Phase("quotes", share=0.5),
        ],
        total=600,
    )
    p = recipe.plan(records)
    assert p.lengths == [300, 300]
    order, phase, _ = p.order(1)
    tech = order[phase == 0]
    pool = p.pools[0].size
    assert pool < 300 and len(set(tech.tolist())) == pool  # the whole pool, then repeats


def test_framing_per_phase(records: list[dict]) -> None:
    recipe = Recipe(
        [
            Phase("a", select={"source": "debian-reference"}, framing=("first_person",)),
            Phase("b", framing=("social_scene", "mode:human")),
        ]
    )
    p = recipe.plan(records)
    a, b = int(p.pools[0][0]), int(p.pools[1][0])
    assert records[a]["text"] in p.framed(a) and p.framed(a) != records[a]["text"]
    assert p.framed(b).startswith("<human>") and "Me (" in p.framed(b)


def test_shipped_recipes_run_on_the_shipped_corpus(demo_records: list[dict]) -> None:
    for name in ("model_spec_midtraining", "model_raising"):
        p = example_recipe(name).plan(demo_records)
        order, phase, kind = p.order(0)
        assert sorted(order[kind == 0].tolist()) == list(range(len(demo_records)))
        assert np.all(np.diff(phase) >= 0)
        hits = p.floor_mask[order]
        assert min(hits[i : i + 100].sum() for i in range(0, order.size - 99, 100)) >= 5
    raising = example_recipe("model_raising").plan(demo_records)
    order, phase, kind = raising.order(0)
    depth = np.array([r["depth"] for r in raising.records])
    first = order[(phase == 0) & (kind == 0)]
    assert np.all(np.diff(depth[first]) >= 0)  # value texts in graph order


def _doc(**changes: object) -> dict:
    doc = {"phases": [{"name": "a", "select": {"source": "debian-reference"}}, {"name": "b"}]}
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("doc", "error", "match"),
    [
        ({"phases": []}, ValueError, r"a recipe needs at least one phase"),
        ({}, ValueError, r"needs a top-level 'phases' list"),
        (
            {"phases": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.4}]},
            ValueError,
            r"phase shares must add up to 1, but they add up to 0.9",
        ),
        (
            {"phases": [{"name": "a", "share": 0.5}, {"name": "b"}]},
            ValueError,
            r"give every phase a share or none",
        ),
        ({"phases": [{"name": "a", "replay": 0.1}]}, ValueError, r"no earlier phase to replay"),
        (
            {"phases": [{"name": "a", "framing": ["shout"]}]},
            ValueError,
            r"unknown framing 'shout'",
        ),
        ({"phases": [{"name": "a", "weight": 1}]}, ValueError, r"unknown keys \['weight'\]"),
        ({"phases": [{"name": "a"}, {"name": "a"}]}, ValueError, r"phase names must be unique"),
        (
            _doc(floor={"select": None, "share": 1.5}),
            ValueError,
            r"floor share must be in \(0, 1\)",
        ),
        (_doc(extra=1), ValueError, r"unknown top-level keys \['extra'\]"),
    ],
)
def test_bad_recipes(doc: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Recipe.from_dict(doc)


def test_bad_plans(records: list[dict]) -> None:
    with pytest.raises(ValueError, match=r"phase 'a' selects no sample"):
        Recipe([Phase("a", select={"source": "nowhere"})]).plan(records)
    with pytest.raises(ValueError, match=r"select uses unknown field 'role'; fields are"):
        Recipe([Phase("a", select={"role": "explains"})]).plan(records)
    with pytest.raises(ValueError, match=r"order field 'id' must hold a number"):
        Recipe([Phase("a", order={"field": "id"})]).plan(records)


def test_yaml_recipe_and_plan_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from curriculum.cli import main

    path = tmp_path / "r.yaml"
    path.write_text(
        yaml.safe_dump(
            _doc(
                name="two",
                floor={"select": {"source": "debian-reference"}, "share": 0.1, "window": 50},
            )
        )
    )
    assert Recipe.load(path).name == "two"
    assert main(["plan", str(path), "--fields", "source", "--plot", str(tmp_path / "p.png")]) == 0
    out = capsys.readouterr().out
    assert "recipe 'two'" in out and "floor: at least" in out
    assert (tmp_path / "p.png").stat().st_size > 5000
    assert main(["plan", "model_spec_midtraining", "--plot", str(tmp_path / "m.png")]) == 0
    assert "value explanations" in capsys.readouterr().out
    assert main(["plan", "nonesuch"]) == 1
    assert "no shipped recipe 'nonesuch'" in capsys.readouterr().err


def test_select_by_scorer_threshold_and_samples(records: list[dict]) -> None:
    from curriculum import ReadabilityScorer

    grade = ReadabilityScorer().score([r["text"] for r in records])
    recipe = Recipe(
        [
            Phase("easy", select={"score": {"scorer": "readability", "max": 5}}, samples=50),
            Phase("rest"),
        ]
    )
    p = recipe.plan(records)
    assert np.all(grade[p.pools[0]] <= 5) and p.lengths[0] == 50
    _, phase, _ = p.order(0)
    assert (phase == 0).sum() == 50  # only 50 of the easy pool this epoch
    assert RecipeSampler(p, seed=2).global_order(1).tolist() == p.order(2, 1)[0].tolist()
    with pytest.raises(ValueError, match=r"give share or samples, not both"):
        Recipe([Phase("a", share=1.0, samples=3)])


def test_mode_from_a_scorer_threshold() -> None:
    from curriculum import LengthScorer, ModeTagger

    tagger = ModeTagger(mode=ModeTagger.threshold_mode(LengthScorer(), 3, "human", "model"))
    assert tagger({"text": "short one"}) == "<human>short one</human>"
    assert tagger({"text": "a much longer text"}).startswith("<model>")


def test_sampler_length_follows_each_epoch(records: list[dict]) -> None:
    """Floor repeats depend on the epoch's order, so the epoch length does too."""
    recipe = Recipe(
        [
            Phase("quotes", select={"source": ["fortunes/definitions", "fortunes/cookie"]}),
            Phase("rest"),
        ],
        floor=Floor(select={"source": "debian-reference"}, share=0.2, window=20),
    )
    p = recipe.plan(records)
    sampler = RecipeSampler(p, seed=0)
    sizes = []
    for epoch in range(4):
        sampler.set_epoch(epoch)
        sizes.append(len(sampler))
        assert len(sampler) == len(list(sampler)) == p.order(0, epoch)[0].size
    assert len(set(sizes)) > 1
