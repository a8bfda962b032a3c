"""Files in and out: checks before work, atomic writes, the library's own error types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from curriculum._files import atomic_write, check_output
from curriculum.errors import CurriculumError, OutputError, OutputExistsError

PACKAGE = Path(__file__).resolve().parents[1] / "curriculum"


def test_a_failed_write_names_the_file_not_the_temporary_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    target = tmp_path / "scores.npy"
    target.write_bytes(b"old")

    def full_disk(f: object) -> None:
        raise OSError(28, "No space left on device", str(tmp_path / ".scores.npy.x1.tmp"))

    with pytest.raises(OutputError) as info:
        atomic_write(target, full_disk)
    message = str(info.value)
    assert "scores.npy" in message and "No space left on device" in message
    assert ".tmp" not in message
    assert target.read_bytes() == b"old"  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.npy"]


def test_check_output_refuses_inputs_even_through_links(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"text": "x"}\n')
    link = tmp_path / "link.jsonl"
    link.symlink_to(corpus)
    for path in (corpus, link, tmp_path / "." / "corpus.jsonl"):
        with pytest.raises(OutputExistsError, match=r"is the input"):
            check_output(path, inputs=[corpus], force=True)
    assert check_output(tmp_path / "new" / "x.npy", inputs=[corpus]) == tmp_path / "new" / "x.npy"


def test_every_raise_in_the_library_is_a_library_error() -> None:
    """The CLI reports CurriculumError subclasses only; a bare builtin would be a bug's look."""
    bare = re.compile(
        r"raise (ValueError|TypeError|KeyError|RuntimeError|OSError|FileNotFoundError|"
        r"FileExistsError|ImportError)\("
    )
    offenders = [
        f"{p.relative_to(PACKAGE)}:{n}"
        for p in PACKAGE.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if bare.search(line)
    ]
    assert offenders == []
    import curriculum.errors as errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), CurriculumError)
