"""Stage 3, resolve the term: layer a term file over course.yaml and the shipped modules.

A term file (terms/<term-id>.yaml) changes settings, the module order and schedule, and each
module's items (include/exclude, points, titles, pools, the instructor's own additions from
overlay files in terms/<term-id>/), without touching the module files, so next year's updated
modules still apply. Every resolved setting keeps the file and line that set it.
"""

from __future__ import annotations

import copy
import hashlib
import random
from pathlib import Path
from typing import Any

from hscourse.course.load import Document, load_file
from hscourse.course.model import Course, Module, set_points
from hscourse.course.patch import apply_patches
from hscourse.course.paths import term_id_problem
from hscourse.course.project import load_course, load_module
from hscourse.course.schema import TERM_SETTINGS
from hscourse.course.settings import Settings
from hscourse.course.validate import check_item, course_id_errors, date_errors, invalid_paths
from hscourse.errors import ContentError, Diagnostic, did_you_mean

PER_TERM = (*TERM_SETTINGS, "start_date", "section")
SECTIONS = {"quiz": "quiz items", "discussion": "discussion questions"}


def term_id(term_file: Path) -> str:
    return term_file.stem


def term_folder(term_file: Path) -> Path:
    """Where a term keeps its overlays, templates and images: terms/<term-id>/."""
    return term_file.with_suffix("")


def _origin(doc: Document, path: tuple[object, ...]) -> str:
    return f"{doc.file}:{doc.where(path)[0]}"


def _settings(course: Course, term: Document) -> tuple[Settings, list[tuple[str, str, str]]]:
    """The course settings with the term's on top, each with the file and line that set it."""
    settings = course.settings.values()
    origins = {name: (value, origin) for name, value, origin in course.origins}
    for key in PER_TERM:
        if key in term.data:
            settings[key] = term.data[key]
            origins[key] = (str(term.data[key]), _origin(term, (key,)))
    if "date" not in term.data and "start_date" in term.data:
        settings["date"] = term.data["start_date"]
        origins["date"] = (term.data["start_date"], _origin(term, ("start_date",)))
    if "schedule" in term.data:
        order = ", ".join(entry["module"] for entry in term.data["schedule"])
        origins["modules"] = (order, _origin(term, ("schedule",)))
    return Settings.from_values(settings), [(name, value, origin)
                                            for name, (value, origin) in origins.items()]


class _Resolver:
    """Applies one term file to a loaded course, collecting every problem."""

    def __init__(self, course: Course, term_file: Path):
        self.course, self.root = course, course.root
        self.file = term_file.resolve()
        self.folder = term_folder(self.file)
        self.problems: list[Diagnostic] = []
        self.origins: list[tuple[str, str, str]] = []
        self.extra_docs: list[tuple[Document, dict[str, Any]]] = []
        self.version_pools: dict[str, list[dict[str, Any]]] = {}
        self.settings = course.settings
        display = self.file.relative_to(self.root).as_posix() if self.file.is_relative_to(
            self.root) else str(term_file)
        try:
            self.doc = load_file(self.file, display, self.file.parent)
        except ContentError as exc:
            raise ContentError(exc.diagnostics) from None
        errors, _ = invalid_paths(self.doc, "term")
        if not errors:
            dates: list[tuple[object, ...]] = [(key,) for key in ("date", "start_date")
                                               if key in self.doc.data]
            dates += [("schedule", i, "date") for i, entry in
                      enumerate(self.doc.data.get("schedule", [])) if "date" in entry]
            errors = date_errors(self.doc, dates)
        if errors:
            raise ContentError(errors)

    def error(self, path: tuple[object, ...], message: str, key: bool = False) -> None:
        self.problems.append(self.doc.diagnostic(path, message, key=key))

    def modules(self) -> list[Module]:
        loaded = {m.id: m for m in self.course.modules}
        schedule = self.doc.data.get("schedule")
        if schedule is None:
            return list(self.course.modules)
        out: list[Module] = []
        for i, entry in enumerate(schedule):
            module_id = entry["module"]
            if module_id in (m.id for m in out):
                self.error(("schedule", i, "module"), f"module {module_id!r} is scheduled twice")
                continue
            module = loaded.get(module_id) or load_module(
                self.root, self.doc, ("schedule", i, "module"), module_id, self.problems,
                self.settings.allow_hard_links)
            if module is not None:
                out.append(module)
        return out

    def overlay(self, module_id: str, data: dict[str, Any], index: int, name: str) -> None:
        where = ("modules", module_id, "add", index)
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            self.error(where, f"no overlay file {name!r} in {self.folder.name}/ (overlays live "
                              f"in the term's own folder)")
            return
        try:
            doc = load_file(path, path.relative_to(self.root).as_posix(), self.root)
        except ContentError as exc:
            self.problems.extend(exc.diagnostics)
            return
        errors, invalid = invalid_paths(doc, "overlay")
        self.problems.extend(errors)
        if errors:
            return
        readings = {r["id"] for r in data["readings"] + doc.data.get("readings", [])}
        for i, item in enumerate(doc.data.get("quiz", [])):
            self.problems.extend(check_item(doc, i, item, readings))
        for section in ("readings", "discussion", "quiz"):
            data.setdefault(section, []).extend(copy.deepcopy(doc.data.get(section, [])))
        self.extra_docs.append((doc, doc.data))
        self.origins.append((f"{module_id}.add", name, _origin(self.doc, where)))

    def select(self, module_id: str, data: dict[str, Any], changes: dict[str, Any]) -> None:
        for section, words in SECTIONS.items():
            ids = [entry["id"] for entry in data.get(section, [])]
            for mode in ("include", "exclude"):
                field = f"{mode}_{section}"
                for i, wanted in enumerate(changes.get(field, [])):
                    if wanted not in ids:
                        self.error(("modules", module_id, field, i),
                                   f"module {module_id!r} has no {words[:-1]} {wanted!r}"
                                   f"{did_you_mean(wanted, ids)}")
                if field in changes:
                    keep = set(changes[field])
                    data[section] = [e for e in data.get(section, [])
                                     if (e["id"] in keep) == (mode == "include")]
                    self.origins.append((f"{module_id}.{field}", ", ".join(changes[field]),
                                         _origin(self.doc, ("modules", module_id, field))))

    def points(self, module_id: str, data: dict[str, Any], changes: dict[str, Any]) -> None:
        items = {item["id"]: item for item in data.get("quiz", [])}
        for item_id, points in changes.get("points", {}).items():
            where = ("modules", module_id, "points", item_id)
            if item_id not in items:
                self.error(where, f"module {module_id!r} has no quiz item {item_id!r} this term"
                                  f"{did_you_mean(item_id, items)}", key=True)
                continue
            item = items[item_id]
            before = item["points"]
            restated = "rubric" in changes.get("patch", {}).get(item_id, {})
            steps = set_points(item, points, rescale=not restated)
            if steps and points != before:
                self.doc.warn(where, f"essay {item_id!r} goes from {before:g} to {points:g} "
                                     f"points, so its rubric was rescaled ({', '.join(steps)}); "
                                     f"to set the rubric yourself, restate it under patch: "
                                     f"{item_id}: rubric:")
            self.origins.append((f"{module_id}.points.{item_id}", f"{points:g}",
                                 _origin(self.doc, where)))

    def pools(self, module_id: str, data: dict[str, Any], changes: dict[str, Any],
              versions: int) -> None:
        for i, pool in enumerate(changes.get("pools", [])):
            tag, draw = pool["tag"], pool["draw"]
            members = [item["id"] for item in data.get("quiz", []) if tag in item.get("tags", [])]
            if len(members) < draw:
                self.error(("modules", module_id, "pools", i, "draw"),
                           f"cannot draw {draw} items tagged {tag!r}: the module has "
                           f"{len(members)}")
                continue
            if pool.get("per_version") and versions > 1:
                self.version_pools.setdefault(module_id, []).append(pool)
                self.origins.append((f"{module_id}.pools.{tag}", f"{draw} per form",
                                     _origin(self.doc, ("modules", module_id, "pools", i))))
                continue
            seed = hashlib.sha256(f"{self.course.settings.code}|{term_id(self.file)}|"
                                  f"{module_id}|{tag}".encode()).hexdigest()
            chosen = set(random.Random(seed).sample(members, draw))
            data["quiz"] = [item for item in data["quiz"]
                            if item["id"] not in members or item["id"] in chosen]
            self.origins.append((f"{module_id}.pools.{tag}", ", ".join(sorted(chosen)),
                                 _origin(self.doc, ("modules", module_id, "pools", i))))

    def change(self, module: Module) -> Module:
        changes = self.doc.data.get("modules", {}).get(module.id)
        if not changes:
            return module
        data = copy.deepcopy(module.data)
        for index, name in enumerate(changes.get("add", [])):
            self.overlay(module.id, data, index, name)
        self.select(module.id, data, changes)
        self.points(module.id, data, changes)
        if "patch" in changes:
            problems, origins = apply_patches(module.id, data, changes["patch"], self.doc,
                                              self.root / module.folder,
                                              self.settings.allow_hard_links)
            self.problems += problems
            self.origins += origins
        self.pools(module.id, data, changes, self.settings.versions)
        if "title" in changes:
            data["title"] = changes["title"]
            self.origins.append((f"{module.id}.title", changes["title"],
                                 _origin(self.doc, ("modules", module.id, "title"))))
        return Module(module.id, data, module.source)

    def resolve(self) -> Course:
        settings, origins = _settings(self.course, self.doc)
        self.settings = settings
        modules = self.modules()
        taught = [m.id for m in modules]
        for module_id in self.doc.data.get("modules", {}):
            if module_id not in taught:
                self.error(("modules", module_id), f"module {module_id!r} is not taught this term"
                                                   f"{did_you_mean(module_id, taught)}", key=True)
        modules = [self.change(m) for m in modules]
        self.problems.extend(course_id_errors(
            [(m.source, m.source.data) for m in modules] + self.extra_docs))
        if self.problems:
            raise ContentError(self.problems)
        schedule = {e["module"]: {k: v for k, v in e.items() if k != "module"}
                    for e in self.doc.data.get("schedule", [])}
        templates = self.folder / "templates"
        return Course(self.root, settings, modules, self.course.sources + [self.doc],
                      term=term_id(self.file), schedule=schedule,
                      template_dirs=(templates,) if templates.is_dir() else (),
                      origins=origins + self.origins, version_pools=self.version_pools)


def resolve_term(course: Course, term_file: Path) -> Course:
    """The course as taught in the term that term_file describes."""
    return _Resolver(course, term_file).resolve()


def load_resolved(root: Path, term_file: Path | None = None) -> Course:
    """Load the course at root, as taught in the given term (or as course.yaml alone)."""
    if term_file is not None and term_id_problem(term_file):
        raise ContentError([Diagnostic(str(term_file), 0, 0, "", term_id_problem(term_file))])
    from hscourse.course.exams import attach_exams

    course = load_course(root)
    return attach_exams(course if term_file is None else resolve_term(course, term_file))
