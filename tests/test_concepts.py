"""Value-concept graphs and the concept scorer, on real passages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curriculum import ConceptGraph, ConceptGraphScorer, CurriculumSampler, example_value_graph
from curriculum.pacing import Step
from curriculum.scorers import combine, guess_role

SMALL = {
    "concepts": [
        {"name": "honesty", "description": "Telling the truth.", "keywords": ["truth", "lie"]},
        {"name": "care", "description": "Kindness to others.", "keywords": ["kindness", "love"]},
        {
            "name": "trust",
            "description": "Being reliable.",
            "keywords": ["trust", "promise"],
            "requires": ["honesty"],
        },
        {
            "name": "integrity",
            "description": "Acting on one's values.",
            "keywords": ["integrity", "conscience"],
            "requires": ["trust", "care"],
        },
    ]
}


def test_depths_order_and_prerequisites() -> None:
    g = ConceptGraph.from_dict(SMALL)
    assert g.depths == {"honesty": 0, "care": 0, "trust": 1, "integrity": 2}
    assert g.order() == ["care", "honesty", "trust", "integrity"]
    assert g.prerequisites("integrity") == {"trust", "care", "honesty"}
    assert g.max_depth == 2 and len(g) == 4


def test_yaml_and_json_files_round_trip(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "g.yaml").write_text(yaml.safe_dump(SMALL))
    (tmp_path / "g.json").write_text(json.dumps(SMALL))
    a = ConceptGraph.load(tmp_path / "g.yaml")
    b = ConceptGraph.load(tmp_path / "g.json")
    assert a.to_dict() == b.to_dict() == ConceptGraph.from_dict(a.to_dict()).to_dict()


def test_example_value_graph_has_real_structure() -> None:
    g = example_value_graph()
    assert len(g) >= 12 and g.max_depth >= 3
    assert {"honesty", "care", "fairness", "responsibility"} <= set(g.concepts)
    assert all(len(c.description) > 80 and c.keywords for c in g)
    assert g.prerequisites("wisdom") >= {"honesty", "justice"}


def _with(concepts: list[dict]) -> dict:
    return {"concepts": concepts}


@pytest.mark.parametrize(
    ("doc", "error", "match"),
    [
        (_with([]), ValueError, r"must hold at least one concept, but got none"),
        ({"values": []}, ValueError, r"needs a top-level 'concepts' list"),
        (
            _with([{"name": "a", "description": "x"}, {"name": "a", "description": "y"}]),
            ValueError,
            r"concept names must be unique, but \['a'\] appear more than once",
        ),
        (_with([{"name": "a"}]), ValueError, r"concept 'a' has no description: write in prose"),
        (
            _with([{"name": "a", "description": "  "}]),
            ValueError,
            r"concept 'a' has no description",
        ),
        (
            _with([{"name": "a", "description": "x", "requires": ["b"]}]),
            ValueError,
            r"concept 'a' requires unknown concept\(s\) \['b'\]; known concepts: \['a'\]",
        ),
        (
            _with(
                [
                    {"name": "a", "description": "x", "requires": ["c"]},
                    {"name": "b", "description": "x", "requires": ["a"]},
                    {"name": "c", "description": "x", "requires": ["b"]},
                ]
            ),
            ValueError,
            r"the concept graph has a cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)",
        ),
        (
            _with([{"name": "a", "description": "x", "requires": ["a"]}]),
            ValueError,
            r"has a cycle: a -> a",
        ),
        (
            _with([{"name": "a", "description": "x", "keywords": "truth"}]),
            TypeError,
            r"concept 'a': keywords must be a list of non-empty strings, but got 'truth'",
        ),
        (
            _with([{"name": "a", "description": "x", "needs": []}]),
            ValueError,
            r"concepts\[0\] has unknown fields \['needs'\]",
        ),
        (_with(["honesty"]), TypeError, r"concepts\[0\] must be a mapping"),
    ],
)
def test_bad_graphs_are_named(doc: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        ConceptGraph.from_dict(doc)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"concept graph file .* does not exist"):
        ConceptGraph.load(tmp_path / "none.yaml")
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(ValueError, match=r"empty.yaml is empty: write the concept graph in it"):
        ConceptGraph.load(tmp_path / "empty.yaml")
    (tmp_path / "bad.yaml").write_text("concepts: [")
    with pytest.raises(ValueError, match=r"is not valid YAML"):
        ConceptGraph.load(tmp_path / "bad.yaml")
    (tmp_path / "g.txt").write_text("x")
    with pytest.raises(ValueError, match=r"must be .yaml, .yml or .json"):
        ConceptGraph.load(tmp_path / "g.txt")


TEXTS = [
    "Always tell the truth; a lie costs more than it saves.",  # honesty, explains
    '"Did you lie?" she asked. "No," he said.',  # honesty, demonstrates
    "Kindness is the language the deaf can hear.",  # care
    "Never trust a man who breaks a promise.",  # trust (+ nothing else)
    "Integrity means acting on your conscience when nobody watches.",  # integrity
    "The printer is out of toner again.",  # none
]


def test_keyword_assignment_levels_and_roles() -> None:
    scorer = ConceptGraphScorer(ConceptGraph.from_dict(SMALL))
    assert scorer.assign_concepts(TEXTS) == [
        ("honesty",),
        ("honesty",),
        ("care",),
        ("trust",),
        ("integrity",),
        (),
    ]
    assert scorer.levels(TEXTS).tolist() == [0, 0, 0, 1, 2, 3]
    assert [guess_role(t) for t in TEXTS[:2]] == ["explains", "demonstrates"]
    scores = scorer.score(TEXTS)
    assert scores[0] < scores[1]  # explanation before demonstration at the same depth
    assert scores[1] < scores[3] < scores[4] < scores[5]
    given = scorer.score(TEXTS, roles=["demonstrates"] * 6)
    assert given.tolist() == [1, 1, 1, 3, 5, 7]
    flat = ConceptGraphScorer(ConceptGraph.from_dict(SMALL), roles=None, unassigned="first")
    assert flat.score(TEXTS).tolist() == [0, 0, 0, 1, 2, -1]
    assert ConceptGraphScorer(ConceptGraph.from_dict(SMALL), unassigned=1).levels(TEXTS)[-1] == 1
    counts = scorer.concept_counts(TEXTS)
    assert counts == {"care": 1, "honesty": 2, "trust": 1, "integrity": 1, "(none)": 1}


def test_scorer_errors() -> None:
    g = ConceptGraph.from_dict(SMALL)
    with pytest.raises(ValueError, match=r"assign must be 'keywords' or 'embedding'"):
        ConceptGraphScorer(g, assign="regex").score(TEXTS)
    with pytest.raises(ValueError, match=r"unassigned must be 'first', 'last' or an integer depth"):
        ConceptGraphScorer(g, unassigned="middle").score(TEXTS)
    with pytest.raises(ValueError, match=r"roles has 1 values but there are 6 texts"):
        ConceptGraphScorer(g).score(TEXTS, roles=["explains"])
    with pytest.raises(ValueError, match=r"roles\[0\]='shows'"):
        ConceptGraphScorer(g).score(TEXTS, roles=["shows"] * 6)
    with pytest.raises(ValueError, match=r"threshold must be a cosine similarity in \[-1, 1\]"):
        ConceptGraphScorer(g, threshold=2.0).score(TEXTS)


@pytest.fixture(scope="module")
def placed(fortune_records: list[dict]) -> dict:
    graph = example_value_graph()
    texts = [r["text"] for r in fortune_records]
    out = {"graph": graph}
    for unassigned in ("first", "last"):
        scorer = ConceptGraphScorer(graph, unassigned=unassigned)
        out[unassigned] = (scorer.score(texts), scorer.primary_concepts(texts))
    return out


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from(["first", "last"]))
def test_step_per_level_gives_zero_ordering_violations(
    placed: dict, seed: int, unassigned: str
) -> None:
    """In the curriculum's epoch, every text of a concept comes after all texts of its
    prerequisites; the check itself fails on a shuffled order."""
    graph = placed["graph"]
    scores, primary = placed[unassigned]
    sampler = CurriculumSampler(scores, pacing=Step.for_groups(scores), seed=seed)
    order = list(sampler)
    assert sorted(order) == list(range(len(scores)))
    assert graph.violations(order, primary) == 0
    sampler.set_epoch(1)  # past num_samples (one epoch): plain shuffling, which does violate it
    assert graph.violations(list(sampler), primary) > 0


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    full_at=st.sampled_from([0.2, 0.5, 0.77, 1.0]),
    replicas=st.integers(1, 5),
    drop_last=st.booleans(),
)
def test_zero_violations_for_any_full_at_on_every_rank(
    placed: dict, seed: int, full_at: float, replicas: int, drop_last: bool
) -> None:
    """One epoch of curriculum: 0 violations for any full_at, on every rank (padding too)."""
    graph = placed["graph"]
    scores, primary = placed["last"]
    pacing = Step.for_groups(scores, full_at=full_at)
    for rank in range(replicas):
        sampler = CurriculumSampler(
            scores, pacing=pacing, seed=seed, num_replicas=replicas, rank=rank, drop_last=drop_last
        )
        assert graph.violations(list(sampler), primary) == 0


def test_every_epoch_of_a_multi_epoch_level_curriculum_keeps_the_order(placed: dict) -> None:
    graph = placed["graph"]
    scores, primary = placed["last"]
    n = len(scores)
    sampler = CurriculumSampler(scores, pacing=Step.for_groups(scores), num_samples=3 * n, seed=4)
    for epoch in range(3):  # each epoch starts before the last stage opens
        sampler.set_epoch(epoch)
        assert graph.violations(list(sampler), primary) == 0
    half = CurriculumSampler(
        scores, pacing=Step.for_groups(scores, full_at=0.5), num_samples=4 * n, seed=4
    )
    half.set_epoch(3)  # starts after everything opened (progress 0.75 > 0.5): a plain shuffle
    assert graph.violations(list(half), primary) > 0


def test_levels_cannot_be_combined_with_strata(placed: dict) -> None:
    scores, _ = placed["last"]
    with pytest.raises(ValueError, match=r"one stage per level .* strata cannot keep"):
        CurriculumSampler(scores, pacing=Step.for_groups(scores), strata=np.arange(len(scores)) % 3)


def test_keywords_with_punctuation_match_whole_words() -> None:
    from curriculum.scorers.concepts import keyword_pattern

    pattern = keyword_pattern(["c++", "c#", ".net", "lie"])
    for text in ("I write C++ daily", "in c#, mostly", "on .NET core", "a white lie."):
        assert pattern.search(text), text
    for text in ("believe me", "c++11 only", "asp.net sites", "abc#"):
        assert not pattern.search(text), text
    graph = ConceptGraph(
        [{"name": "languages", "description": "Programming languages.", "keywords": ["c++"]}]
    )
    assert ConceptGraphScorer(graph).assign_concepts(["I like C++ a lot"]) == [("languages",)]


def test_concept_depth_first_then_readability(fortune_records: list[dict]) -> None:
    from curriculum import ReadabilityScorer

    texts = [r["text"] for r in fortune_records]
    depth = ConceptGraphScorer(example_value_graph(), roles=None).score(texts)
    grade = ReadabilityScorer().score(texts)
    both = combine([depth, grade], mode="lexicographic")
    order = np.argsort(both, kind="stable")
    assert np.all(np.diff(depth[order]) >= 0)  # depth decides
    for level in np.unique(depth):  # readability orders within a depth
        within = grade[order][depth[order] == level]
        assert np.all(np.diff(within) >= 0)


def test_embedding_assignment_uses_the_packaged_model_offline(fortune_records: list[dict]) -> None:
    texts = [r["text"] for r in fortune_records[:150]]
    scorer = ConceptGraphScorer(example_value_graph(), assign="embedding", threshold=0.3)
    assigned = scorer.assign_concepts(texts)
    assert len(assigned) == 150
    assert any(assigned) and not all(assigned)
    keyword = ConceptGraphScorer(example_value_graph()).assign_concepts(texts)
    assert assigned != keyword  # a different, similarity-based assignment


def test_concepts_cli_reports_counts_and_zero_violations(
    tmp_path: Path, fortune_records: list[dict], capsys: pytest.CaptureFixture[str]
) -> None:
    from curriculum.cli import main

    path = tmp_path / "f.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in fortune_records))
    assert main(["concepts", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ordering violations (a text before all texts of its prerequisites): 0" in out
    assert "honesty" in out and "wisdom" in out and "depth 0, explains" in out
    assert main(["concepts", str(path), "--unassigned", "middle"]) == 1
    assert "--unassigned must be first, last or an integer depth" in capsys.readouterr().err
