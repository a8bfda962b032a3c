"""Reading YAML or JSON documents (concept graphs, recipes) with clear errors."""

from __future__ import annotations

import json
import os
from typing import Any

from curriculum._files import check_input
from curriculum.errors import InvalidValueError

__all__ = ["read_document"]


def read_document(path: str | os.PathLike[str], what: str) -> Any:
    """Parse a ``.yaml``/``.yml`` or ``.json`` file.

    Args:
        path: the file.
        what: what it holds, for messages (``"concept graph"``, ``"recipe"``).

    Raises:
        MissingFileError: the file does not exist.
        InputFileError: it is a directory or unreadable.
        InvalidValueError: another suffix, not UTF-8, a parse error, or an empty document.
    """
    path = check_input(path, what=f"{what} file")
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise InvalidValueError(f"{what} files must be .yaml, .yml or .json, not {path.name}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidValueError(
            f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
        ) from None
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidValueError(f"{path} is not valid YAML: {exc}") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidValueError(f"{path} is not valid JSON: {exc}") from None
    if data is None:
        raise InvalidValueError(f"{path} is empty: write the {what} in it")
    return data
