"""The errors this library raises on purpose, all under :class:`CurriculumError`.

Each also derives from the builtin a caller would expect (``ValueError`` for a bad value,
``TypeError`` for a bad type, ``FileNotFoundError``, ...), so ``except ValueError`` keeps working.
The command line reports these as one clear line; anything else is a bug in the library and
keeps its traceback (see STYLE.md: catch the library's own error types only).
"""

from __future__ import annotations

__all__ = [
    "CacheError",
    "ClusterError",
    "CurriculumError",
    "DivergenceError",
    "InputFileError",
    "InvalidTypeError",
    "InvalidValueError",
    "MissingExtraError",
    "MissingFieldError",
    "MissingFileError",
    "NotFittedError",
    "OutputError",
    "OutputExistsError",
    "StaleCacheError",
]


class CurriculumError(Exception):
    """Base of every error the library raises about its inputs, files or settings."""


class InvalidValueError(CurriculumError, ValueError):
    """A parameter, record or file holds a value the library cannot use."""


class InvalidTypeError(CurriculumError, TypeError):
    """A parameter has the wrong type."""


class MissingFieldError(CurriculumError, KeyError):
    """A record or dataset lacks a field that was asked for."""

    def __str__(self) -> str:  # KeyError quotes its message; this one reads as a sentence
        return str(self.args[0]) if self.args else ""


class MissingFileError(CurriculumError, FileNotFoundError):
    """An input file does not exist."""


class InputFileError(CurriculumError, OSError):
    """An input path exists but cannot be read as asked (a directory, no permission...)."""


class OutputError(CurriculumError, OSError):
    """An output path cannot be written (a directory, no permission, its parent is a file...)."""


class OutputExistsError(OutputError, FileExistsError):
    """An output would replace an existing file (or an input) without ``force``."""


class MissingExtraError(CurriculumError, ImportError):
    """An optional dependency (a pip extra) is not installed."""


class NotFittedError(CurriculumError, RuntimeError):
    """A method needs state that ``fit`` (or iteration) has not produced yet."""


class CacheError(CurriculumError, RuntimeError):
    """A cache entry or a saved array is corrupt or unreadable."""


class StaleCacheError(CacheError):
    """A cache entry was computed for another corpus or other scorer settings."""


class ClusterError(CurriculumError, ConnectionError):
    """A compute cluster (Ray) cannot be reached at the address given."""


class DivergenceError(CurriculumError, ArithmeticError):
    """A training run's loss became NaN or infinite (a benchmark run diverged)."""
