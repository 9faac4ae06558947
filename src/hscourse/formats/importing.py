"""Import: question banks from other systems (GIFT, Moodle XML) into a module folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hscourse.course.load import load_file
from hscourse.errors import ContentError, Diagnostic
from hscourse.formats.bank import Imported, NewModule, write_modules
from hscourse.formats.gift import read as gift
from hscourse.formats.moodle import read as moodle

MAX_BYTES = 32 << 20  # Moodle XML carries its images inline


def _fail(display: str, message: str) -> ContentError:
    return ContentError([Diagnostic(display, 0, 0, "", message)])


def read_bank(source: Path, prefix: str, existing: set[str] | None = None,
              course: CourseIds | None = None, split: bool = False) -> Imported:
    """The items of a GIFT or Moodle XML file (told apart by their first characters).

    existing: the names already in the folder the module goes to (its images avoid them);
    course: the ids and module folders of the course the items go into (ids it uses get the
    new module's id as a prefix); split: one module per category."""
    display = source.as_posix()
    try:
        if not source.is_file():
            raise _fail(display, "no such file")
        if source.stat().st_size > MAX_BYTES:
            raise _fail(display, f"larger than the limit of {MAX_BYTES:,} bytes")
        data = source.read_bytes()
    except OSError as exc:
        raise _fail(display, f"cannot read the file: {exc.strerror or exc}") from None
    known = course or CourseIds()
    result = Imported(display, prefix, existing={n.casefold() for n in existing or ()},
                      taken=known.items, folders=known.folders)
    if split:
        result.start_split(source.stem)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    if head.startswith(b"<"):
        moodle.read(data, result)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _fail(display, "not valid UTF-8 text; save the file as UTF-8") from None
        gift.read(text, result)
    if result.renamed:
        result.notes.append(_renamed_note(result))
    return result


def _renamed_note(result: Imported) -> Diagnostic:
    shown = ", ".join(f"{old!r} -> {new!r}" for old, new in result.renamed[:3])
    more = f" and {len(result.renamed) - 3} more" if len(result.renamed) > 3 else ""
    count = len(result.renamed)
    return Diagnostic(result.file, 0, 0, "", (
        f"{count} item id{'s are' if count != 1 else ' is'} already used in the course, so "
        f"{'they were' if count != 1 else 'it was'} renamed with the new module's id as a "
        f"prefix: {shown}{more}"))


@dataclass
class CourseIds:
    """What an import must not collide with: the course's quiz and discussion ids (in its
    modules and its terms' overlay files) and its module folders."""

    items: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)


def course_ids(root: Path | None) -> CourseIds:
    """The ids the course at root uses (a file that does not load is passed over: `check`
    reports it)."""
    if root is None:
        return CourseIds()
    modules = root / "modules"
    folders = {p.name for p in modules.iterdir() if p.is_dir()} if modules.is_dir() else set()
    files = [p for p in modules.glob("*/module.yaml")] + list((root / "terms").glob("*/*.yaml"))
    items: set[str] = set()
    for path in sorted(files):
        try:
            data = load_file(path, path.relative_to(root).as_posix(), root).data
        except ContentError:
            continue
        for section in ("quiz", "discussion"):
            entries = data.get(section) if isinstance(data, dict) else None
            items |= {e["id"] for e in entries or [] if isinstance(e, dict)
                      and isinstance(e.get("id"), str)}
    return CourseIds(items, folders)


def course_of(folder: Path) -> Path | None:
    """The course a new module folder is in: the nearest folder above it with course.yaml."""
    return next((p for p in folder.resolve().parents if (p / "course.yaml").is_file()), None)


def import_modules(source: Path, folder: Path, split: bool = False
                   ) -> tuple[list[NewModule], Imported]:
    """Import source into folder/module.yaml, or with split one module per category into
    folder/<module-id>/; ids are made unique against the course the folder is in."""
    try:
        existing = {p.name for p in folder.iterdir()} if folder.is_dir() and not split else set()
    except OSError as exc:
        raise _fail(str(folder), f"cannot list the folder: {exc.strerror or exc}") from None
    result = read_bank(source, folder.resolve().name, existing, course_ids(course_of(folder)),
                       split)
    return write_modules(result, folder), result


def import_bank(source: Path, folder: Path) -> tuple[Path, Imported]:
    """Import source into folder/module.yaml; return the file written and what was read."""
    modules, result = import_modules(source, folder)
    return modules[0].folder / "module.yaml", result
