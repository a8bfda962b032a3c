"""Recipes: phase order, replay and floor shares, exactly-once, resume mid-phase, errors."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curriculum.recipes import (
    Floor,
    Kind,
    Phase,
    Recipe,
    RecipeSampler,
    example_recipe,
    sliding_minimum,
)


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
    # The floor: at least ceil(0.1 * 50) = 5 technical texts in every sliding window of 50.
    assert sliding_minimum(plan.floor_mask[order], 50) >= 5
    assert np.all(plan.floor_mask[order[kind == Kind.FLOOR]])


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
    sampler.set_epoch(2)  # replay the epoch
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

    for drop_last in (False, True):
        samplers = [
            RecipeSampler(plan, seed=4, num_replicas=3, rank=r, drop_last=drop_last)
            for r in range(3)
        ]
        shares = [list(s) for s in samplers]
        whole = plan.order(4, 0, num_replicas=3, drop_last=drop_last)
        if not drop_last:  # padded with floor repeats, so the ranks split it evenly
            assert whole.indices.size % 3 == 0
            assert Counter(itertools.chain(*shares)) == Counter(whole.indices.tolist())
        assert len({len(share) for share in shares}) == 1
        for share in shares:  # the floor holds in every sliding window of every rank
            assert sliding_minimum(plan.floor_mask[np.array(share)], 50) >= 5
    # Elastic: a state of 3 ranks resumes 2 ranks; they read the rest of the 3-rank order.
    threes = [RecipeSampler(plan, seed=4, num_replicas=3, rank=r) for r in range(3)]
    heads = [list(itertools.islice(iter(s), 20)) for s in threes]
    state = json.loads(json.dumps(threes[2].state_dict()))
    twos = [RecipeSampler(plan, seed=4, num_replicas=2, rank=r) for r in range(2)]
    for s in twos:
        s.load_state_dict(state)
    rests = [list(s) for s in twos]
    whole = plan.order(4, 0, num_replicas=3).indices.tolist()
    assert sorted(itertools.chain(*heads)) == sorted(whole[:60])
    assert sorted(set(itertools.chain(*rests))) == sorted(set(whole[60:]))
    assert len(rests[0]) == len(rests[1]) == -(-(len(whole) - 60) // 2)  # padded for 2 ranks
    assert rests[0] == whole[60::2] and rests[1][: len(whole[61::2])] == whole[61::2]


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
        assert sliding_minimum(p.floor_mask[order], 100) >= 5
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
        ({"phases": 5}, ValueError, r"'phases' must be a list of phases .* but got phases: 5"),
        ({"phases": ["a"]}, ValueError, r"phases\[0\] must be a mapping with a name"),
        (
            {"phases": [{"name": "a", "framing": ["mode:human", "mode:model"]}]},
            ValueError,
            r"phase 'a' has 2 mode tags \['human', 'model'\]; a text has one mode",
        ),
        (
            {"phases": [{"name": "a", "framing": ["mode:1x"]}]},
            ValueError,
            r"mode names must be valid XML names",
        ),
        (
            _doc(floor={"select": {"source": "x"}, "share": 0.99, "window": 50}),
            ValueError,
            r"asks for 50 floor texts in every 50 samples, leaving no room",
        ),
        (_doc(floor=[1]), ValueError, r"floor must be a mapping with select, share"),
        (_doc(floor={"select": None, "share": 0.1, "every": 3}), ValueError, r"unknown keys"),
        (_doc(floor={"select": None, "share": 0.1}), ValueError, r"the floor must select"),
        (_doc(annotate={"graf": "values"}), ValueError, r"annotate has unknown keys \['graf'\]"),
        (_doc(annotate=[1]), TypeError, r"annotate must be a mapping"),
        (
            {"phases": [{"name": "a", "share": "half"}]},
            ValueError,
            r"phase shares must be numbers in \(0, 1\]",
        ),
        ({"phases": [{"name": "a"}, {"name": "b", "replay": "x"}]}, TypeError, r"replay must be"),
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
    with pytest.raises(ValueError, match=r"order field 'id' must hold a finite number"):
        Recipe([Phase("a", order={"field": "id"})]).plan(records)
    with pytest.raises(TypeError, match=r"records\[1\] is str"):
        Recipe([Phase("a")]).plan([records[0], "text"])
    with pytest.raises(ValueError, match=r"select score min must be a number"):
        Recipe([Phase("a", select={"score": {"scorer": "length", "min": "5"}})]).plan(records)


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


def _roles(records: list[dict], flip: int = 0) -> list[dict]:
    """Records with a `role` field; the first `flip` explanations are marked demonstrations."""
    out, flipped = [], 0
    for i, r in enumerate(records):
        role = "explains" if i % 3 else "demonstrates"
        if role == "explains" and flipped < flip:
            role, flipped = "demonstrates", flipped + 1
        out.append({**r, "role": role})
    return out


def test_a_state_resumes_only_a_plan_with_the_same_selection(records: list[dict]) -> None:
    recipe = Recipe([Phase("explains", select={"role": "explains"}), Phase("rest")])
    plan_a = recipe.plan(_roles(records))
    plan_b = recipe.plan(_roles(records, flip=52))  # same texts, 52 roles differ
    sampler = RecipeSampler(plan_a, seed=1)
    it = iter(sampler)
    head = [next(it) for _ in range(100)]
    state = sampler.state_dict()
    with pytest.raises(ValueError, match=r"plan: saved '[0-9a-f]+', this sampler '[0-9a-f]+'"):
        RecipeSampler(plan_b, seed=1).load_state_dict(state)
    same = RecipeSampler(recipe.plan(_roles(records)), seed=1)
    same.load_state_dict(state)
    assert head + list(same) == list(RecipeSampler(plan_a, seed=1))


def test_a_state_from_one_lambda_does_not_resume_another(records: list[dict]) -> None:
    def recipe(select, pacing="root"):
        return Recipe([Phase("some", select=select, pacing=pacing), Phase("rest")])

    short = recipe(lambda r: len(r["text"]) < 80).plan(records)
    long = recipe(lambda r: len(r["text"]) < 120).plan(records)
    state = RecipeSampler(short, seed=0).state_dict()
    with pytest.raises(ValueError, match=r"different run"):
        RecipeSampler(long, seed=0).load_state_dict(state)
    RecipeSampler(recipe(lambda r: len(r["text"]) < 80).plan(records)).load_state_dict(state)
    # Two pacing lambdas with one name: refused by the order itself, and the error says why.
    technical = {"source": "debian-reference"}
    slow = recipe(technical, pacing=lambda t: 0.1 + 0.9 * t).plan(records)
    fast = recipe(technical, pacing=lambda t: min(1.0, 0.5 + t)).plan(records)
    state = RecipeSampler(slow, seed=0).state_dict()
    with pytest.raises(ValueError, match=r"the global order of epoch 0 differs .* callable"):
        RecipeSampler(fast, seed=0).load_state_dict(state)


def test_an_end_of_epoch_state_resumes_when_that_epoch_was_longer(records: list[dict]) -> None:
    recipe = Recipe(
        [
            Phase("quotes", select={"source": ["fortunes/definitions", "fortunes/cookie"]}),
            Phase("rest"),
        ],
        floor=Floor(select={"source": "debian-reference"}, share=0.2, window=20),
    )
    p = recipe.plan(records)
    lengths = {e: p.order(0, e).indices.size for e in range(8)}
    longer = max(lengths, key=lambda e: lengths[e])
    shorter = min(lengths, key=lambda e: lengths[e])
    assert lengths[longer] > lengths[shorter]
    sampler = RecipeSampler(p)
    sampler.set_epoch(longer)
    assert len(list(sampler)) == lengths[longer]
    state = sampler.state_dict()
    assert state["position"] == lengths[longer]
    fresh = RecipeSampler(p)
    fresh.set_epoch(shorter)  # the new sampler sits at a shorter epoch
    fresh.load_state_dict(state)
    assert fresh.epoch == longer
    assert list(fresh) == []  # the rest of that epoch: nothing


def test_roles_given_in_the_data_order_concept_phases(demo_records: list[dict]) -> None:
    from curriculum import ConceptGraphScorer, example_value_graph

    graph = example_value_graph()
    recipe = Recipe(
        [Phase("values", select={"has_concept": True}, order="concept_graph", pacing="levels")],
        annotate={"graph": "values"},
    )
    annotated = recipe.plan(demo_records).records
    chosen = [r for r in annotated if r["has_concept"]]
    # Roles from the data: the opposite of the heuristic, so the heuristic cannot pass this.
    from curriculum.scorers.concepts import guess_role

    given = [
        {
            **r,
            "role": "explains" if guess_role(r["text"]) == "demonstrates" else "demonstrates",
        }
        for r in chosen
    ]
    p = recipe.plan(given)
    order = p.order(0).indices
    level = ConceptGraphScorer(graph, roles=None).levels([r["text"] for r in given])
    key = 2 * level[order] + np.array([given[i]["role"] == "demonstrates" for i in order])
    assert np.all(np.diff(key) >= 0)  # explanations (by the data) before demonstrations


def test_recipe_scores_go_through_the_cache_and_are_keyed_by_graph(
    tmp_path: Path, records: list[dict]
) -> None:
    import yaml

    from curriculum import example_value_graph

    doc = example_value_graph().to_dict()
    for concept in doc["concepts"]:  # a graph where every value is a root
        concept["requires"] = []
    flat = tmp_path / "flat.yaml"
    flat.write_text(yaml.safe_dump(doc))

    def recipe(graph: str) -> Recipe:
        return Recipe([Phase("all", order="concept_graph")], annotate={"graph": graph})

    cache = tmp_path / "cache"
    deep = recipe("values").plan(records, cache=cache)
    shallow = recipe(str(flat)).plan(records, cache=cache)
    assert sorted(p.name.split("-")[0] for p in cache.glob("*.npy")) == ["concept_graph"] * 2
    assert deep.keys[0].max() > shallow.keys[0].max()  # the second graph was not served the first
    again = recipe("values").plan(records, cache=cache)
    assert np.array_equal(again.keys[0], deep.keys[0])


def test_shipped_recipes_by_either_spelling() -> None:
    assert example_recipe("model-raising").name == example_recipe("model_raising").name
    with pytest.raises(ValueError, match=r"no shipped recipe 'model raising'"):
        example_recipe("model raising")


def test_floor_per_rank_and_padding_through_the_sampler(demo_records: list[dict]) -> None:
    plan = example_recipe("model_spec_midtraining").plan(demo_records)
    for replicas in (2, 3, 7):
        for rank in range(replicas):
            share = list(RecipeSampler(plan, seed=2, num_replicas=replicas, rank=rank))
            assert sliding_minimum(plan.floor_mask[np.array(share)], 100) >= 5


def test_a_rank_left_empty_by_drop_last_is_refused(records: list[dict]) -> None:
    plan = Recipe([Phase("a")]).plan(records[:3])
    with pytest.raises(ValueError, match=r"drop_last=True with 3 draws per epoch and num_rep"):
        RecipeSampler(plan, num_replicas=4, rank=0, drop_last=True)
    assert len(RecipeSampler(plan, num_replicas=4, rank=3)) == 1  # padded instead


def test_small_shares_graph_paths_and_odd_settings(tmp_path: Path, records: list[dict]) -> None:
    import yaml

    from curriculum import example_value_graph

    assert Floor(select={"source": "x"}, share=1e-300, window=10).need == 1
    (tmp_path / "graphs").mkdir()
    (tmp_path / "graphs" / "g.yaml").write_text(yaml.safe_dump(example_value_graph().to_dict()))
    (tmp_path / "recipes").mkdir()
    recipe_file = tmp_path / "recipes" / "r.yaml"
    recipe_file.write_text(
        yaml.safe_dump(
            {
                "phases": [{"name": "a", "order": "concept_graph"}],
                "annotate": {"graph": "../graphs/g.yaml"},
            }
        )
    )
    plan = Recipe.load(recipe_file).plan(records)  # the graph is found beside the recipe
    assert "concept" in plan.records[0]
    with pytest.raises(FileNotFoundError, match=r"looked for .*nowhere.yaml"):
        Recipe([Phase("a")], annotate={"graph": "nowhere.yaml"}).plan(records)
