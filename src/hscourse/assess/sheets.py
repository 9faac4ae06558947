"""Answer sheets: the geometry of every page, computed once here, and the sheet's HTML.

The layout (`<quiz>-<form>-layout.json`) is the single statement of where things are: the
template places every marker, bubble and the QR code at the layout's coordinates (points from
the top-left corner of the page), and the scanner reads bubbles at the same coordinates. So
the printed sheet and the reader cannot disagree.

A page holds four corner markers, a QR code naming course, term, quiz, form and page (and the
student, on personalised sheets), the name box, the student-ID grid and rows of bubbles, one
row per question, in columns. Every page repeats the header and the ID grid, so pages can be
scanned in any order and still be matched to their student.
"""

from __future__ import annotations

import csv
import io
import json
import string
from dataclasses import dataclass
from typing import Any

from hscourse.course.forms import forms_for, module_seed
from hscourse.course.model import Course, Module, module_view
from hscourse.errors import ContentError, Diagnostic

PAPER_POINTS = {"A4": (595.28, 841.89), "Letter": (612.0, 792.0)}
OPTION_LETTERS = string.ascii_uppercase[:8]  # A-H: the most options a row carries
BUBBLE_TYPES = ("single_choice", "multiple_answer", "true_false")
QR_FORMAT = 1  # bumped when the QR payload changes

MARKER_R = 10.0
MARKER_INSET = 30.0  # marker centre from the page edges
BUBBLE_R = 5.5
ROW_PITCH = 17.0
OPTION_PITCH = 16.0
NUMBER_WIDTH = 26.0
ID_PITCH_X = 15.0
ID_PITCH_Y = 14.0
QR_SIZE = 76.0
MARGIN = 56.0  # content starts this far from the page edges
HEADER_TOP = 22.0
ID_TOP = 128.0  # top of the ID grid's write-in boxes
COLUMNS = 3


@dataclass(frozen=True)
class Question:
    """One question as the sheet shows it: its printed number and the bubbles it gets."""

    number: int
    type: str
    options: tuple[str, ...]  # printed letters (T, F for true/false); empty: a box instead

    @property
    def bubbles(self) -> bool:
        return bool(self.options)


def sheet_question(number: int, item: dict[str, Any]) -> Question:
    """The bubbles of one quiz item as printed: letters A.. for options, T/F for true/false;
    none (a "see question N" box) for every other type, or for more options than A-H."""
    kind = item["type"]
    if kind == "true_false":
        return Question(number, kind, ("T", "F"))
    if kind in BUBBLE_TYPES and len(item["options"]) <= len(OPTION_LETTERS):
        return Question(number, kind, tuple(OPTION_LETTERS[:len(item["options"])]))
    return Question(number, kind, ())


def quiz_questions(module: Module, seed: str) -> list[Question]:
    """The questions of a module's (or a form's) quiz, numbered as the student view prints them."""
    view = module_view(module, "student", seed)
    return [sheet_question(n, item) for n, item in enumerate(view.get("quiz", []), start=1)]


@dataclass(frozen=True)
class Sheet:
    """What one answer sheet is for: a quiz form (letter '' when the quiz has one version)."""

    course: str
    term: str
    quiz: str
    title: str
    form: str
    questions: tuple[Question, ...]
    paper: str
    id_digits: int

    @property
    def name(self) -> str:
        return f"{self.quiz}-{self.form}" if self.form else self.quiz


def id_digits(course: Course) -> int:
    return course.settings.answer_sheet.id_digits


def quiz_sheets(course: Course, module: Module) -> list[Sheet]:
    """One sheet per printed form of the module's quiz.

    Forms come from hscourse.course.forms exactly as the build prints them; a quiz with one version
    is printed unshuffled, and so is its sheet."""
    def sheet(form: str, printed: Module, seed: str) -> Sheet:
        return Sheet(form=form, questions=tuple(quiz_questions(printed, seed)),
                     course=course.settings.code,
                     term=course.settings.term, quiz=module.id,
                     title=str(module.data.get("title", module.id)),
                     paper=course.settings.paper, id_digits=id_digits(course))

    if course.versions(module) < 2:
        return [sheet("", module, module_seed(course, module))]
    return [sheet(form.letter, form.module, form.seed) for form in forms_for(course, module)]


def sheets_for_quiz(course: Course, quiz: str, seed: str | None = None) -> list[Sheet]:
    """The sheets of one quiz (a module id) as the build printed them (with --seed when the
    build was given one)."""
    if seed is not None:
        course.set_flags(seed=seed)
    return quiz_sheets(course, course.module(quiz))


def qr_payload(sheet: Sheet, page: int, student: str = "") -> str:
    """What a page's QR code says: compact JSON, so any QR reader shows something legible."""
    data = {"hscourse": QR_FORMAT, "course": sheet.course, "term": sheet.term,
            "quiz": sheet.quiz, "form": sheet.form, "page": page}
    if student:
        data["student"] = student
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def parse_qr(text: str) -> dict[str, Any] | None:
    """The payload of an hscourse QR code, or None for any other text."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("hscourse") != QR_FORMAT:
        return None
    return data


def circle(x: float, y: float, r: float, **extra: Any) -> dict[str, Any]:
    return {**extra, "x": round(x, 2), "y": round(y, 2), "r": r}


def markers(width: float, height: float) -> list[dict[str, Any]]:
    """Top-left, top-right, bottom-right, bottom-left."""
    inset = MARKER_INSET
    return [circle(x, y, MARKER_R) for x, y in ((inset, inset), (width - inset, inset),
                                                  (width - inset, height - inset),
                                                  (inset, height - inset))]


def id_grid(digits: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The write-in boxes and bubbles (0-9 downwards) of the ID grid, one column per digit."""
    boxes, bubbles = [], []
    for position in range(digits):
        x = MARGIN + 14 + position * ID_PITCH_X
        boxes.append({"x": round(x - 6.5, 2), "y": ID_TOP, "width": 13.0, "height": 15.0})
        for digit in range(10):
            y = ID_TOP + 26 + digit * ID_PITCH_Y
            bubbles.append(circle(x, y, BUBBLE_R, position=position + 1, digit=digit))
    return boxes, bubbles


def id_grid_bottom() -> float:
    return ID_TOP + 26 + 9 * ID_PITCH_Y + BUBBLE_R + 12


def question_slots(width: float, height: float, top: float) -> list[tuple[float, float]]:
    """Row origins (x of the number, y of the row's centre) in column order."""
    column_width = (width - 2 * MARGIN) / COLUMNS
    rows = int((height - MARGIN - top) // ROW_PITCH)
    return [(MARGIN + c * column_width, top + ROW_PITCH / 2 + r * ROW_PITCH)
            for c in range(COLUMNS) for r in range(rows)]


def question_row(question: Question, x: float, y: float) -> dict[str, Any]:
    """One question's row: its bubbles, or the box the marker writes in."""
    row: dict[str, Any] = {"question": question.number, "type": question.type,
                           "x": round(x, 2), "y": round(y, 2)}
    start = x + NUMBER_WIDTH + BUBBLE_R
    if question.bubbles:
        row["bubbles"] = [circle(start + i * OPTION_PITCH, y, BUBBLE_R,
                                 question=question.number, option=letter)
                          for i, letter in enumerate(question.options)]
    else:
        row["box"] = {"x": round(x + NUMBER_WIDTH, 2), "y": round(y - ROW_PITCH / 2 + 2, 2),
                      "width": OPTION_PITCH * 8 - 4, "height": ROW_PITCH - 4}
    return row


def layout(sheet: Sheet) -> dict[str, Any]:
    """The geometry of every page of a sheet, in points from the top-left corner."""
    width, height = PAPER_POINTS[sheet.paper]
    boxes, id_bubbles = id_grid(sheet.id_digits)
    slots = question_slots(width, height, id_grid_bottom())
    questions = list(sheet.questions)
    chunks = [questions[i:i + len(slots)] for i in range(0, len(questions), len(slots))] or [[]]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        rows = [question_row(q, *slot) for q, slot in zip(chunk, slots)]
        pages.append({
            "page": number, "width": width, "height": height, "markers": markers(width, height),
            "qr": {"x": width - MARGIN - QR_SIZE, "y": HEADER_TOP, "size": QR_SIZE},
            "id_boxes": boxes, "rows": rows,
            "bubbles": [b for row in rows for b in row.get("bubbles", [])],
            "id_bubbles": id_bubbles,
        })
    return {"course": sheet.course, "term": sheet.term, "quiz": sheet.quiz, "form": sheet.form,
            "id_digits": sheet.id_digits,
            "questions": [{"number": q.number, "type": q.type, "options": list(q.options)}
                          for q in sheet.questions],
            "pages": pages}


def layout_json(sheet: Sheet) -> bytes:
    return (json.dumps(layout(sheet), indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def qr_data_uri(payload: str) -> str:
    """The QR code as an SVG data: URI (segno), drawn without quiet zone: the layout keeps
    the space around it white."""
    import segno

    return segno.make(payload, error="m", micro=False).svg_data_uri(border=0, scale=1)


def sheet_copy(sheet: Sheet, student: dict[str, str] | None = None, first: bool = True,
               pad: bool = False) -> dict[str, Any]:
    """What the template draws for one sheet (one student's, with their name and ID)."""
    geometry = layout(sheet)
    sid = (student or {}).get("student_id", "")
    return {"sheet": sheet, "layout": geometry, "student": student or {}, "first": first,
            "pad": pad, "qr": [qr_data_uri(qr_payload(sheet, page["page"], sid))
                               for page in geometry["pages"]]}


def render_copies(course: Course, copies: list[dict[str, Any]]) -> str:
    from hscourse.render.html import context_extras, render_template

    return render_template(course, "answer-sheet.html.j2", copies=copies,
                           sheet=copies[0]["sheet"], **context_extras(course))


def sheet_html(course: Course, sheet: Sheet, student: dict[str, str] | None = None) -> str:
    """The HTML of an answer sheet (of one student's, with their name and ID printed)."""
    return render_copies(course, [sheet_copy(sheet, student)])


def class_html(course: Course, sheets: list[Sheet], roster: list[dict[str, str]]) -> str:
    """Every student's sheet in one print-ready document: students in roster order, forms
    dealt A, B, C, A... so neighbours get different forms, each sheet padded to an even page
    count so that duplex printing never puts two students on one leaf."""
    copies = []
    for n, student in enumerate(roster):
        sheet = sheets[n % len(sheets)]
        pages = len(layout(sheet)["pages"])
        copies.append(sheet_copy(sheet, student, first=n == 0, pad=pages % 2 == 1))
    return render_copies(course, copies)


def read_roster(course: Course) -> list[dict[str, str]] | None:
    """The course's `roster` CSV (student_id, name) in file order, or None without one."""
    name = course.settings.roster
    if not name:
        return None
    path = course.root / name
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([Diagnostic(str(path), 0, 0, "roster", f"cannot read it: {exc}")]) from None
    if not rows or not {"student_id", "name"} <= set(rows[0]):
        raise ContentError([Diagnostic(str(path), 1, 1, "header",
                                       "expected the columns student_id and name")])
    problems = [Diagnostic(str(path), n, 1, "student_id", f"{row['student_id']!r}: expected "
                           "digits only, as students fill them in on the sheet")
                for n, row in enumerate(rows, start=2)
                if not (row["student_id"] or "").strip().isdigit()]
    if problems:
        raise ContentError(problems)
    return [{"student_id": row["student_id"].strip(), "name": (row["name"] or "").strip()}
            for row in rows]
