"""Input checks shared by scorers, the sampler and the CLI.

Messages name the parameter, the bad value and the fix (see STYLE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from curriculum.errors import InvalidTypeError, InvalidValueError
from curriculum.fingerprint import fingerprint_array

__all__ = [
    "TextCheck",
    "build_registered",
    "check_int",
    "check_scores",
    "check_strata",
    "check_texts",
    "fingerprint_array",
]

T = TypeVar("T")

_SHOWN = 5  # bad positions listed in an error message


def _positions(bad: Iterable[int], total: int | None = None) -> str:
    """The first few of ``bad`` positions, and how many more there are (of ``total``)."""
    bad = list(bad)
    total = len(bad) if total is None else total
    shown = ", ".join(str(i) for i in bad[:_SHOWN])
    return shown + (f" and {total - _SHOWN} more" if total > _SHOWN else "")


def _surrogate(text: str) -> int:
    """Position of the first unpaired surrogate in ``text``, or -1."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return -1


class TextCheck:
    """:func:`check_texts` over a corpus that arrives in chunks, with the same errors.

    Feed the chunks in order with :meth:`update` (True while everything fed is valid); after the
    last one, :meth:`raise_if_bad` raises exactly what :func:`check_texts` raises for the whole
    corpus, with positions counted from its start. Only the positions an error shows are kept.

    Args:
        name: what the texts are called in messages (``texts``, ``texts of corpus.jsonl``).
    """

    def __init__(self, name: str = "texts") -> None:
        self.name = name
        #: How many items have been fed.
        self.count = 0
        self._not_str: list[int] = []
        self._not_str_count = 0
        self._first_not_str: Any = None
        self._surrogate: tuple[int, str, int] | None = None  # position, text, offset
        self._blank: list[int] = []
        self._blank_count = 0
        self._first_blank = ""

    @property
    def ok(self) -> bool:
        """Whether every item fed so far is a non-empty, valid string."""
        return not (self._not_str_count or self._surrogate or self._blank_count)

    def update(self, items: list[Any]) -> bool:
        """Check the next items (the corpus continues where the last chunk ended)."""
        start, self.count = self.count, self.count + len(items)
        not_str = [i for i, t in enumerate(items) if not isinstance(t, str)]
        if not_str:
            if not self._not_str_count:
                self._first_not_str = items[not_str[0]]
            self._not_str.extend(start + i for i in not_str[: _SHOWN - len(self._not_str)])
            self._not_str_count += len(not_str)
        if self._not_str_count:
            return False  # a type error outranks every other: only its positions matter now
        if self._surrogate is None:
            broken = next((i for i, t in enumerate(items) if _surrogate(t) >= 0), None)
            if broken is not None:
                self._surrogate = (start + broken, items[broken], _surrogate(items[broken]))
        if self._surrogate is not None:
            return False
        blank = [i for i, t in enumerate(items) if not t.strip()]
        if blank:
            if not self._blank_count:
                self._first_blank = items[blank[0]]
            self._blank.extend(start + i for i in blank[: _SHOWN - len(self._blank)])
            self._blank_count += len(blank)
        return self.ok

    def raise_if_bad(self) -> None:
        """Raise what :func:`check_texts` raises for everything fed (nothing if it is valid)."""
        name = self.name
        if self._not_str_count:
            first, at = self._first_not_str, self._not_str[0]
            raise InvalidTypeError(
                f"{name} must hold only strings, but {name}[{at}] is "
                f"{type(first).__name__} ({first!r:.60}); positions: "
                f"{_positions(self._not_str, self._not_str_count)}. Convert or drop those items"
            )
        if self._surrogate is not None:
            broken, text, at = self._surrogate
            raise InvalidValueError(
                f"{name}[{broken}] holds {text[at]!r} at position {at}, an unpaired "
                "surrogate that is not valid Unicode (a broken \\u escape in JSON, say); fix the "
                "text"
            )
        if self._blank_count:
            raise InvalidValueError(
                f"{name} must not hold empty or whitespace-only texts, but got "
                f"{name}[{self._blank[0]}]={self._first_blank!r} ({self._blank_count} such texts "
                f"at positions {_positions(self._blank, self._blank_count)}); drop them before "
                "scoring"
            )


def check_texts(texts: Any, name: str = "texts") -> list[str]:
    """Return ``texts`` as a list of non-empty strings, or raise naming every bad position.

    Raises:
        TypeError: ``texts`` is a single string, not iterable, or holds non-strings.
        ValueError: it is empty, or holds empty or whitespace-only strings.
    """
    if isinstance(texts, (str, bytes)):
        raise InvalidTypeError(
            f"{name} must be a sequence of strings, but got a single {type(texts).__name__}; "
            f"wrap it in a list: [{name}]"
        )
    try:
        items = list(texts)
    except TypeError:
        raise InvalidTypeError(
            f"{name} must be a sequence of strings, but got {type(texts).__name__}"
        ) from None
    if not items:
        raise InvalidValueError(f"{name} must hold at least one text, but got an empty corpus")
    check = TextCheck(name)
    if not check.update(items):
        check.raise_if_bad()
    return items


def check_scores(
    scores: Any, *, name: str = "scores", expected_len: int | None = None, what: str = "dataset"
) -> NDArray[np.float64]:
    """Return ``scores`` as a finite 1-D float64 array, or raise naming the bad positions.

    Args:
        scores: one difficulty per sample.
        name: parameter name used in messages.
        expected_len: the length it must have, when known.
        what: what ``expected_len`` counts, for the message.
    """
    if scores is None:
        raise InvalidTypeError(f"{name} must be an array of numbers, but got {name}=None")
    try:
        arr = np.asarray(scores)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise InvalidTypeError(
            f"{name} must be a 1-D array of numbers, but it could not: {exc}"
        ) from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise InvalidTypeError(
            f"{name} must hold numbers, but got dtype {arr.dtype}; "
            "missing scores (None) are not allowed: score every sample"
        )
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise InvalidTypeError(f"{name} must hold real numbers, but got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise InvalidValueError(
            f"{name} must be 1-D (one score per sample), but got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise InvalidValueError(f"{name} must hold at least one score, but got an empty array")
    if expected_len is not None and arr.shape[0] != expected_len:
        raise InvalidValueError(
            f"{name} has {arr.shape[0]} values but the {what} has {expected_len} samples; "
            f"score the same {what} the sampler draws from"
        )
    out = arr.astype(np.float64, copy=False)
    finite = np.isfinite(out)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise InvalidValueError(
            f"{name} must be finite, but got {name}[{bad[0]}]={float(out[bad[0]])!r} "
            f"({bad.size} non-finite values at positions {_positions(bad.tolist())}); "
            "fix or rescore those samples"
        )
    return out


def check_strata(strata: Any, n: int, name: str = "strata") -> NDArray[Any]:
    """Return ``strata`` as a 1-D array of ``n`` labels (ints or strings), or raise."""
    arr = np.asarray(strata)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InvalidValueError(
            f"{name} must hold one label per sample ({n}), but got shape {arr.shape}"
        )
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.integer)
        or np.issubdtype(arr.dtype, np.str_)
        or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise InvalidTypeError(
            f"{name} must hold integer or string labels, but got dtype {arr.dtype}; "
            "missing labels (None) are not allowed: give every sample a stratum"
        )
    return arr


def check_int(name: str, value: Any, *, minimum: int = 0, allow_none: bool = False) -> Any:
    """Validate an integer parameter that must be ``>= minimum``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidTypeError(f"{name} must be an integer, but got {name}={value!r}")
    if value < minimum:
        raise InvalidValueError(f"{name} must be an integer >= {minimum}, but got {name}={value!r}")
    return int(value)


def build_registered(
    registry: Mapping[str, Callable[..., T]],
    name: str,
    param: str,
    params: dict[str, Any],
    *,
    alternative: str,
) -> T:
    """Construct ``registry[name](**params)``; a bad name or bad parameters name ``param``.

    Args:
        registry: name -> class.
        name: the name given by the user.
        param: the parameter it was given as (for messages).
        params: keyword arguments for the class.
        alternative: what else the parameter accepts, e.g. "a callable".
    """
    try:
        cls = registry[name]
    except KeyError:
        raise InvalidValueError(
            f"{param} must be one of {sorted(registry)} or {alternative}, but got {param}={name!r}"
        ) from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise InvalidTypeError(f"invalid parameters for {param}={name!r}: {exc}") from None
