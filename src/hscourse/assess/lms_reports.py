"""Reading a Moodle quiz "Responses" report download, for scoring and item analysis.

The layout (Moodle's mod/quiz/report/responses, last_responses_table.php and its language
strings; docs.moodle.org/en/Quiz_reports): the identity columns the site shows (Surname, First
name, Email address, and so on), State, Started on, Completed, Time taken, Grade/<max>, then
for each question slot N the columns "Question N" (a plain-text summary of the question),
"Response N" (a summary of the response: the chosen option's text; options joined by "; "
for multiple answer; "left -> right" pairs joined by "; " for matching) and "Right answer N",
each present when ticked under "Include" in the report's options. "-" means no response.

Questions are matched to items by their text: hscourse's Moodle export writes each item's
prompt (after its stimulus) as the question text, so the summary starts with it. "Question N"
columns are therefore required; a slot's question may differ per student (random questions),
so each cell is matched on its own. Responses are turned into the letters of the module's own
option order and scored by the same rules as paper (`grade.score_answer`). Essays have no
score in this report and are left out of the analysis; attempts not "Finished" are skipped.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from typing import Any

from hscourse.assess.grade import (
    CellError,
    Grading,
    Question,
    QuizForms,
    Settings,
    StudentScore,
    normalise,
    score_question,
)
from hscourse.assess.responses import Table
from hscourse.course.model import LETTERS, Course
from hscourse.errors import ContentError, Diagnostic
from hscourse.formats.common import plain_text, quiz_items

NO_RESPONSE = ("", "-")
IDENTITY_COLUMNS = ("ID number", "Email address", "Username")
SCORED_TYPES = ("single_choice", "multiple_answer", "true_false", "short_answer", "matching")
_SLOT = re.compile(r"(Question|Response) (\d+)")


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def is_moodle_responses(table: Table) -> bool:
    return "Response 1" in table.header


def _prompt_keys(course: Course, quiz: QuizForms) -> list[tuple[str, str]]:
    """(normalised question text as exported, item id), longest first, for prefix matching."""
    only = replace(course, modules=[quiz.module])
    keys = [(normalise(plain_text(item["prompt"])), item["id"])
            for _module, _view, items in quiz_items(only) for _index, item in items]
    return sorted(keys, key=lambda pair: -len(pair[0]))


def _columns(table: Table) -> tuple[int, int | None, int | None, dict[int, tuple[int, int]]]:
    header = table.header
    identity = next((header.index(c) for c in IDENTITY_COLUMNS if c in header), None)
    if identity is None:
        raise ContentError([table.error(1, 0, "", "a Moodle Responses report needs an identity "
                                        "column (ID number, Email address or Username): "
                                        "show one in the report before downloading it")])
    first = header.index("First name") if "First name" in header else None
    surname = header.index("Surname") if "Surname" in header else None
    slots: dict[int, dict[str, int]] = {}
    for index, name in enumerate(header):
        match = _SLOT.fullmatch(name)
        if match:
            slots.setdefault(int(match.group(2)), {})[match.group(1)] = index
    missing = [n for n, cols in slots.items() if "Question" not in cols]
    if missing:
        raise ContentError([table.error(1, 0, "", "the report has no 'Question N' columns: "
                                        "tick 'Summary of the question' under Include in the "
                                        "Responses report's options and download it again")])
    return identity, first, surname, {n: (c["Question"], c["Response"])
                                      for n, c in sorted(slots.items()) if "Response" in c}


def _letters_for(item: dict[str, Any], response: str) -> str:
    """A Moodle response summary as the letters (or pairs) of the module's own order."""
    kind = item["type"]
    if kind == "true_false":
        return {"true": "T", "false": "F"}.get(response.strip().lower(), response)
    if kind == "short_answer":
        return response
    if kind == "matching":
        pairs = []
        for part in response.split("; "):
            left, _, right = part.partition(" -> ")
            lefts = [normalise(plain_text(x)) for x in item["left"]]
            rights = [normalise(plain_text(x)) for x in item["choices"]]
            if normalise(left) not in lefts or normalise(right) not in rights:
                raise CellError(f"{part!r} is not a pair of this matching item")
            pairs.append(f"{lefts.index(normalise(left)) + 1}"
                         f"{LETTERS[rights.index(normalise(right))]}")
        return " ".join(pairs)
    texts = [normalise(plain_text(o["text"])) for o in item["options"]]
    parts = response.split("; ") if kind == "multiple_answer" else [response]
    letters = []
    for part in parts:
        if normalise(part) not in texts:
            raise CellError(f"{part!r} is not an option of this item (was it edited after the "
                            "export?)")
        letters.append(LETTERS[texts.index(normalise(part))])
    return "".join(letters)


def _lms_quiz(quiz: QuizForms) -> QuizForms:
    """The quiz in module order as one 'form', keeping only the items this report can score."""
    items = [i for i in quiz.items if i["type"] in SCORED_TYPES]
    questions = [Question(n, item, tuple(range(len(item.get("options", [])))))
                 for n, item in enumerate(items, start=1)]
    return QuizForms(quiz.quiz, quiz.module, items, {"": questions})


def read_moodle_responses(table: Table, quiz: QuizForms, course: Course,
                          settings: Settings | None = None) -> Grading:
    """Score a Moodle Responses report against the quiz's items; every problem at once."""
    settings = settings or Settings()
    identity, first, surname, slots = _columns(table)
    lms = _lms_quiz(quiz)
    scored = {q.item["id"]: q for q in lms.forms[""]}
    keys = _prompt_keys(course, quiz)
    grading = Grading(lms, [])
    problems: list[Diagnostic] = []
    state = table.header.index("State") if "State" in table.header else None
    seen: dict[str, int] = {}
    for row, cells in table.rows:
        cell = partial(_cell, cells)
        student_id = cell(identity)
        if not student_id or (state is not None and cell(state) not in ("", "Finished")):
            continue
        if student_id in seen:
            problems.append(table.error(row, identity + 1, table.header[identity],
                                        f"{student_id!r} is also on row {seen[student_id]}"))
            continue
        seen[student_id] = row
        name = " ".join(x for x in (cell(first), cell(surname)) if x)
        student = StudentScore(student_id, name, "", row)
        for number, (q_col, r_col) in slots.items():
            summary = normalise(cell(q_col))
            item_id = next((i for k, i in keys if k and summary.startswith(k)), None)
            if item_id is None:
                if cell(q_col) not in NO_RESPONSE:
                    problems.append(table.error(row, q_col + 1, f"Question {number}",
                                                "matches no item of quiz " + repr(quiz.quiz)))
                continue
            question = scored.get(item_id)
            response = cell(r_col)
            if question is None:
                continue
            response = "" if response in NO_RESPONSE else response
            where = table.error(row, r_col + 1, f"Response {number}", "")
            try:
                score_question(question, response and _letters_for(question.item, response), (), settings,
                               student, grading, where)
            except CellError as exc:
                problems.append(table.error(row, r_col + 1, f"Response {number}",
                                            f"item {item_id!r}: {exc}"))
        grading.students.append(student)
    if problems:
        raise ContentError(problems)
    if not grading.students:
        raise ContentError([table.error(1, 0, "", "no finished attempts in the report")])
    return grading
