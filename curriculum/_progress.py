"""Progress bars: shown on a terminal unless switched off (or asked for elsewhere), no warnings."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar", "show_progress"]


def show_progress(progress: bool | None) -> bool:
    """``progress`` as given, or for None: whether stderr is a terminal."""
    if progress is not None:
        return bool(progress)
    stream = sys.stderr
    return stream is not None and bool(getattr(stream, "isatty", lambda: False)())


def progress_bar(*, total: int | None, desc: str, progress: bool | None, unit: str = "text") -> Any:
    """A plain-text tqdm bar on stderr (no widgets, so no IProgress warning in notebooks).

    With ``total=None`` (a stream of unknown length) it counts and shows the rate.
    """
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not show_progress(progress), leave=False)
