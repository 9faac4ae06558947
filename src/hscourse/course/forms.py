"""Printed quiz forms: shuffled versions A, B, C… of a module's quiz, and their keys.

A form reorders the full (instructor) data, so the student form and its key are two views of
the same permutation: the key cannot disagree with the form. Within each section, units move:
a unit is one item, or a linked set (the items sharing a stimulus, which stay together and in
order). Options are shuffled except those marked `fixed`; true/false keeps True, False;
matching and ordering choices are reshuffled per form. Everything derives from a seed made of
course, term, module and version (or `--seed`), so the same inputs give the same forms; the
course's private `secret` is mixed in (HMAC), so that nobody without it can recompute an order.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
import random
import string
from dataclasses import dataclass
from typing import Any

from hscourse.course.model import Course, Module, answer_key, module_view
from hscourse.csvfile import csv_bytes

LETTERS = string.ascii_uppercase


@dataclass(frozen=True)
class Form:
    """One version of a module's quiz."""

    letter: str
    module: Module  # the module with its quiz reordered for this form
    seed: str


SECRET_ENV = "HSCOURSE_SECRET"


def course_secret(course: Course) -> str | None:
    """The private text mixed into every shuffle: the course's or term's `secret`, else the
    HSCOURSE_SECRET environment variable; None when there is neither."""
    return course.settings.secret or os.environ.get(SECRET_ENV) or None


def base_seed(course: Course, override: str | None = None) -> str:
    """The seed all forms derive from: --seed, the course's `seed`, or course code and term;
    keyed with the course secret when there is one."""
    public = override if override is not None else str(
        course.settings.seed or f"{course.settings.code}|{course.term or ''}")
    secret = course_secret(course)
    if secret is None:
        return public
    return hmac.new(secret.encode(), public.encode(), hashlib.sha256).hexdigest()


def module_seed(course: Course, module: Module, override: str | None = None) -> str:
    """The seed of one module's quiz: its single quiz's presentation, and its forms."""
    return f"{base_seed(course, override)}|{module.id}"


def shuffles(course: Course) -> bool:
    """Whether anything printed for students depends on the seed (forms, matching, ordering,
    an exam's random draw)."""
    return any(course.versions(m) > 1 for m in course.quizzes()) or any(
        item["type"] in ("matching", "ordering")
        for module in course.modules for item in module.data.get("quiz", [])) or any(
        "draw" in part for exam in course.exams for part in exam.settings["parts"])


def form_label(index: int) -> str:
    """The letter of form `index` (0-based): A..Z, then AA, AB..., as a spreadsheet counts."""
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = LETTERS[rest] + label
    return label


def _rng(*parts: object) -> random.Random:
    return random.Random(hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest())


def _units(quiz: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive items sharing a stimulus form one unit; every other item is its own."""
    units: list[list[dict[str, Any]]] = []
    for item in quiz:
        stimulus = item.get("stimulus")
        if units and stimulus and units[-1][0].get("stimulus") == stimulus:
            units[-1].append(item)
        else:
            units.append([item])
    return units


def shuffle_options(options: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Shuffle the options that are not `fixed`; fixed ones keep their positions."""
    free = [i for i, option in enumerate(options) if not option.get("fixed")]
    moved = [options[i] for i in free]
    rng.shuffle(moved)
    out = list(options)
    for position, option in zip(free, moved):
        out[position] = option
    return out


def draw_pools(quiz: list[dict[str, Any]], pools: list[dict[str, Any]],
               rng: random.Random) -> list[dict[str, Any]]:
    """Keep `draw` items of each per-version pool (never repeating one), drop the rest."""
    for pool in pools:
        members = [item["id"] for item in quiz if pool["tag"] in item.get("tags", [])]
        chosen = set(rng.sample(members, min(pool["draw"], len(members))))
        quiz = [item for item in quiz if item["id"] not in members or item["id"] in chosen]
    return quiz


def make_form(module: Module, letter: str, seed: str,
              pools: list[dict[str, Any]] | None = None) -> Form:
    """The form `letter` of a module: sections keep their order, units shuffle within them."""
    rng = _rng(seed, module.id, letter)
    data = copy.deepcopy(module.data)
    quiz = draw_pools(data.get("quiz", []), pools or [], rng)
    sections: dict[str, list[list[dict[str, Any]]]] = {}
    for unit in _units(quiz):
        sections.setdefault(unit[0].get("section", ""), []).append(unit)
    reordered: list[dict[str, Any]] = []
    for units in sections.values():
        rng.shuffle(units)
        reordered.extend(item for unit in units for item in unit)
    for item in reordered:
        if item["type"] in ("single_choice", "multiple_answer"):
            item["options"] = shuffle_options(item["options"], rng)
    data["quiz"] = reordered
    return Form(letter, Module(module.id, data, module.source, module.locations), f"{seed}|{letter}")


def forms_for(course: Course, module: Module) -> list[Form]:
    seed = module_seed(course, module)
    pools = course.version_pools.get(module.id, [])
    return [make_form(module, form_label(i), seed, pools) for i in range(course.versions(module))]


def key_rows(form: Form) -> list[dict[str, Any]]:
    """The answer key of a form: one row per question, in the form's order."""
    view = module_view(form.module, "instructor", form.seed)
    return [{"version": form.letter, "question": n, "item": item["id"], "type": item["type"],
             "correct": answer_key(item), "points": f"{item['points']:g}"}
            for n, item in enumerate(view.get("quiz", []), start=1)]


def key_csv(form: Form) -> bytes:
    """version, question number, item id, correct response, points: for grading and scanners."""
    header = ["version", "question", "item", "correct", "points"]
    return csv_bytes(header, [[row[h] for h in header] for row in key_rows(form)])


def version_map_csv(forms: list[Form]) -> bytes:
    """item id -> question number in each version, for item analysis across forms."""
    numbers = {form.letter: {row["item"]: row["question"] for row in key_rows(form)}
               for form in forms}
    items = [item["id"] for item in forms[0].module.source.data.get("quiz", [])]
    items = [i for i in items if any(i in n for n in numbers.values())]
    for form in forms:  # items only a form's pool draw or a term overlay brought in
        items += [i for i in numbers[form.letter] if i not in items]
    header = ["item"] + [form.letter for form in forms]
    return csv_bytes(header, [[i] + [numbers[f.letter].get(i, "") for f in forms] for i in items])
