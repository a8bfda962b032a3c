"""Files in and out: outputs never replace inputs, writes are atomic and follow the umask.

Every command that writes checks its outputs with :func:`check_output` *before* any work, so a
wrong ``-o`` fails in a second rather than after minutes of scoring, and an input can never be
overwritten (not even with ``force``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from curriculum.errors import InputFileError, InvalidValueError, OutputError, OutputExistsError

__all__ = [
    "atomic_write",
    "check_input",
    "check_output",
    "figure_format",
    "same_file",
    "save_figure",
    "written_by",
]


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same file (through links and ``..`` too; existing or not)."""
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_input(path: str | os.PathLike[str], *, what: str = "input") -> Path:
    """``path`` as an existing, readable regular file, or a clear error."""
    from curriculum.errors import MissingFileError

    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{what} {str(path)!r} does not exist")
    if path.is_dir():
        raise InputFileError(f"{what} {str(path)!r} is a directory; give a file")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{what} {str(path)!r} is not readable (permission denied)")
    return path


def check_output(
    path: str | os.PathLike[str],
    *,
    what: str = "output",
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    force: bool = False,
    directory: bool = False,
    flag: str = "--force",
) -> Path:
    """Check that ``path`` can be written, before any work is done.

    Args:
        path: the output file (or directory, with ``directory``).
        what: what it is, for messages (``"-o"``, ``"--plot"``...).
        inputs: files the command reads; the output may never be one of them.
        force: replace an existing output file.
        directory: the output is a directory that must be new or empty.
        flag: the option that allows replacing, for the message.

    Raises:
        OutputExistsError: the output is an input, or exists and ``force`` is not set.
        OutputError: it is a directory (or a file, for ``directory``), its parent is a file, or
            the nearest existing parent cannot be written.
    """
    path = Path(path)
    for source in inputs:
        if source is not None and same_file(path, Path(source)):
            raise OutputExistsError(
                f"{what} {str(path)!r} is the input {str(source)!r}; an output never replaces "
                "an input: choose another name"
            )
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(
            f"{what} {str(path)!r} cannot be written: {str(parent)!r} is a file, not a directory"
        )
    if directory:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{what} {str(path)!r} is a file; give a new or empty directory")
        if path.is_dir() and any(path.iterdir()):
            raise OutputExistsError(
                f"{what} {str(path)!r} is not empty; give a new or empty directory"
            )
    elif path.is_dir():
        raise OutputError(f"{what} {str(path)!r} is a directory; give a file name")
    elif path.exists() and not force:
        raise OutputExistsError(
            f"{what} {str(path)!r} exists; pass {flag} to replace it, or choose another name"
        )
    probe_dir = path if directory and path.is_dir() else parent
    try:  # a real probe: permissions, read-only mounts and root all answer truthfully
        with tempfile.TemporaryFile(dir=probe_dir):
            pass
    except OSError as exc:
        raise OutputError(
            f"{what} {str(path)!r} cannot be written in {str(probe_dir)!r}: {exc.strerror or exc}"
        ) from None
    return path


def current_umask() -> int:
    """The process umask (read by setting it and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> None:
    """Write ``path`` through a temporary file and a rename; mode from the umask.

    Errors name ``path`` (never the temporary file) and leave any old file untouched.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(
            f"cannot write {str(path)!r}: a parent of it is a file, not a directory"
        ) from None
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    if path.is_dir():
        raise OutputError(f"cannot write {str(path)!r}: it is a directory")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and Path(tmp).exists():
            Path(tmp).unlink()


#: Figure formats by suffix (matplotlib's Agg, PDF, SVG and PS backends).
FIGURE_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp")


def figure_format(path: str | os.PathLike[str], *, what: str = "--plot") -> str:
    """The format a figure path names by its suffix; an unknown suffix is an error."""
    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in FIGURE_FORMATS:
        raise InvalidValueError(
            f"{what} {str(path)!r} must end in one of {', '.join('.' + f for f in FIGURE_FORMATS)}"
        )
    return fmt


def save_figure(
    figure: Any, path: str | os.PathLike[str], *, dpi: int = 120, source: str | None = None
) -> None:
    """Save a matplotlib figure atomically, in the format its suffix names.

    Args:
        figure: the figure.
        path: where; the suffix gives the format.
        dpi: resolution of raster formats.
        source: for PNG, a ``Source`` text chunk naming what wrote the file (see
            :func:`written_by`), so that a later run knows the file is its own.
    """
    fmt = figure_format(path)
    metadata = {"Source": source} if source and fmt == "png" else None
    atomic_write(path, lambda f: figure.savefig(f, format=fmt, dpi=dpi, metadata=metadata))


def written_by(path: str | os.PathLike[str], source: str) -> bool:
    """Whether the PNG at ``path`` carries the ``Source`` chunk :func:`save_figure` wrote."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    return head.startswith(b"\x89PNG") and b"Source\x00" + source.encode() in head
