"""Import: question banks from other systems (GIFT, Moodle XML) into a module folder."""

from __future__ import annotations

from pathlib import Path

from hscourse.errors import ContentError, Diagnostic
from hscourse.formats.bank import Imported, write_module
from hscourse.formats.gift import read as gift
from hscourse.formats.moodle import read as moodle

MAX_BYTES = 32 << 20  # Moodle XML carries its images inline


def _fail(display: str, message: str) -> ContentError:
    return ContentError([Diagnostic(display, 0, 0, "", message)])


def read_bank(source: Path, prefix: str, existing: set[str] | None = None) -> Imported:
    """The items of a GIFT or Moodle XML file (told apart by their first characters).

    existing: the names already in the folder the module goes to (its images avoid them)."""
    display = source.as_posix()
    try:
        if not source.is_file():
            raise _fail(display, "no such file")
        if source.stat().st_size > MAX_BYTES:
            raise _fail(display, f"larger than the limit of {MAX_BYTES:,} bytes")
        data = source.read_bytes()
    except OSError as exc:
        raise _fail(display, f"cannot read the file: {exc.strerror or exc}") from None
    result = Imported(display, prefix, existing={n.casefold() for n in existing or ()})
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    if head.startswith(b"<"):
        moodle.read(data, result)
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(display, "not valid UTF-8 text; save the file as UTF-8") from None
    gift.read(text, result)
    return result


def import_bank(source: Path, folder: Path) -> tuple[Path, Imported]:
    """Import source into folder/module.yaml; return the file written and what was read."""
    try:
        existing = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    except OSError as exc:
        raise _fail(str(folder), f"cannot list the folder: {exc.strerror or exc}") from None
    result = read_bank(source, folder.resolve().name, existing)
    return write_module(result, folder), result
