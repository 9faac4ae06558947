"""The course model, and the two views of it that the editions are rendered from.

The student view is a copy of the data with every field the schema marks `x-instructor-only`
removed, so no template or stylesheet can leak an answer: the answer is not there. Matching and
ordering items carry their answer in the order of their entries, so both views get a shuffled
presentation (`choices`) derived from a seed; only the instructor view keeps the key.
"""

from __future__ import annotations

import copy
import hashlib
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hscourse.course.load import Document
from hscourse.course.schema import SCHEMAS, field_schemas, is_plain_text, resolve
from hscourse.course.settings import Settings, with_flags
from hscourse.render.language import N_

Audience = str  # "student" | "instructor"
AUDIENCES = ("student", "instructor")
LETTERS = string.ascii_uppercase


@dataclass
class Module:
    id: str
    data: dict[str, Any]
    source: Document
    # file and line of items defined outside `source` (an exam's items, in their modules)
    locations: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def folder(self) -> str:
        return f"modules/{self.id}"


@dataclass
class Exam:
    """An exam across modules, modelled as a synthetic module whose quiz is the drawn items
    (id `exam-<id>`), so that forms, keys, sheets, grading and exports treat it as a quiz."""

    id: str
    module: Module
    settings: dict[str, Any]  # the exam's definition as written (title, date, parts...)
    parts: list[dict[str, Any]]  # per part: title, items (ids in order), points
    drawn_from: list[Module]  # the modules it draws on, with every item (reserved ones too)
    where: tuple[object, ...] = ()  # its path in the settings file, for messages

    @property
    def quiz_id(self) -> str:
        return self.module.id


@dataclass
class Course:
    """A validated course: its settings (course.yaml) and its modules in teaching order."""

    root: Path
    settings: Settings
    modules: list[Module]
    sources: list[Document] = field(default_factory=list)
    term: str | None = None
    schedule: dict[str, dict[str, Any]] = field(default_factory=dict)
    template_dirs: tuple[Path, ...] = ()
    origins: list[tuple[str, str, str]] = field(default_factory=list)
    version_pools: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    exams: list[Exam] = field(default_factory=list)

    def module(self, module_id: str) -> Module:
        """A module, or an exam's synthetic module, by id."""
        return next(m for m in self.quizzes() if m.id == module_id)

    def quizzes(self) -> list[Module]:
        """Every printed quiz: the modules' (in teaching order), then the exams'."""
        return [*self.modules, *(exam.module for exam in self.exams)]

    def full_modules(self) -> list[Module]:
        """The modules with the items an exam reserved put back: for the leak check (they
        are answers still) and the item review (they are printed, on the exam)."""
        drawn = {m.id: m for exam in self.exams for m in exam.drawn_from}
        return [drawn.get(m.id, m) for m in self.modules]

    def exam(self, module_id: str) -> Exam | None:
        """The exam whose synthetic module has this id, or None for a teaching module."""
        return next((e for e in self.exams if e.module.id == module_id), None)

    def versions(self, module: Module) -> int:
        """How many forms a quiz is printed in: an exam's own `versions`, else the course's."""
        exam = self.exam(module.id)
        if exam is not None and "versions" in exam.settings:
            return int(exam.settings["versions"])
        return self.settings.versions

    def quiz_setting(self, module: Module, name: str) -> Any:
        """A per-quiz switch (answer_sheets, print_set, print_copies): an exam's own value,
        else the course's (None when neither sets it)."""
        exam = self.exam(module.id)
        if exam is not None and name in exam.settings:
            return exam.settings[name]
        return getattr(self.settings, name)

    def set_flags(self, **flags: Any) -> None:
        """Command-line flags (`--seed`, `--large-print`) on top of the resolved settings."""
        self.settings, self.origins = with_flags(self.settings, self.origins, **flags)


def _strip(value: Any, schema: dict[str, Any]) -> Any:
    """A copy of value without the parts that schema marks instructor-only."""
    schema = resolve(schema, value)
    if isinstance(value, dict):
        properties = field_schemas(schema, value)
        return {key: _strip(v, properties.get(key, {})) for key, v in value.items()
                if not properties.get(key, {}).get("x-instructor-only")}
    if isinstance(value, list):
        return [_strip(v, schema.get("items", {})) for v in value]
    return value


def instructor_only_texts(data: Any, schema: dict[str, Any] | None = None,
                          hidden: bool = False) -> Iterator[str]:
    """Every text that the schema marks instructor-only, for leak checks."""
    schema = resolve(SCHEMAS["module"] if schema is None else schema, data)
    if isinstance(data, dict):
        properties = field_schemas(schema, data)
        for key, value in data.items():
            sub = properties.get(key, {})
            yield from instructor_only_texts(value, sub, hidden or sub.get("x-instructor-only"))
    elif isinstance(data, list):
        for value in data:
            yield from instructor_only_texts(value, schema.get("items", {}), hidden)
    elif hidden and isinstance(data, str):
        yield data


def located_strings(value: Any, path: tuple[object, ...] = ()
                    ) -> Iterator[tuple[tuple[object, ...], str]]:
    """Every text inside nested mappings and lists, with its path."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from located_strings(child, path + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from located_strings(child, path + (i,))
    elif isinstance(value, str):
        yield path, value


def all_strings(value: Any) -> Iterator[str]:
    """Every text inside nested mappings and lists."""
    if isinstance(value, dict):
        for v in value.values():
            yield from all_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from all_strings(v)
    elif isinstance(value, str):
        yield value


def secret_texts(module: Module) -> set[str]:
    """Instructor-only texts that students never see in any form.

    Matching and ordering entries are instructor-only as a sequence (their order is the answer)
    but students see each entry shuffled, and a short answer such as a name may also stand in
    the reading notes: texts that occur anywhere in the student view are not secrets.
    """
    shown = "\n".join(" ".join(s.split()) for s in all_strings(module_view(module, "student", "")))
    return {t for t in instructor_only_texts(module.data) if " ".join(t.split()) not in shown}


def seeded_order(n: int, *seed_parts: object) -> list[int]:
    """A reproducible permutation of range(n), uniformly random among all but the identity.

    A derangement (no entry in its own place) would be easier to guess: with three entries there
    are only two, so each printed order would halve the key. Only the identity, which would
    print the key itself, is excluded; the seed's secret part makes the choice unpredictable.
    """
    rng = random.Random(hashlib.sha256("\x1f".join(map(str, seed_parts)).encode()).hexdigest())
    order = list(range(n))
    while n > 1:
        rng.shuffle(order)
        if order != sorted(order):
            break
    return order


def _present(item: dict[str, Any], full: dict[str, Any], seed: str) -> None:
    """Add the shuffled columns students answer from (derived from the full item)."""
    if full["type"] == "matching":
        order = seeded_order(len(full["pairs"]), seed, full["id"])
        item["left"] = [p["left"] for p in full["pairs"]]
        item["choices"] = [full["pairs"][j]["right"] for j in order]
    elif full["type"] == "ordering":
        order = seeded_order(len(full["correct_order"]), seed, full["id"])
        item["choices"] = [full["correct_order"][j] for j in order]


def answer_key(item: dict[str, Any]) -> str:
    """The correct response in the form a grader reads it (letters for options and choices);
    in English, as data: the printed key table translates the words."""
    kind = item["type"]
    if kind in ("single_choice", "multiple_answer"):
        return ", ".join(LETTERS[i] for i, o in enumerate(item["options"]) if o.get("correct"))
    if kind == "true_false":
        return N_("True") if item["answer"] else N_("False")
    if kind == "short_answer":
        return " / ".join(item["accepted_answers"])
    if kind == "matching":
        return ", ".join(f"{i + 1}–{LETTERS[item['choices'].index(p['right'])]}"
                         for i, p in enumerate(item["pairs"]))
    if kind == "ordering":  # what students write: the place of each lettered entry
        return ", ".join(f"{LETTERS[i]}–{item['correct_order'].index(choice) + 1}"
                         for i, choice in enumerate(item["choices"]))
    return N_("See the model answer and rubric")


def _fill_defaults(data: dict[str, Any], properties: dict[str, Any]) -> None:
    """Give absent fields the schema's default (the one place defaults are stated)."""
    for key, field_schema in properties.items():
        if "default" in field_schema and key not in data:
            data[key] = copy.deepcopy(field_schema["default"])


OPENING_AFTER = frozenset(" \t\n([{<\u2014\u2013/\u201c\u2018")


def curly_quotes(text: str) -> str:
    """Straight quotes as typographic ones: "a" -> \u201ca\u201d, 'a' -> \u2018a\u2019, and an
    apostrophe (it's, '90s) -> \u2019, as Markdown fields get them from markdown-it."""
    out = []
    for i, char in enumerate(text):
        if char in "\"'":
            before = text[i - 1] if i else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            opening = before in OPENING_AFTER and not after.isspace()
            if char == "'" and after.isdigit():
                opening = False
            char = ("\u201c" if opening else "\u201d") if char == '"' else (
                "\u2018" if opening else "\u2019")
        out.append(char)
    return "".join(out)


def _typeset(value: Any, schema: dict[str, Any]) -> Any:
    """value with curly quotes in every plain-text field its schema names."""
    schema = resolve(schema, value)
    if isinstance(value, dict):
        properties = field_schemas(schema, value)
        return {key: _typeset(v, properties.get(key, {})) for key, v in value.items()}
    if isinstance(value, list):
        return [_typeset(v, schema.get("items", {})) for v in value]
    if isinstance(value, str) and is_plain_text(schema):
        return curly_quotes(value)
    return value


def module_view(module: Module, audience: Audience, seed: str) -> dict[str, Any]:
    """The module's data as the given audience may see it, with presentation fields added
    (matching and ordering choices shuffled by seed: see forms.module_seed)."""
    full = module.data
    view = copy.deepcopy(full) if audience == "instructor" else _strip(full, SCHEMAS["module"])
    view = _typeset(view, SCHEMAS["module"])
    _fill_defaults(view, SCHEMAS["module"]["properties"])
    for item in view.get("quiz", []):
        _fill_defaults(item, field_schemas(SCHEMAS["module"]["properties"]["quiz"]["items"],
                                           item))
    for item, full_item in zip(view.get("quiz", []), full.get("quiz", [])):
        _present(item, full_item, seed)
        if audience == "instructor":
            item["key"] = answer_key(item)
    return view


def set_points(item: dict[str, Any], points: float, rescale: bool = True) -> list[str]:
    """Give an item new points (a term's `points`, an exam part's). An essay's rubric is
    scaled to match unless rescale is false (the term restates it); returns each criterion's
    change ("2 -> 5"), for the warning that says what was rescaled."""
    steps = []
    if item["type"] == "essay" and rescale:
        scale = points / item["points"]
        for criterion in item["rubric"]:
            new = round(criterion["points"] * scale, 2)
            steps.append(f"{criterion['points']:g} -> {new:g}")
            criterion["points"] = new
    item["points"] = points
    return steps


def total_points(view: dict[str, Any]) -> float:
    return sum(item["points"] for item in view.get("quiz", []))
