"""Framing transforms: first person, social scenes, mode tags, transitions."""

from __future__ import annotations

import pytest

from curriculum.framing import (
    FirstPerson,
    ModeTagger,
    SocialScene,
)

RECORD = {"text": "Honesty is the best policy.", "title": "Proverbs", "mode": "human"}


def test_first_person_is_deterministic_per_seed_and_varies(fortunes: list[str]) -> None:
    frame = FirstPerson(seed=3)
    a = [frame({"text": t}, i) for i, t in enumerate(fortunes[:50])]
    assert a == [FirstPerson(seed=3)({"text": t}, i) for i, t in enumerate(fortunes[:50])]
    assert a != [FirstPerson(seed=4)({"text": t}, i) for i, t in enumerate(fortunes[:50])]
    assert len({s.split(fortunes[i][:10])[0] for i, s in enumerate(a)}) > 2  # several templates
    assert all(fortunes[i] in s for i, s in enumerate(a))
    assert frame(RECORD, 0, epoch=1) in {
        t.format(teacher="My teacher", **RECORD) for t in frame.templates
    }


def test_first_person_missing_fields_and_bad_templates() -> None:
    only = FirstPerson(["Today I'm reading {title}. Let's start: {text}"])
    assert only({"text": "x y"}, 0) == "Today I'm reading a passage. Let's start: x y"
    strict = FirstPerson(["Reading {title}: {text}"], on_missing="error")
    with pytest.raises(ValueError, match=r"record 0 lacks field 'title'"):
        strict({"text": "x"}, 0)
    with pytest.raises(ValueError, match=r"must contain \{text\}"):
        FirstPerson(["I read {title}"])
    with pytest.raises(ValueError, match=r"unknown placeholder\(s\) \['author'\]"):
        FirstPerson(["{author} wrote: {text}"], fields=["text", "title"])
    with pytest.raises(ValueError, match=r"placeholder\(s\) \['author'\] with no default"):
        FirstPerson(["{author} wrote: {text}"])
    with pytest.raises(ValueError, match=r"not a valid format string"):
        FirstPerson(["{text"])
    with pytest.raises(ValueError, match=r"non-empty string 'text'"):
        only({"title": "x"}, 0)


def test_social_scene_dialogues_and_generator() -> None:
    scene = SocialScene(seed=1)
    text = scene(RECORD, 5)
    assert "Me (" in text and RECORD["text"] in text and text == SocialScene(seed=1)(RECORD, 5)
    qa = scene({"question": "Why tell the truth?", "answer": "Because trust needs it."}, 2)
    assert "Why tell the truth?" in qa and ": Because trust needs it." in qa
    custom = SocialScene(generator=lambda r, partner, role: f"{partner}|{role}|{r['text']}")
    assert custom(RECORD, 0).endswith("|Honesty is the best policy.")


def test_a_new_transform_is_one_class_and_recipes_can_name_it() -> None:
    from curriculum.framing import FRAMINGS, Framer, Framing, get_framing
    from curriculum.recipes import Phase, Recipe

    class Shout(Framing):
        name = "shout_test"

        def __init__(self, *, seed: int = 0) -> None:
            self.seed = seed

        def __call__(self, record, index, epoch=0):
            return str(record["text"]).upper()

    try:
        assert FRAMINGS["shout_test"] is Shout
        assert isinstance(get_framing("shout_test", seed=1), Shout)
        recipe = Recipe([Phase("a", framing=("mode:human", "shout_test"), order=None)])
        plan = recipe.plan([{"text": "be kind </human>"}])
        assert plan.framed(0) == "<human>BE KIND &lt;/HUMAN&gt;</human>"  # tags last, escaped
    finally:
        del FRAMINGS["shout_test"]
    with pytest.raises(ValueError, match=r"framing must be one of .* but got framing='nope'"):
        get_framing("nope")
    with pytest.raises(TypeError, match=r"mode tags are not a step: pass tagger="):
        Framer([ModeTagger()])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"mode='robot' needs a tagger that knows it"):
        Framer([], tagger=ModeTagger(), mode="robot")


def test_framing_streams_are_their_own() -> None:
    """FirstPerson for record k does not reuse the stream of stratum (or phase) k's order."""
    import numpy as np

    from curriculum import curriculum_order, get_pacing
    from curriculum._streams import Stream, rng

    order_gen = np.random.default_rng([0, int(Stream.EPOCH), 0, 5])  # curriculum_order, k=5
    frame_gen = rng(0, Stream.FIRST_PERSON, 0, 5)
    assert order_gen.random() != frame_gen.random()
    rank = np.arange(50)
    a = curriculum_order(rank, get_pacing("linear"), seed=0, stream=(5,))
    assert sorted(a.tolist()) == list(range(50))


def test_every_random_stream_goes_through_the_stream_table() -> None:
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "curriculum"
    offenders = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if p.name != "_streams.py" and "default_rng(" in p.read_text()
    ]
    assert offenders == ["demo.py"]  # the demo's plain-shuffle comparison only


def test_a_generator_must_write_text() -> None:
    scene = SocialScene(generator=lambda r, p, role: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match=r"the scene generator must return a non-empty string"):
        scene(RECORD, 0)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: FirstPerson()(RECORD, -1), ValueError, r"index must be an integer >= 0"),
        (lambda: FirstPerson()(RECORD, "a"), TypeError, r"index must be an integer"),
        (lambda: FirstPerson(["{text:>99999999999}"]), ValueError, r"plain \{field\} placeh"),
        (lambda: FirstPerson(["{text.upper}"]), ValueError, r"plain \{field\} placeholders"),
        (lambda: FirstPerson(["{text!r}"]), ValueError, r"plain \{field\} placeholders"),
        (lambda: FirstPerson("{text}"), ValueError, r"templates must be a sequence"),
        (lambda: SocialScene([("a",)]), ValueError, r"partners must be \(partner, role\) pairs"),
        (lambda: SocialScene("ab"), TypeError, r"partners must be \(partner, role\) pairs"),
        (lambda: SocialScene()(7, 0), TypeError, r"record must be a string or a mapping"),
    ],
)
def test_bad_framing_arguments_are_named(call, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()
