"""Reading YAML or JSON documents (concept graphs, recipes) with clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["read_document"]


def read_document(path: str | os.PathLike[str], what: str) -> Any:
    """Parse a ``.yaml``/``.yml`` or ``.json`` file.

    Args:
        path: the file.
        what: what it holds, for messages (``"concept graph"``, ``"recipe"``).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: another suffix, a parse error, or an empty document.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"{path} is not valid YAML: {exc}") from None
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from None
    else:
        raise ValueError(f"{what} files must be .yaml, .yml or .json, not {path.name}")
    if data is None:
        raise ValueError(f"{path} is empty: write the {what} in it")
    return data
