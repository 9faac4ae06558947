"""Exams across modules (midterms, finals): `exams:` in course.yaml or a term.

An exam's parts draw quiz items from named modules, by id, tag, level or objective, all of
them or `draw: N` at random. The drawn items become the quiz of a synthetic module (id
`exam-<id>`, one section per part), so forms, keys, answer sheets, grading and exports treat an
exam as one more quiz. The random draw is keyed like the forms (forms.base_seed: the course's
`seed` and private `secret`), so the same inputs draw the same items and nobody without the
secret can work out the draw. Items of a `reserve` exam (or part) are then left out of the
module quizzes of the same term, so that students do not meet them twice.
"""

from __future__ import annotations

import copy
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from hscourse.course.assets import local_image_paths
from hscourse.course.forms import base_seed
from hscourse.course.load import Document
from hscourse.course.model import Course, Exam, Module, set_points
from hscourse.course.paths import markdown_fields, markdown_references
from hscourse.course.schema import SCHEMAS
from hscourse.errors import ContentError, Diagnostic, did_you_mean

PREFIX = "exam-"
FILTERS = ("items", "tags", "levels", "objectives")


def exam_module_id(exam_id: str) -> str:
    """The id of an exam's synthetic module, which also names its outputs (exam-midterm)."""
    return PREFIX + exam_id


def settings_document(course: Course) -> Document | None:
    """The file that set `exams` (the term's when it sets them, else course.yaml)."""
    return next((d for d in reversed(course.sources)
                 if isinstance(d.data, dict) and "exams" in d.data), None)


def _objective_ids(module: Module) -> list[str]:
    return [o["id"] for o in module.data.get("objectives", []) if isinstance(o, dict)]


def _item_objectives(item: dict[str, Any]) -> list[str]:
    value = item.get("objective", [])
    return [value] if isinstance(value, str) else list(value)


def _matches(item: dict[str, Any], part: dict[str, Any]) -> bool:
    """Whether an item passes every filter the part sets (each filter: any of its values)."""
    return (("items" not in part or item["id"] in part["items"])
            and ("tags" not in part or bool(set(part["tags"]) & set(item.get("tags", []))))
            and ("levels" not in part or item.get("level") in part["levels"])
            and ("objectives" not in part
                 or bool(set(part["objectives"]) & set(_item_objectives(item)))))


def draw_order(seed: str, exam_id: str, part: int, candidates: list[str], count: int
               ) -> list[str]:
    """`count` of the candidates drawn at random, kept in the order they were given."""
    rng = random.Random(hashlib.sha256(f"{seed}\x1fexam\x1f{exam_id}\x1f{part}".encode())
                        .hexdigest())
    chosen = set(rng.sample(candidates, count))
    return [c for c in candidates if c in chosen]


@dataclass
class _Drawer:
    """Resolves the exams of one course, collecting every problem with its file and line."""

    course: Course
    doc: Document
    problems: list[Diagnostic] = field(default_factory=list)
    exam_index: int = 0  # the exam being drawn, for messages

    def error(self, path: tuple[object, ...], message: str) -> None:
        self.problems.append(self.doc.diagnostic(("exams", *path), message))

    def part_modules(self, where: tuple[object, ...], part: dict[str, Any]) -> list[Module]:
        taught = {m.id: m for m in self.course.modules}
        out = []
        for k, module_id in enumerate(part["modules"]):
            if module_id in taught:
                out.append(taught[module_id])
            else:
                scope = "this term" if self.course.term else "in this course"
                self.error((*where, "modules", k), f"module {module_id!r} is not taught {scope}"
                                                   f"{did_you_mean(module_id, taught)}")
        return out

    def check_filters(self, where: tuple[object, ...], part: dict[str, Any],
                      modules: list[Module]) -> None:
        """Every item id, tag and objective the part names exists in its modules."""
        items = [i for m in modules for i in m.data.get("quiz", [])]
        known = {"items": [i["id"] for i in items],
                 "tags": sorted({t for i in items for t in i.get("tags", [])}),
                 "objectives": [o for m in modules for o in _objective_ids(m)]}
        words = {"items": "quiz item", "tags": "item tagged", "objectives": "objective"}
        names = ", ".join(repr(m.id) for m in modules)
        for key, ids in known.items():
            for k, wanted in enumerate(part.get(key, [])):
                if wanted in ids:
                    continue
                elsewhere = [m.id for m in self.course.modules
                             if key == "items" and any(i["id"] == wanted
                                                       for i in m.data.get("quiz", []))]
                hint = (f"; it is in module {elsewhere[0]!r}: add that module to the part's "
                        "modules" if elsewhere else did_you_mean(wanted, ids))
                self.error((*where, key, k), f"no {words[key]} {wanted!r} in module(s) "
                                             f"{names}{hint}")

    def draw_part(self, exam_id: str, index: int, part: dict[str, Any], taken: set[str]
                  ) -> list[tuple[Module, dict[str, Any]]]:
        """The items of one part, in teaching order (modules as listed, items as written)."""
        where = (self.exam_index, "parts", index)
        modules = self.part_modules(where, part)
        before = len(self.problems)
        self.check_filters(where, part, modules)
        if len(self.problems) > before or not modules:
            return []
        for k, item_id in enumerate(part.get("items", [])):
            if item_id in taken:
                self.error((*where, "items", k), f"item {item_id!r} is already in an earlier "
                                                 "part of this exam")
        candidates = [(m, i) for m in modules for i in m.data.get("quiz", [])
                      if _matches(i, part) and i["id"] not in taken]
        wanted = part.get("draw", len(candidates))
        if not candidates or wanted > len(candidates):
            filters = ", ".join(k for k in FILTERS if k in part) or "no filter"
            self.error((*where, "draw" if "draw" in part else "modules"),
                       f"cannot take {wanted} item(s): {len(candidates)} item(s) of module(s) "
                       f"{', '.join(m.id for m in modules)} match ({filters}) and are not in an "
                       "earlier part; lower `draw` or widen the part")
            return []
        if "draw" not in part:
            return candidates
        ids = draw_order(base_seed(self.course), exam_id, index,
                         [i["id"] for _, i in candidates], wanted)
        return [c for c in candidates if c[1]["id"] in ids]

    def exam(self, index: int, definition: dict[str, Any], modules: set[str]) -> Exam | None:
        self.exam_index = index
        module_id = exam_module_id(definition["id"])
        if module_id in modules:
            self.error((index, "id"), f"exam {definition['id']!r} would be named {module_id!r}, "
                                      "the id of a module; choose another exam id")
        taken: set[str] = set()
        parts: list[dict[str, Any]] = []
        drawn: list[tuple[Module, dict[str, Any], int]] = []
        for p, part in enumerate(definition["parts"]):
            chosen = self.draw_part(definition["id"], p, part, taken)
            taken |= {item["id"] for _, item in chosen}
            drawn += [(m, item, p) for m, item in chosen]
            reserve = bool(part.get("reserve", definition.get("reserve", False)))
            parts.append({"title": part.get("title", f"Part {p + 1}"),
                          "items": [item["id"] for _, item in chosen],
                          "reserve": reserve})
        if self.problems:
            return None
        data = synthetic_quiz(module_id, definition, parts, drawn)
        for where, name in local_image_paths({k: data[k] for k in ("quiz", "stimuli")}):
            if not name.startswith("../"):  # relocate_images could not find it in the text
                shown = data[str(where[0])][int(str(where[1]))]["id"]
                self.error((index, "parts"), f"{shown!r} shows the image {name!r}, written in "
                                             "a way an exam cannot relocate; write it as "
                                             "![alt text](file.png)")
        if self.problems:
            return None
        for p, part in enumerate(parts):
            part["points"] = sum(item["points"] for (_, _, q), item in zip(drawn, data["quiz"])
                                 if q == p)
        originals = list(dict.fromkeys(m.id for m, _, _ in drawn))
        module = Module(module_id, data, self.doc, item_locations(drawn))
        return Exam(definition["id"], module, definition, parts,
                    [self.course.module(m) for m in originals], where=("exams", index))


def item_locations(drawn: list[tuple[Module, dict[str, Any], int]]
                   ) -> dict[str, tuple[str, int]]:
    """Where each drawn item is written (its module file and line), for item analysis."""
    out = {}
    for module, item, _ in drawn:
        listed = module.source.data.get("quiz", [])
        index = next((i for i, entry in enumerate(listed) if entry.get("id") == item["id"]), None)
        line = module.source.where(("quiz", index))[0] if index is not None else 0
        out[item["id"]] = (module.source.file, line)
    return out


def relocate_images(entry: dict[str, Any], module_id: str, section: str = "quiz"
                    ) -> dict[str, Any]:
    """The entry (a quiz item or stimulus) with its relative images pointing at its own
    module's folder from the exam's (`../<module>/file.png`): Markdown images are resolved
    against the folder of the module being printed, modules/exam-<id>/."""
    wrapper: dict[str, Any] = {section: [entry]}
    for path, text in list(markdown_fields(wrapper, SCHEMAS["module"])):
        target: Any = wrapper
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = _relocated(text, module_id)
    return entry


def _relocated(text: str, module_id: str) -> str:
    for url in dict.fromkeys(u for kind, u in markdown_references(text) if kind == "image"):
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path or url.startswith(("/", "#")):
            continue
        for lead in ("](", "](<", "]: ", "]: <"):
            text = text.replace(lead + url, f"{lead}../{module_id}/{url}")
    return text


def synthetic_quiz(module_id: str, definition: dict[str, Any], parts: list[dict[str, Any]],
                   drawn: list[tuple[Module, dict[str, Any], int]]) -> dict[str, Any]:
    """The module data of an exam: its title, and as quiz the drawn items, each part a section
    (forms shuffle within a part). Stimulus and reading ids are only unique within their
    module, so they are prefixed with it here."""
    sections = [f"Part {p + 1}: {part['title']}" if "title" in spec else f"Part {p + 1}"
                for p, (part, spec) in enumerate(zip(parts, definition["parts"]))]
    quiz, stimuli, readings = [], {}, {}
    for module, item, p in drawn:
        item = relocate_images(copy.deepcopy(item), module.id)
        item["section"] = sections[p]
        if "points" in definition["parts"][p]:
            set_points(item, definition["parts"][p]["points"])
        if "stimulus" in item:
            source = next(s for s in module.data.get("stimuli", []) if s["id"] == item["stimulus"])
            item["stimulus"] = f"{module.id}--{source['id']}"
            stimuli[item["stimulus"]] = relocate_images(
                {**copy.deepcopy(source), "id": item["stimulus"]}, module.id, "stimuli")
        if "reading" in item:
            source = next(r for r in module.data["readings"] if r["id"] == item["reading"])
            item["reading"] = f"{module.id}--{source['id']}"
            readings[item["reading"]] = {**copy.deepcopy(source), "id": item["reading"]}
        quiz.append(item)
    return {"id": module_id, "title": definition["title"],
            "overview": definition.get("instructions", definition["title"]),
            "objectives": [definition["title"]], "readings": list(readings.values()),
            "stimuli": list(stimuli.values()), "quiz": quiz}


def reserve(course: Course) -> None:
    """Leave the items of reserved exams and parts out of the module quizzes."""
    reserved = {item for exam in course.exams for part in exam.parts if part["reserve"]
                for item in part["items"]}
    if not reserved:
        return
    course.modules = [
        Module(m.id, {**m.data, "quiz": [i for i in m.data.get("quiz", [])
                                         if i["id"] not in reserved]}, m.source)
        for m in course.modules]


def attach_exams(course: Course) -> Course:
    """The course with its exams drawn (Course.exams) and their reserved items taken off the
    module quizzes; every problem in the exam definitions raised at once."""
    doc = settings_document(course)
    definitions = course.settings.exams
    if doc is None or not definitions:
        return course
    drawer = _Drawer(course, doc)
    ids = [d["id"] for d in definitions]
    for index, exam_id in enumerate(ids):
        if exam_id in ids[:index]:
            drawer.error((index, "id"), f"exam {exam_id!r} is defined twice")
    modules = {m.id for m in course.modules}
    exams = [drawer.exam(i, d, modules) for i, d in enumerate(definitions)]
    if drawer.problems:
        raise ContentError(drawer.problems)
    course.exams = [e for e in exams if e is not None]
    reserve(course)
    course.origins = [o for o in course.origins if o[0] != "exams"] + [
        (f"exams.{e.id}", describe(e), f"{doc.file}:{doc.where(e.where)[0]}")
        for e in course.exams]
    return course


def describe(exam: Exam) -> str:
    """One line for `config`: 'Midterm: 3 parts, 12 items, 20 points, 2 forms (reserved)'."""
    items = sum(len(p["items"]) for p in exam.parts)
    points = sum(p["points"] for p in exam.parts)
    reserved = sum(len(p["items"]) for p in exam.parts if p["reserve"])
    text = (f"{exam.settings['title']}: {len(exam.parts)} parts, {items} items "
            f"({', '.join(' '.join(p['items']) for p in exam.parts)}), {points:g} points")
    return text + (f", {reserved} items reserved" if reserved else "")
