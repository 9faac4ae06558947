"""Simulated quizzes and students for the grading tests and the benchmark.

A course with one generated module of mixed item types, and students answering it under a
two-parameter logistic (2PL) model: P(right) = 1 / (1 + exp(-a (theta - b))). Answers are
written as a student would on their printed form (letters of that form), so grading must map
them back; the simulation also returns the points each answer should earn, for comparison.
A "miskeyed" item has its key on an option the able students avoid: they choose another one.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hscourse.assess.grade import QuizForms
from hscourse.course.model import LETTERS

KINDS = ("single_choice",) * 6 + ("multiple_answer", "true_false", "short_answer",
                                  "matching", "ordering", "essay")


def _item(n: int, kind: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": f"sim-q{n:02d}", "type": kind, "prompt": f"Question {n} asks "
                            f"about topic {n}.", "points": 2 if kind == "essay" else 1,
                            "explanation": f"Because of reason {n}.",
                            "objective": f"obj-{n % 3 + 1}", "level": ("remember", "apply")[n % 2]}
    if kind == "single_choice":
        item["options"] = [{"text": f"Option {c} of question {n}", **({"correct": True}
                                                                      if c == 0 else {})}
                           for c in range(4)]
    elif kind == "multiple_answer":
        item["options"] = [{"text": f"Choice {c} of question {n}", **({"correct": True}
                                                                      if c < 2 else {})}
                           for c in range(4)]
    elif kind == "true_false":
        item["answer"] = n % 2 == 0
    elif kind == "short_answer":
        item["accepted_answers"] = [f"Answer {n}", f"Reply-{n}"]
    elif kind == "matching":
        item["pairs"] = [{"left": f"Left {c} of {n}", "right": f"Right {c} of {n}"}
                         for c in range(3)]
    elif kind == "ordering":
        item["correct_order"] = [f"Step {c} of {n}" for c in range(4)]
    else:
        item["model_answer"] = "A model answer."
        item["rubric"] = [{"criterion": "Argument", "points": 1},
                          {"criterion": "Evidence", "points": 1}]
    return item


def make_course(root: Path, items: int = 12, versions: int = 3,
                kinds: tuple[str, ...] = KINDS) -> Path:
    """A course folder with one module `sim` of `items` items cycling through kinds."""
    module = {"id": "sim", "title": "Simulated Quiz", "overview": "A generated module.",
              "objectives": [{"id": f"obj-{i}", "text": f"Objective {i}."} for i in (1, 2, 3)],
              "readings": [{"id": "r1", "authors": ["Author, A."], "title": "A reading",
                            "date": "2020", "notes": "Notes."}],
              "quiz": [_item(n, kinds[(n - 1) % len(kinds)]) for n in range(1, items + 1)]}
    folder = root / "modules" / "sim"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "module.yaml").write_text(yaml.safe_dump(module, sort_keys=False),
                                        encoding="utf-8")
    course = {"title": "Simulation", "code": "SIM 1", "language": "en", "paper": "A4",
              "date": "2027-01-11", "term": "Spring 2027", "modules": ["sim"],
              "versions": versions}
    (root / "course.yaml").write_text(yaml.safe_dump(course, sort_keys=False), encoding="utf-8")
    return root


def _letter(question: Any, original: int) -> str:
    return LETTERS[question.original.index(original)]


def _answer(question: Any, right: bool, rng: np.random.Generator,
            miskeyed: bool) -> tuple[str, float]:
    """What a student writes for a question on their form, and the points it should earn."""
    item = question.item
    kind, points = item["type"], item["points"]
    if kind == "single_choice":
        keyed = next(i for i, o in enumerate(_module_options(question)) if o.get("correct"))
        if miskeyed:  # the able choose option 3 (the true answer); the key says `keyed`
            pick = 3 if right else int(rng.choice([o for o in range(4) if o != 3]))
        else:
            pick = keyed if right else int(rng.choice([o for o in range(4) if o != keyed]))
        return _letter(question, pick), float(points if pick == keyed else 0)
    if kind == "multiple_answer":
        if right:
            return _letter(question, 0) + _letter(question, 1), float(points)
        return _letter(question, 0) + _letter(question, 2), 0.0  # 50 - 50 (Moodle's fractions)
    if kind == "true_false":
        value = item["answer"] if right else not item["answer"]
        return ("T" if value else "F"), float(points if right else 0)
    if kind == "short_answer":
        return ((f" {item['accepted_answers'][0].upper()}. " if right else "no idea"),
                float(points if right else 0))
    if kind == "matching":
        pairs = [f"{n + 1}{LETTERS[item['choices'].index(p['right'])]}"
                 for n, p in enumerate(item["pairs"])]
        if right:
            return " ".join(pairs), float(points)
        swapped = [pairs[1][0] + pairs[0][1], pairs[0][0] + pairs[1][1], pairs[2]]
        return " ".join(swapped), points / 3
    if kind == "ordering":
        order = "".join(LETTERS[item["choices"].index(e)] for e in item["correct_order"])
        if right:
            return order, float(points)
        return order[1] + order[0] + order[2:], points / 2
    score = float(points if right else 0)
    return f"{score:g}", score


def _module_options(question: Any) -> list[dict[str, Any]]:
    """The question's options in module order (undoing the form's permutation)."""
    out: list[Any] = [None] * len(question.item["options"])
    for printed, original in enumerate(question.original):
        out[original] = question.item["options"][printed]
    return out


def simulate(quiz: QuizForms, students: int, seed: int = 1,
             miskeyed: str | None = None) -> tuple[bytes, np.ndarray]:
    """A responses CSV for `students` under a 2PL model, and the expected points matrix
    (students x items in module order). Every 13th answer is left blank (omitted)."""
    rng = np.random.default_rng(seed)
    ids = [item["id"] for item in quiz.items]
    a = rng.uniform(0.8, 2.0, len(ids))
    b = rng.normal(0.0, 1.0, len(ids))
    theta = rng.normal(0.0, 1.0, students)
    letters = [letter for letter in quiz.forms]
    count = quiz.question_count()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "name", "form", *map(str, range(1, count + 1))])
    expected = np.zeros((students, len(ids)))
    for s in range(students):
        form = letters[s % len(letters)]
        row = [f"s{s:05d}", f"Student {s}", form]
        for q in quiz.forms[form]:
            j = ids.index(q.item["id"])
            p = 1 / (1 + np.exp(-a[j] * (theta[s] - b[j])))
            right = bool(rng.random() < p)
            text, points = _answer(q, right, rng, q.item["id"] == miskeyed)
            if (s * count + q.number) % 13 == 0:
                text, points = "", 0.0
            row.append(text)
            expected[s, j] = points
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8"), expected


MISKEYED = "sim-q02"  # the item graded_class keys wrongly (test_analysis finds it)


def graded_class(folder: Path) -> None:
    """A class graded as `hscourse grade` grades it, for the tests that read its PDFs:
    course/ (8 items on 2 forms); r.csv, 80 simulated students with MISKEYED miskeyed, graded
    into report/ (the item analysis PDF); few.csv, its first three students (the first named
    Zhang Min), graded into one/ with a feedback PDF per student."""
    from hscourse.assess.grade import quiz_forms
    from hscourse.assess.report import GradeOptions, grade
    from hscourse.course.resolve import load_resolved

    root = make_course(folder / "course", items=8, versions=2)
    data, _ = simulate(quiz_forms(load_resolved(root), "sim"), 80, seed=8, miskeyed=MISKEYED)
    (folder / "r.csv").write_bytes(data)
    grade(root, folder / "r.csv", "sim", out=folder / "report")
    (folder / "few.csv").write_bytes(b"\n".join(data.split(b"\n")[:4]).replace(
        b"s00000,Student 0,", b"s00000,Zhang Min,") + b"\n")
    grade(root, folder / "few.csv", "sim", out=folder / "one",
          options=GradeOptions(pdf=False, feedback=True))
