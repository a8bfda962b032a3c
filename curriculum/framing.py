"""Framing transforms: first-person reading and social scenes, then mode tags, always last.

A framing transform is a pure, deterministic-per-seed function of ``(record, index, epoch)`` that
returns a new text. Each is one subclass of :class:`Framing` with a registry ``name``;
defining the class registers it, so recipes can name it (``framing: [first_person]``):

* :class:`FirstPerson` frames a text as read, remembered or taught to one persistent "I"
  ("Today I'm reading {title}. Let's start: {text}"), picking a template per sample.
* :class:`SocialScene` turns a passage (or a question/answer pair) into a short scripted dialogue
  in which the "I" takes part as a student, peer or family member; a user generator (a callable,
  e.g. a teacher model) can write richer scenes.

:class:`Framer` runs transforms in order and then a :class:`~curriculum.modes.ModeTagger`:
mode tagging is not a transform, so it is the last step by construction, and it escapes every
tag-like string that the text, the record fields the transforms inserted, the templates or a
generator put in (see :mod:`curriculum.modes`).
"""

from __future__ import annotations

import string
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from curriculum._streams import Stream, rng
from curriculum._validation import build_registered, check_int
from curriculum.errors import InvalidTypeError, InvalidValueError
from curriculum.modes import ModeTagger, mode_logits_processor, validate_transitions

__all__ = [
    "DEFAULT_TEMPLATES",
    "FRAMINGS",
    "FirstPerson",
    "Framer",
    "Framing",
    "ModeTagger",
    "SocialScene",
    "get_framing",
    "mode_logits_processor",
    "validate_transitions",
]

#: Templates of the first-person frame: reading, remembering, being taught.
DEFAULT_TEMPLATES: tuple[str, ...] = (
    "Today I'm reading {title}. Let's start: {text}",
    "I am reading {title} and want to remember this part: {text}",
    "I remember reading this in {title}: {text}",
    "{teacher} taught me this today, from {title}: {text}",
    "Something I learned while reading {title}: {text}",
)
_DEFAULTS = {"title": "a passage", "teacher": "My teacher", "source": "a book"}

#: Registered framing transforms by name (filled by subclassing :class:`Framing`).
FRAMINGS: dict[str, type[Framing]] = {}


def _position(index: Any, epoch: Any) -> tuple[int, int]:
    return check_int("index", index, minimum=0), check_int("epoch", epoch, minimum=0)


def _text(record: Mapping[str, Any] | str, field: str = "text") -> tuple[dict[str, Any], str]:
    if not isinstance(record, (str, Mapping)):
        raise InvalidTypeError(
            f"record must be a string or a mapping with {field!r}, but got {type(record).__name__}"
        )
    data = {field: record} if isinstance(record, str) else dict(record)
    if field not in data or not isinstance(data[field], str) or not data[field].strip():
        raise InvalidValueError(
            f"record must hold a non-empty string {field!r}, but got {record!r:.80}"
        )
    return data, data[field]


class Framing(ABC):
    """A framing transform: ``(record, index, epoch) -> text``, pure and deterministic per seed.

    Subclasses set ``name`` (which registers them in :data:`FRAMINGS`), take ``seed=`` as a
    keyword argument, and draw any randomness from their own stream (``curriculum._streams``).
    """

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            FRAMINGS[cls.name] = cls

    @abstractmethod
    def __call__(self, record: Mapping[str, Any] | str, index: int, epoch: int = 0) -> str:
        """The framed text of ``record`` (sample ``index``, in ``epoch``)."""


def get_framing(name: str | Framing, **params: Any) -> Framing:
    """A framing transform from its registered name (with ``params``) or an instance."""
    if isinstance(name, Framing):
        return name
    if not isinstance(name, str):
        raise InvalidTypeError(f"framing must be a name or a Framing, but got {name!r}")
    return build_registered(FRAMINGS, name, "framing", params, alternative="a Framing instance")


class FirstPerson(Framing):
    """Frame texts from one persistent first-person "I".

    Args:
        templates: format strings; each must use ``{text}`` and may use record fields or the
            keys of ``defaults`` (``title``, ``teacher``, ``source`` by default).
        defaults: fallback values for fields a record lacks.
        on_missing: ``"default"`` (use ``defaults``) or ``"error"`` (a record lacking a field a
            template needs is an error).
        seed: picks the template per sample, deterministically with the index and epoch.

    Raises:
        InvalidValueError: a template without ``{text}``, or with a placeholder that is neither a
            known field nor a default (checked against ``fields`` when given).
    """

    name = "first_person"

    def __init__(
        self,
        templates: Sequence[str] = DEFAULT_TEMPLATES,
        *,
        defaults: Mapping[str, str] | None = None,
        fields: Iterable[str] | None = None,
        on_missing: str = "default",
        seed: int = 0,
    ) -> None:
        self.templates = tuple(templates)
        self.defaults = {**_DEFAULTS, **(defaults or {})}
        self.on_missing = on_missing
        self.seed = check_int("seed", seed, minimum=0)
        if isinstance(templates, str) or not self.templates:
            raise InvalidValueError(
                "templates must be a sequence of at least one template, but got "
                f"templates={templates!r:.80}"
            )
        if on_missing not in ("default", "error"):
            raise InvalidValueError(
                f"on_missing must be 'default' or 'error', but got on_missing={on_missing!r}"
            )
        known = set(self.defaults) | {"text"} | set(fields or ())
        for template in self.templates:
            names = _placeholders(template)
            if "text" not in names:
                raise InvalidValueError(f"template {template!r} must contain {{text}}")
            unknown = sorted(n for n in names if n not in known)
            if unknown and fields is not None:
                raise InvalidValueError(
                    f"template {template!r} has unknown placeholder(s) {unknown}; "
                    f"known: {sorted(known)}"
                )
            if unknown and fields is None and on_missing == "default":
                raise InvalidValueError(
                    f"template {template!r} has placeholder(s) {unknown} with no default; "
                    "add them to defaults= or list the record fields in fields="
                )

    def __call__(self, record: Mapping[str, Any] | str, index: int, epoch: int = 0) -> str:
        """The framed text of ``record`` (sample ``index``, in ``epoch``)."""
        data, _ = _text(record)
        index, epoch = _position(index, epoch)
        k = int(rng(self.seed, Stream.FIRST_PERSON, epoch, index).integers(len(self.templates)))
        template = self.templates[k]
        values = {}
        for name in _placeholders(template):
            if name in data and data[name] not in (None, ""):
                values[name] = data[name]
            elif self.on_missing == "default" and name in self.defaults:
                values[name] = self.defaults[name]
            else:
                raise InvalidValueError(
                    f"record {index} lacks field {name!r} needed by template {template!r}; "
                    "add the field, or use on_missing='default' with a default for it"
                )
        return template.format(**values)


def _placeholders(template: str) -> set[str]:
    """The fields a template names; only plain ``{name}`` placeholders are allowed."""
    if not isinstance(template, str):
        raise InvalidTypeError(f"templates must be strings, but got {template!r:.60}")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidValueError(
            f"template {template!r} is not a valid format string: {exc}"
        ) from None
    names = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise InvalidValueError(
                f"template {template!r} has a placeholder with {name!r}, conversion "
                f"{conversion!r} and format spec {spec!r}; use plain {{field}} placeholders "
                "(no format spec, conversion, index or attribute)"
            )
        names.add(name)
    return names


class SocialScene(Framing):
    """Turn a passage or a question/answer pair into a short dialogue the "I" takes part in.

    Args:
        partners: who the "I" talks with, with the "I"'s role, e.g. ``("teacher", "student")``.
        generator: optional ``callable(record, partner, role) -> str`` that writes the scene
            (e.g. a teacher model); the scripted scene is used when it is None.
        seed: picks the partner per sample, deterministically with the index and epoch.
    """

    name = "social_scene"

    PARTNERS: tuple[tuple[str, str], ...] = (
        ("Teacher", "student"),
        ("Friend", "peer"),
        ("Grandmother", "family member"),
    )

    def __init__(
        self,
        partners: Sequence[tuple[str, str]] | None = None,
        *,
        generator: Callable[[Mapping[str, Any], str, str], str] | None = None,
        seed: int = 0,
    ) -> None:
        if isinstance(partners, str):
            raise InvalidTypeError(
                f"partners must be (partner, role) pairs, but got the string {partners!r}"
            )
        self.partners = tuple(partners or self.PARTNERS)
        bad = [
            p
            for p in self.partners
            if not isinstance(p, (tuple, list))
            or len(p) != 2
            or not all(isinstance(x, str) and x.strip() for x in p)
        ]
        if bad:
            raise InvalidValueError(
                f"partners must be (partner, role) pairs of non-empty strings such as "
                f"('Teacher', 'student'), but got {bad[0]!r}"
            )
        self.generator = generator
        self.seed = check_int("seed", seed, minimum=0)

    def __call__(self, record: Mapping[str, Any] | str, index: int, epoch: int = 0) -> str:
        """The scene for ``record``: question/answer pairs become a question and my answer."""
        if not isinstance(record, (str, Mapping)):
            raise InvalidTypeError(
                f"record must be a string or a mapping, but got {type(record).__name__}"
            )
        data = {"text": record} if isinstance(record, str) else dict(record)
        index, epoch = _position(index, epoch)
        k = int(rng(self.seed, Stream.SOCIAL_SCENE, epoch, index).integers(len(self.partners)))
        partner, role = self.partners[k]
        if self.generator is not None:
            scene = self.generator(data, partner, role)
            if not isinstance(scene, str) or not scene.strip():
                raise InvalidValueError(
                    f"the scene generator must return a non-empty string, but for record "
                    f"{index} it returned {scene!r:.80}"
                )
            return scene
        if data.get("question") and data.get("answer"):
            return (
                f"{partner}: {data['question']}\n"
                f"Me ({role}): {data['answer']}\n"
                f"{partner}: Good. Why do you think so?"
            )
        _, text = _text(data)
        return (
            f'{partner}: I want to read something with you. "{text}"\n'
            f"Me ({role}): Let me think about what it says, and what I would do.\n"
            f"{partner}: Take your time; tell me what you make of it."
        )


class Framer:
    """A framing pipeline: transforms in order, then escaping and mode tags, always last.

    Args:
        steps: framing transforms (instances or registered names, built with ``seed``).
        tagger: the :class:`~curriculum.modes.ModeTagger` applied last, or None for no tags. Give
            it every mode of the corpus: tag-like strings of all of them are escaped.
        mode: the mode to wrap in (overrides the tagger's ``mode=``); None uses the tagger's own
            choice per record.
        seed: seed for steps given by name.
    """

    def __init__(
        self,
        steps: Sequence[str | Framing] = (),
        *,
        tagger: ModeTagger | None = None,
        mode: str | None = None,
        seed: int = 0,
    ) -> None:
        if isinstance(steps, str):
            raise InvalidTypeError(f"steps must be a sequence of framings, but got {steps!r}")
        self.steps = [get_framing(s, seed=seed) if isinstance(s, str) else s for s in steps]
        bad = [s for s in self.steps if not isinstance(s, Framing)]
        if bad:
            raise InvalidTypeError(
                f"steps must be Framing transforms or their names, but got {bad[0]!r}; mode "
                "tags are not a step: pass tagger= (they are always applied last)"
            )
        if mode is not None and (tagger is None or mode not in tagger.modes):
            raise InvalidValueError(
                f"mode={mode!r} needs a tagger that knows it, but got tagger={tagger!r}"
            )
        self.tagger = tagger
        self.mode = mode

    def __call__(self, record: Mapping[str, Any] | str, index: int, epoch: int = 0) -> str:
        """``record`` framed by every step, then escaped and tagged."""
        data, text = _text(record)
        for step in self.steps:
            text = step({**data, "text": text}, index, epoch)
        if self.tagger is None:
            return text
        mode = self.mode if self.mode is not None else self.tagger.mode_of({**data, "text": text})
        return self.tagger.tag(text, mode, index)
