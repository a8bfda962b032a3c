"""Framing transforms: first-person reading, social scenes, and XML mode tags.

Pure, deterministic-per-seed functions of ``(record, index, epoch)`` that a dataset or collate
function applies to each sample:

* :class:`FirstPerson` frames a text as read, remembered or taught to one persistent "I"
  ("Today I'm reading {title}. Let's start: {text}"), picking a template per sample.
* :class:`SocialScene` turns a passage (or a question/answer pair) into a short scripted dialogue
  in which the "I" takes part as a student, peer or family member; a user generator (a callable,
  e.g. a teacher model) can write richer scenes.
* :class:`ModeTagger` wraps each text in tags for its mode (``<human>...</human>``), so that the
  tags can be read, steered and constrained at inference. A text that already contains a
  tag-like string for a mode cannot forge a boundary: it is escaped (and counted) or rejected.
  :func:`validate_transitions` checks a generated text's mode transitions against a table.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_TEMPLATES",
    "FirstPerson",
    "ModeTagger",
    "SocialScene",
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
_XML_NAME = re.compile(r"^(?!(?i:xml))[A-Za-z_][A-Za-z0-9_.-]*$")


def _rng(seed: int, index: int, epoch: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([seed, salt, epoch, index])


def _text(record: Mapping[str, Any] | str, field: str = "text") -> tuple[dict[str, Any], str]:
    data = {field: record} if isinstance(record, str) else dict(record)
    if field not in data or not isinstance(data[field], str) or not data[field].strip():
        raise ValueError(f"record must hold a non-empty string {field!r}, but got {record!r:.80}")
    return data, data[field]


class FirstPerson:
    """Frame texts from one persistent first-person "I".

    Args:
        templates: format strings; each must use ``{text}`` and may use record fields or the
            keys of ``defaults`` (``title``, ``teacher``, ``source`` by default).
        defaults: fallback values for fields a record lacks.
        on_missing: ``"default"`` (use ``defaults``) or ``"error"`` (a record lacking a field a
            template needs is an error).
        seed: picks the template per sample, deterministically with the index and epoch.

    Raises:
        ValueError: a template without ``{text}``, or with a placeholder that is neither a
            known field nor a default (checked against ``fields`` when given).
    """

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
        self.seed = seed
        if not self.templates:
            raise ValueError("templates must hold at least one template, but got none")
        if on_missing not in ("default", "error"):
            raise ValueError(
                f"on_missing must be 'default' or 'error', but got on_missing={on_missing!r}"
            )
        known = set(self.defaults) | {"text"} | set(fields or ())
        for template in self.templates:
            names = _placeholders(template)
            if "text" not in names:
                raise ValueError(f"template {template!r} must contain {{text}}")
            unknown = sorted(n for n in names if n not in known)
            if unknown and fields is not None:
                raise ValueError(
                    f"template {template!r} has unknown placeholder(s) {unknown}; "
                    f"known: {sorted(known)}"
                )
            if unknown and fields is None and on_missing == "default":
                raise ValueError(
                    f"template {template!r} has placeholder(s) {unknown} with no default; "
                    "add them to defaults= or list the record fields in fields="
                )

    def __call__(self, record: Mapping[str, Any] | str, index: int, epoch: int = 0) -> str:
        """The framed text of ``record`` (sample ``index``, in ``epoch``)."""
        data, _ = _text(record)
        k = int(_rng(self.seed, index, epoch, 1).integers(len(self.templates)))
        template = self.templates[k]
        values = {}
        for name in _placeholders(template):
            if name in data and data[name] not in (None, ""):
                values[name] = data[name]
            elif self.on_missing == "default" and name in self.defaults:
                values[name] = self.defaults[name]
            else:
                raise ValueError(
                    f"record {index} lacks field {name!r} needed by template {template!r}; "
                    "add the field, or use on_missing='default' with a default for it"
                )
        return template.format(**values)


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        raise ValueError(f"template {template!r} is not a valid format string: {exc}") from None


class SocialScene:
    """Turn a passage or a question/answer pair into a short dialogue the "I" takes part in.

    Args:
        partners: who the "I" talks with, with the "I"'s role, e.g. ``("teacher", "student")``.
        generator: optional ``callable(record, partner, role) -> str`` that writes the scene
            (e.g. a teacher model); the scripted scene is used when it is None.
        seed: picks the partner per sample, deterministically with the index and epoch.
    """

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
        self.partners = tuple(partners or self.PARTNERS)
        if not self.partners:
            raise ValueError("partners must hold at least one (partner, role) pair")
        self.generator = generator
        self.seed = seed

    def __call__(self, record: Mapping[str, Any] | str, index: int, epoch: int = 0) -> str:
        """The scene for ``record``: question/answer pairs become a question and my answer."""
        data = {"text": record} if isinstance(record, str) else dict(record)
        k = int(_rng(self.seed, index, epoch, 2).integers(len(self.partners)))
        partner, role = self.partners[k]
        if self.generator is not None:
            return self.generator(data, partner, role)
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


class ModeTagger:
    """Wrap texts in XML-like tags that mark their mode (whose voice they are in).

    Args:
        modes: mode names, each a valid XML name (e.g. ``("human", "model")``).
        mode: how a record's mode is chosen: a field name, or a callable ``record -> mode``
            (:meth:`threshold_mode` builds one from a scorer threshold).
        on_injection: ``"escape"`` turns tag-like strings of these modes inside a text into
            ``&lt;...&gt;`` (and counts them in :attr:`escaped`); ``"reject"`` raises.

    Attributes:
        escaped: how many tag-like strings were escaped so far.
    """

    def __init__(
        self,
        modes: Sequence[str] = ("human", "model"),
        *,
        mode: str | Callable[[Mapping[str, Any]], str] = "mode",
        on_injection: str = "escape",
    ) -> None:
        self.modes = tuple(modes)
        if not self.modes:
            raise ValueError("modes must hold at least one mode name")
        bad = [m for m in self.modes if not isinstance(m, str) or not _XML_NAME.match(m)]
        if bad:
            raise ValueError(
                f"mode names must be valid XML names (a letter or _, then letters, digits, "
                f"_ . -; not starting with 'xml'), but got {bad}"
            )
        if len(set(self.modes)) != len(self.modes):
            raise ValueError(f"mode names must be unique, but got {list(self.modes)}")
        if on_injection not in ("escape", "reject"):
            raise ValueError(
                f"on_injection must be 'escape' or 'reject', but got on_injection={on_injection!r}"
            )
        self.mode = mode
        self.on_injection = on_injection
        self.escaped = 0
        names = "|".join(re.escape(m) for m in self.modes)
        self._tag = re.compile(rf"<\s*/?\s*({names})\s*/?\s*>", re.IGNORECASE)

    @staticmethod
    def threshold_mode(
        scorer: Any, threshold: float, below: str, above: str, *, field: str = "text"
    ) -> Callable[[Mapping[str, Any]], str]:
        """A ``mode=`` callable from a scorer threshold: ``below`` under it, else ``above``."""

        def mode(record: Mapping[str, Any]) -> str:
            value = float(scorer.score([record[field]])[0])
            return below if value < threshold else above

        return mode

    def special_tokens(self) -> list[str]:
        """Every opening and closing tag, for ``tokenizer.add_special_tokens``."""
        return [t for m in self.modes for t in (f"<{m}>", f"</{m}>")]

    def mode_of(self, record: Mapping[str, Any]) -> str:
        """The mode of a record, from its field or the callable."""
        value = self.mode(record) if callable(self.mode) else record.get(self.mode)
        if value not in self.modes:
            raise ValueError(
                f"mode must be one of {list(self.modes)}, but the record gives {value!r}"
            )
        return str(value)

    def __call__(self, record: Mapping[str, Any], index: int = 0, epoch: int = 0) -> str:
        """``<mode>text</mode>``, with tag-like strings inside the text escaped or refused."""
        _, text = _text(record)
        mode = self.mode_of(record)
        found = self._tag.findall(text)
        if found:
            if self.on_injection == "reject":
                raise ValueError(
                    f"record {index} contains {len(found)} tag-like string(s) for modes "
                    f"{sorted(set(found))}, which could forge a mode boundary; clean the text "
                    "or use on_injection='escape'"
                )
            self.escaped += len(found)
            text = self._tag.sub(
                lambda m: m.group(0).replace("<", "&lt;").replace(">", "&gt;"), text
            )
        return f"<{mode}>{text}</{mode}>"

    def transitions(self, text: str) -> list[str]:
        """The sequence of modes opened in ``text`` (closing tags are checked to match)."""
        opened: list[str] = []
        current: str | None = None
        for match in re.finditer(r"<(/?)([A-Za-z_][A-Za-z0-9_.-]*)>", text):
            closing, name = match.group(1) == "/", match.group(2)
            if name not in self.modes:
                continue
            if closing:
                if name != current:
                    raise ValueError(f"</{name}> closes {current!r}: the tags are not nested")
                current = None
            else:
                if current is not None:
                    raise ValueError(f"<{name}> opens inside <{current}>: modes do not nest")
                current = name
                opened.append(name)
        return opened


def validate_transitions(
    text: str, tagger: ModeTagger, allowed: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Mode transitions in ``text`` that the table does not allow (empty list: all allowed).

    Args:
        text: a (generated) text with mode tags.
        tagger: defines the modes.
        allowed: ``(from_mode, to_mode)`` pairs that may follow each other.

    Raises:
        ValueError: the table names a mode the tagger does not know.
    """
    table = {(str(a), str(b)) for a, b in allowed}
    unknown = sorted({m for pair in table for m in pair} - set(tagger.modes))
    if unknown:
        raise ValueError(
            f"the transition table names unknown mode(s) {unknown}; modes are {list(tagger.modes)}"
        )
    modes = tagger.transitions(text)
    return [(a, b) for a, b in itertools.pairwise(modes) if (a, b) not in table]


def mode_logits_processor(
    tokenizer: Any, tagger: ModeTagger, allowed: Iterable[tuple[str, str]]
) -> Any:
    """A ``transformers`` LogitsProcessor that bans disallowed mode transitions while generating.

    After the last mode tag opened in a sequence, the opening tags of modes that may not follow it
    get ``-inf``. The tags must be single tokens: add them first with
    ``tokenizer.add_special_tokens({"additional_special_tokens": tagger.special_tokens()})``.
    """
    from transformers import LogitsProcessor

    table = {(str(a), str(b)) for a, b in allowed}
    validate_transitions("", tagger, table)  # checks the table's modes
    open_ids: dict[str, int] = {}
    for mode in tagger.modes:
        ids = tokenizer.encode(f"<{mode}>", add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(
                f"<{mode}> is {len(ids)} tokens for this tokenizer; add the tags as special "
                "tokens first (tagger.special_tokens())"
            )
        open_ids[mode] = ids[0]
    mode_of_id = {i: m for m, i in open_ids.items()}

    class ModeTransitionProcessor(LogitsProcessor):
        def __call__(self, input_ids: Any, scores: Any) -> Any:
            for row, ids in enumerate(input_ids.tolist()):
                last = next((mode_of_id[i] for i in reversed(ids) if i in mode_of_id), None)
                if last is None:
                    continue
                for mode, token in open_ids.items():
                    if (last, mode) not in table:
                        scores[row, token] = -float("inf")
            return scores

    return ModeTransitionProcessor()
