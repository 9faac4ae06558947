"""Read a course folder (course.yaml and modules/<id>/module.yaml) into a validated Course.

This runs the load and validate stages over every file, collecting all diagnostics from all
files before raising, so that one `hscourse check` shows every problem at once.
"""

from __future__ import annotations

import re
from pathlib import Path

from hscourse.course.load import Document, load_file
from hscourse.course.model import Course, Module
from hscourse.course.schema import ID_PATTERN
from hscourse.course.settings import Settings
from hscourse.course.validate import (
    course_id_errors,
    date_errors,
    invalid_paths,
    module_errors,
    schema_errors,
)
from hscourse.errors import ContentError, Diagnostic, did_you_mean

COURSE_FILE = "course.yaml"
MODULE_FILE = "module.yaml"


def overlay_documents(course: Course) -> list[Document]:
    """The term's overlay files (terms/<term-id>/*.yaml, which hold items of their own), loaded
    again: a resolved course keeps their items, not their files. The term file is the last of
    course.sources."""
    if not course.term:
        return []
    from pathlib import PurePosixPath

    term = course.sources[-1]
    folder = PurePosixPath(term.file).with_suffix("")
    names = {name for changes in term.data.get("modules", {}).values()
             for name in changes.get("add", [])}
    return [load_file(course.root / folder / name, (folder / name).as_posix(), course.root)
            for name in sorted(names)]


def module_path(root: Path, module_id: str) -> Path:
    return root / "modules" / module_id / MODULE_FILE


def _load(path: Path, display: str, problems: list[Diagnostic]) -> Document | None:
    try:
        return load_file(path, display)
    except ContentError as exc:
        problems.extend(exc.diagnostics)
        return None


def available_modules(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "modules").glob("*") if (p / MODULE_FILE).exists())


def load_module(root: Path, listed_in: Document, where: tuple[object, ...], module_id: str,
                problems: list[Diagnostic], allow_links: bool = False) -> Module | None:
    """Load and validate one module; `listed_in`/`where` locate the reference to it."""
    path = module_path(root, module_id)
    display = path.relative_to(root).as_posix()
    if not path.exists():
        problems.append(listed_in.diagnostic(where, f"no module file {display}"
                                             f"{did_you_mean(module_id, available_modules(root))}"))
        return None
    doc = _load(path, display, problems)
    if doc is None:
        return None
    found, invalid = invalid_paths(doc, "module")
    if () not in invalid:
        found += module_errors(doc, module_id, invalid, path.parent, allow_links)
    problems.extend(found)
    return None if found else Module(module_id, doc.data, doc)


def load_course(root: Path) -> Course:
    """Load and validate the course at root; raise ContentError listing every problem."""
    root = root.resolve()
    problems: list[Diagnostic] = []
    if not (root / COURSE_FILE).exists():
        raise ContentError([Diagnostic(COURSE_FILE, 0, 0, "", f"no course.yaml in {root}: run "
                                       "hscourse in a course folder, give one with --project, "
                                       "or start one with `hscourse init DIR`")])
    course = _load(root / COURSE_FILE, COURSE_FILE, problems)
    if course is None:
        raise ContentError(problems)
    course_problems = schema_errors(course, "course")
    problems.extend(course_problems)
    if not course_problems and "date" in course.data:
        problems.extend(date_errors(course, [("date",)]))
    modules: list[Module] = []
    listed = course.data.get("modules")
    seen: set[str] = set()
    for index, module_id in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(module_id, str) or module_id in seen:
            if module_id in seen:
                problems.append(course.diagnostic(("modules", index),
                                                  f"module {module_id!r} is listed twice"))
            continue
        seen.add(module_id)
        if not re.fullmatch(ID_PATTERN, module_id):
            continue  # the schema has reported it; never build a path from it
        module = load_module(root, course, ("modules", index), module_id, problems,
                             course.data.get("allow_hard_links") is True)
        if module is not None:
            modules.append(module)
    problems.extend(course_id_errors([(m.source, m.data) for m in modules]))
    if problems:
        raise ContentError(problems)
    origins = [(key, ", ".join(map(str, v)) if isinstance(v, list) else str(v),
                f"{course.file}:{course.where((key,))[0]}") for key, v in course.data.items()]
    return Course(root, Settings.from_values(course.data), modules, [course] + [m.source for m in modules],
                  origins=origins)


def check_unlisted(course: Course) -> list[str]:
    """Validate module folders that course.yaml does not list (yet); return their ids."""
    listed = {m.id for m in course.modules}
    unlisted = [m for m in available_modules(course.root) if m not in listed]
    problems: list[Diagnostic] = []
    modules = [load_module(course.root, course.sources[0], ("modules",), m, problems,
                           course.settings.allow_hard_links)
               for m in unlisted]
    problems.extend(course_id_errors([(m.source, m.data) for m in course.modules + modules
                                      if m is not None]))
    if problems:
        raise ContentError(problems)
    return unlisted
