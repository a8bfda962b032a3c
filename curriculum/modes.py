"""XML mode tags (conditional pretraining): wrap texts in the tag of their mode, forge-proof.

:class:`ModeTagger` wraps each text as ``<human>...</human>`` (any set of modes), so that the
tags can be read, steered and constrained at inference. Every string in a text that *looks like*
a tag of one of the modes is escaped (and counted) or refused, so that the only tags in the
output are the ones the tagger writes. "Looks like" is judged on a skeleton of the text that
undoes what tokenizers and eyes undo: case; compatibility forms (full-width brackets and
letters, U+FF1C, mathematical letters); accents and combining marks (U+226E, "not less-than",
is ``<`` plus a combining mark); zero-width and other invisible characters; whitespace inside
the tag; attributes; and look-alike brackets, slashes and letters: every character Unicode's
confusables list (UTS #39) gives as confusable with an ASCII letter or with ``<``, ``>`` or ``/``
(angle quotation marks U+2039/U+203A, Cyrillic U+043E for ``o``, Latin small capitals...), from
``data/confusables.json``. Escaping is injective: :func:`unescape` gives back the original text
exactly, so ``<model>`` and a literal ``&lt;model&gt;`` never come out the same.

The escape replaces the brackets of every tag-like string (``<model>``, ``</human``, with or
without a closing ``>``: one may follow from a later field) with character references
(``&lt;``, ``&gt;``, ``&#x2039;``) and writes ``&`` as ``&amp;`` where it starts something that
reads as a reference. It is one linear pass. Do not HTML-unescape tagged text afterwards: that
would undo the escape.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from curriculum.errors import InvalidTypeError, InvalidValueError

__all__ = [
    "ModeTagger",
    "escape_tags",
    "find_tags",
    "mode_logits_processor",
    "unescape",
    "validate_transitions",
]

_XML_NAME = re.compile(r"^(?!(?i:xml))[A-Za-z_][A-Za-z0-9_.-]*$")

#: Invisible characters that are not in a format category (Hangul fillers).
_INVISIBLE = "\u115f\u1160\u3164\uffa0\ufffd"  # Hangul fillers; the replacement character
#: Combining marks, format (zero-width) and unassigned, private and surrogate code points:
#: tokenizers delete them or readers do not see them, so the skeleton drops them.
_IGNORED = frozenset({"Mn", "Me", "Cf", "Cn", "Co", "Cs"})
#: ASCII control characters other than whitespace (tokenizers delete them too).
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
#: Explicit bidirectional controls (and marks) reorder what a reader sees: always escaped.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: References that :func:`unescape` decodes; an ``&`` starting one is written ``&amp;``.
_REFERENCE = re.compile(r"&(lt|gt|amp|#[0-9]+|#[xX][0-9A-Fa-f]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&"}


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    """``data/confusables.json`` (built by ``scripts/build_confusables.py``)."""
    ref = resources.files("curriculum").joinpath("data/confusables.json")
    table: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return table


@functools.lru_cache(maxsize=1)
def _fold() -> dict[int, str]:
    """Look-alikes (Unicode confusables of ASCII letters and ``< > /``) and invisible fillers."""
    table = {ord(c): target for c, target in _table()["fold"].items()}
    table.update(dict.fromkeys(map(ord, _INVISIBLE), ""))
    return table


@functools.lru_cache(maxsize=1)
def _openers() -> re.Pattern[str] | None:
    """Every character whose skeleton holds ``<``: a text without one holds no tag-like string."""
    openers = _table().get("openers")
    return None if openers is None else re.compile("[" + re.escape(openers) + "]")


def _skeleton_char(c: str) -> str:
    if c.isascii():
        return "" if _ASCII_CONTROL.match(c) else c.lower()
    decomposed = unicodedata.normalize("NFKD", c)
    kept = "".join(
        x
        for x in decomposed
        if unicodedata.category(x) not in _IGNORED
        and (unicodedata.category(x) != "Cc" or x.isspace())
    )
    return kept.casefold().translate(_fold())


def _skeleton(text: str) -> tuple[str, list[int]]:
    """The text as a tokenizer or a reader might see it, and the source index of each char."""
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return text.lower(), list(range(len(text)))
    parts, where = [], []
    for i, c in enumerate(text):
        s = _skeleton_char(c)
        parts.append(s)
        where.extend([i] * len(s))
    return "".join(parts), where


def _reference(c: str) -> str:
    return {"<": "&lt;", ">": "&gt;"}.get(c, f"&#x{ord(c):X};")


@functools.lru_cache(maxsize=64)
def _opening(modes: tuple[str, ...]) -> re.Pattern[str]:
    """A tag-like string of any of ``modes``.

    ``<``, an optional ``/``, the name and a boundary; then, as group ``close``, the rest up to
    a closing ``>`` when one follows before any other ``<``.
    """
    names = "|".join(re.escape(m.casefold()) for m in modes)
    # `\s*(?:/\s*)?` rather than `\s*/?\s*`: one way to split the spaces, so no quadratic
    # backtracking on a `<` followed by a long run of whitespace.
    return re.compile(rf"<\s*(?:/\s*)?(?:{names})(?![\w.-])(?P<close>[^<>]*>)?")


def _openings(text: str, modes: Sequence[str]) -> list[tuple[int, int | None, int]]:
    """``(start, close, end)`` of every tag-like string of ``modes`` in ``text``.

    Found on the skeleton; ``close`` is the position of its closing bracket, or None.
    """
    openers = _openers()
    if openers is not None and not openers.search(text):
        return []
    skeleton, where = _skeleton(text)
    found = []
    for m in _opening(tuple(modes)).finditer(skeleton):
        close = where[m.end() - 1] if m.group("close") else None
        found.append((where[m.start()], close, where[m.end() - 1] + 1))
    return found


def escape_tags(text: str, modes: Sequence[str]) -> tuple[str, int]:
    """Escape every tag-like string of ``modes``; returns the text and how many there were.

    The opening bracket of each ``<mode``, ``</mode`` (in any of the forms the module docstring
    lists) becomes a character reference, so no tag can form, even with a closing ``>`` that a
    later field or template supplies; its own closing bracket, when it has one, is escaped too.
    Explicit bidirectional controls (which can make ``>ledom<`` display as ``<model>``) and a
    combining mark at the very start (which would merge with the bracket before the text) are
    written as references too. One pass, linear in the text. Injective:
    ``unescape(escape_tags(t, modes)[0]) == t`` for every text ``t``.
    """
    text = _REFERENCE.sub(lambda m: "&amp;" + m.group(0)[1:], text)
    found = _openings(text, modes)
    chars = list(text)
    for start, close, _ in found:
        chars[start] = _reference(text[start])
        if close is not None:
            chars[close] = _reference(text[close])
    for m in _BIDI.finditer(text):
        chars[m.start()] = _reference(m.group(0))
    if text and unicodedata.category(text[0]).startswith("M"):
        chars[0] = _reference(text[0])  # it would combine with the bracket before the text
    return "".join(chars), len(found)


def find_tags(text: str, modes: Sequence[str]) -> list[str]:
    """The tag-like strings of ``modes`` in ``text`` (``<model>``, ``</ Human``...), as written."""
    return [text[start:end] for start, _, end in _openings(text, modes)]


def unescape(text: str) -> str:
    """Undo :func:`escape_tags` (and the escaping of :class:`ModeTagger`) exactly."""

    def decode(m: re.Match[str]) -> str:
        body = m.group(1)
        if body in _NAMED:
            return _NAMED[body]
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        return chr(code) if code <= 0x10FFFF else m.group(0)  # never written by the escape

    return _REFERENCE.sub(decode, text)


class ModeTagger:
    """Wrap texts in XML-like tags that mark their mode (whose voice they are in).

    Args:
        modes: mode names, each a valid XML name (e.g. ``("human", "model")``). Tag-like strings
            of *every* mode are escaped in every text, whatever its own mode.
        mode: how a record's mode is chosen: a field name, a callable ``record -> mode``
            (:meth:`threshold_mode` builds one from a scorer threshold), or None to escape
            without wrapping (for texts outside any mode in a tagged corpus).
        on_injection: ``"escape"`` turns tag-like strings inside a text into character
            references (and counts them in :attr:`escaped`); ``"reject"`` raises.

    Attributes:
        escaped: how many tag-like strings were escaped so far.
    """

    def __init__(
        self,
        modes: Sequence[str] = ("human", "model"),
        *,
        mode: str | Callable[[Mapping[str, Any]], str] | None = "mode",
        on_injection: str = "escape",
    ) -> None:
        if isinstance(modes, str):
            raise InvalidTypeError(
                f"modes must be a sequence of mode names, but got the string {modes!r}; "
                f"wrap it in a list: [{modes!r}]"
            )
        self.modes = tuple(modes)
        if not self.modes:
            raise InvalidValueError("modes must hold at least one mode name")
        bad = [m for m in self.modes if not isinstance(m, str) or not _XML_NAME.match(m)]
        if bad:
            raise InvalidValueError(
                f"mode names must be valid XML names (a letter or _, then letters, digits, "
                f"_ . -; not starting with 'xml'), but got {bad}"
            )
        if len({m.casefold() for m in self.modes}) != len(self.modes):
            raise InvalidValueError(
                f"mode names must be unique (ignoring case), but got {list(self.modes)}"
            )
        if on_injection not in ("escape", "reject"):
            raise InvalidValueError(
                f"on_injection must be 'escape' or 'reject', but got on_injection={on_injection!r}"
            )
        if mode is not None and not isinstance(mode, str) and not callable(mode):
            raise InvalidTypeError(
                f"mode must be a field name, a callable record -> mode, or None, but got "
                f"mode={mode!r}"
            )
        self.mode = mode
        self.on_injection = on_injection
        self.escaped = 0

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

    def mode_of(self, record: Mapping[str, Any]) -> str | None:
        """The mode of a record, from its field or the callable (None: escape only)."""
        if self.mode is None:
            return None
        value = self.mode(record) if callable(self.mode) else record.get(self.mode)
        if value not in self.modes:
            raise InvalidValueError(
                f"mode must be one of {list(self.modes)}, but the record gives {value!r}"
            )
        return str(value)

    def escape(self, text: str, index: int = 0) -> str:
        """``text`` with every tag-like string of the modes escaped (or refused)."""
        if self.on_injection == "reject":
            found = find_tags(text, self.modes)
            if found:
                raise InvalidValueError(
                    f"record {index} contains {len(found)} tag-like string(s) {found[:3]} for "
                    f"modes {list(self.modes)}, which could forge a mode boundary; clean the "
                    "text or use on_injection='escape'"
                )
        escaped, count = escape_tags(text, self.modes)
        self.escaped += count
        return escaped

    def tag(self, text: str, mode: str | None, index: int = 0) -> str:
        """``<mode>text</mode>`` with ``text`` escaped; just the escaped text when mode is None."""
        if mode is not None and mode not in self.modes:
            raise InvalidValueError(f"mode must be one of {list(self.modes)}, but got {mode!r}")
        if not isinstance(text, str):
            raise InvalidTypeError(f"text must be a string, but got {type(text).__name__}")
        body = self.escape(text, index)
        return body if mode is None else f"<{mode}>{body}</{mode}>"

    def __call__(self, record: Mapping[str, Any] | str, index: int = 0, epoch: int = 0) -> str:
        """The record's text escaped and wrapped in the tags of its mode."""
        if not isinstance(record, (str, Mapping)):
            raise InvalidTypeError(
                f"record must be a string or a mapping with 'text', but got {type(record).__name__}"
            )
        data = {"text": record} if isinstance(record, str) else record
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidValueError(
                f"record must hold a non-empty string 'text', but got {record!r:.80}"
            )
        return self.tag(text, self.mode_of(data), index)

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
                    raise InvalidValueError(
                        f"</{name}> closes {current!r}: the tags are not nested"
                    )
                current = None
            else:
                if current is not None:
                    raise InvalidValueError(f"<{name}> opens inside <{current}>: modes do not nest")
                current = name
                opened.append(name)
        return opened

    def __repr__(self) -> str:
        return f"ModeTagger(modes={self.modes!r}, on_injection={self.on_injection!r})"


def validate_transitions(
    text: str, tagger: ModeTagger, allowed: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Mode transitions in ``text`` that the table does not allow (empty list: all allowed).

    Args:
        text: a (generated) text with mode tags.
        tagger: defines the modes.
        allowed: ``(from_mode, to_mode)`` pairs that may follow each other.

    Raises:
        InvalidValueError: the table names a mode the tagger does not know.
    """
    table = {(str(a), str(b)) for a, b in allowed}
    unknown = sorted({m for pair in table for m in pair} - set(tagger.modes))
    if unknown:
        raise InvalidValueError(
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
            raise InvalidValueError(
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
