"""Scoring a responses file: each row through its form back to item ids and original options.

The forms come from `hscourse.course.forms` exactly as the build printed them (`forms_for` with the
same seed, then the instructor view of each form, whose order is the form's key), so a letter
on form B is read against form B's own permutation and never against a re-derived shuffle.
Every cell is checked before anything is scored; all problems are raised at once, located as
`file:row:column`.

Scoring rules (docs/grading.md):
- single choice and true/false: full points or none; two or more letters on a single-choice
  item score as a wrong answer and are listed; with negative marking a wrong answer costs
  points/(options - 1) (true/false: the item's points), an omission nothing;
- multiple answer: Moodle's fractions (`export.common.multiple_answer_fractions`, the ones
  the Moodle export writes): each correct option chosen adds its share, each wrong one
  subtracts its penalty, the sum kept between 0 and 100%; or all-or-nothing by setting;
- short answer: matched against `accepted_answers` ignoring case, spacing and punctuation,
  or against the instructor's overrides; unmatched answers score 0 and are listed;
- matching and ordering: the share of pairs (positions) that are right;
- essay: the points entered (or the sum of the rubric columns), never above the maximum.
Item scores are rounded to 4 decimal places.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hscourse.assess.responses import Table
from hscourse.course.forms import Form, forms_for, module_seed
from hscourse.course.model import LETTERS, Course, Module, module_view
from hscourse.errors import ContentError, Diagnostic, did_you_mean
from hscourse.formats.common import multiple_answer_fractions

FIXED_COLUMNS = ("student_id", "name", "form")
CHOICE_TYPES = ("single_choice", "multiple_answer", "true_false")
TRUE_FALSE = ("True", "False")
DECIMALS = 4
TWO_LETTERS = "two or more letters on a single-choice question: scored as a wrong answer"
_QUESTION_COLUMN = re.compile(r"(\d+)(?:\.(\d+))?")
_MATCH_PAIR = re.compile(r"\s*(\d+)\s*[-–:=.]?\s*([A-Za-z])\s*[,;]?")
_ORDER_PAIR = re.compile(r"\s*([A-Za-z])\s*[-–:=.]?\s*(\d+)\s*[,;]?")


class CellError(ValueError):
    """An answer that cannot be read against its question on the student's form; `criterion`
    names the rubric column at fault, when it is one."""

    def __init__(self, message: str, criterion: int = 0):
        super().__init__(message)
        self.criterion = criterion


@dataclass(frozen=True)
class Settings:
    """How to score: partial credit for multiple answer, negative marking, accepted answers."""

    all_or_nothing: bool = False
    negative_marking: bool = False
    overrides: frozenset[tuple[str, str]] = frozenset()  # (item id, normalised answer)


@dataclass(frozen=True)
class Question:
    """One printed question of one form."""

    number: int
    item: dict[str, Any]  # the instructor view of the item on this form (printed order)
    original: tuple[int, ...]  # printed option position -> the option's index in the module


@dataclass
class QuizForms:
    """A quiz as it was printed: its items in module order and the questions of every form."""

    quiz: str
    module: Module
    items: list[dict[str, Any]]
    forms: dict[str, list[Question]]

    @property
    def letters(self) -> list[str]:
        return list(self.forms)

    def question_count(self) -> int:
        return max(len(questions) for questions in self.forms.values())


@dataclass
class StudentScore:
    """One student's row, scored: points and the original options chosen, by item id."""

    student_id: str
    name: str
    form: str
    row: int
    points: dict[str, float] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    chosen: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(self.points.values()), DECIMALS)


@dataclass
class Grading:
    """Scored students, and what the instructor should look at (not errors)."""

    quiz: QuizForms
    students: list[StudentScore]
    notes: list[Diagnostic] = field(default_factory=list)
    unmatched: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def printed_forms(course: Course, module: Module) -> list[Form]:
    """The forms the build printed for a module: its versions, or the one unshuffled quiz
    (whose matching and ordering choices are shuffled with the module's seed)."""
    if course.versions(module) > 1:
        return forms_for(course, module)
    return [Form("", module, module_seed(course, module))]


def _original_positions(printed: list[dict[str, Any]], source: list[dict[str, Any]]
                        ) -> tuple[int, ...]:
    """Where each printed option stands in the module's item (the form moves whole options;
    should a form ever annotate them, their text still identifies them)."""
    free = list(range(len(source)))
    out = []
    for option in printed:
        index = next((i for i in free if source[i] == option), None)
        if index is None:
            index = next(i for i in free if source[i]["text"] == option["text"])
        free.remove(index)
        out.append(index)
    return tuple(out)


def quiz_forms(course: Course, quiz: str, seed: str | None = None) -> QuizForms:
    """The printed forms of a quiz (a module id), each question mapped to its item."""
    module = next((m for m in course.quizzes() if m.id == quiz), None)
    if module is None:
        known = [m.id for m in course.quizzes()]
        raise ContentError([Diagnostic("course.yaml", 0, 0, "", f"no quiz {quiz!r} in this "
                                       f"course{did_you_mean(quiz, known)}")])
    if seed is not None:  # --seed, as the build that printed the forms was given it
        course.set_flags(seed=seed)
    items = module_view(module, "instructor", module_seed(course, module)).get("quiz", [])
    by_id = {item["id"]: item for item in module.data.get("quiz", [])}
    forms: dict[str, list[Question]] = {}
    for form in printed_forms(course, module):
        view = module_view(form.module, "instructor", form.seed)
        questions = []
        for number, item in enumerate(view.get("quiz", []), start=1):
            source = by_id[item["id"]].get("options", [])
            original = (_original_positions(item["options"], source)
                        if "options" in item else ())
            questions.append(Question(number, item, original))
        forms[form.letter] = questions
    return QuizForms(quiz, module, items, forms)


def normalise(text: str) -> str:
    """A short answer as compared: case, spacing and punctuation (and symbols) ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if unicodedata.category(c)[0] not in "PSZ" and not c.isspace())


_fractions = lru_cache(maxsize=256)(multiple_answer_fractions)


def multiple_answer_fraction(item: dict[str, Any], chosen: Iterable[int]) -> float:
    """The share of the points for choosing these options (module indices), as Moodle grades
    the question hscourse exports: the export's fractions, summed, kept within 0..1."""
    options = item["options"]
    correct = [i for i, option in enumerate(options) if option.get("correct")]
    split = _fractions(len(correct), len(options))
    if split is None:  # Moodle cannot hold it (over 20 correct): an even share instead
        others = len(options) - len(correct)
        split = ([100 / len(correct)] * len(correct), -100 / others if others else 0.0)
    rights, wrong = split
    grades = dict(zip(correct, rights))  # in option order, as export/moodle.py assigns them
    total = sum(grades.get(i, wrong) for i in set(chosen))
    return min(max(total, 0.0), 100.0) / 100


def _letters(text: str, count: int, what: str) -> list[int]:
    """Printed positions of the letters in text (spaces and commas ignored)."""
    letters = [c for c in text.upper() if c not in " ,;/+"]
    if not letters:
        raise CellError(f"{text!r} names no {what}: write letters such as A or AC")
    allowed = LETTERS[:count]
    for letter in letters:
        if letter not in allowed:
            raise CellError(f"{letter!r} is not {what} on this form (it has {allowed[0]}–"
                            f"{allowed[-1]})")
    return [allowed.index(letter) for letter in letters]


def _wrong_penalty(item: dict[str, Any], settings: Settings) -> float:
    if not settings.negative_marking:
        return 0.0
    count = len(item["options"]) if item["type"] == "single_choice" else 2
    return -item["points"] / (count - 1)


def _single(q: Question, text: str, settings: Settings) -> tuple[float, tuple[int, ...], str]:
    item = q.item
    picked = sorted(set(_letters(text, len(item["options"]), "an option")))
    chosen = tuple(q.original[p] for p in picked)
    if len(picked) > 1:
        return _wrong_penalty(item, settings), chosen, TWO_LETTERS
    right = item["options"][picked[0]].get("correct")
    return (item["points"] if right else _wrong_penalty(item, settings)), chosen, ""


def _multiple(q: Question, text: str, settings: Settings) -> tuple[float, tuple[int, ...]]:
    item = q.item
    chosen = tuple(sorted({q.original[p] for p in _letters(text, len(item["options"]),
                                                           "an option")}))
    module_item: dict[str, list[Any]] = {"options": [None] * len(item["options"])}
    for printed, original in enumerate(q.original):
        module_item["options"][original] = item["options"][printed]
    if settings.all_or_nothing:
        correct = {i for i, o in enumerate(module_item["options"]) if o.get("correct")}
        return (item["points"] if set(chosen) == correct else 0.0), chosen
    return item["points"] * multiple_answer_fraction(module_item, chosen), chosen


def _true_false(q: Question, text: str, settings: Settings) -> tuple[float, tuple[int, ...]]:
    value = {"T": True, "TRUE": True, "F": False, "FALSE": False}.get(text.upper())
    if value is None:
        raise CellError(f"{text!r} is not an answer to a true/false question: write T or F")
    chosen = (0,) if value else (1,)
    right = value is q.item["answer"]
    return (q.item["points"] if right else _wrong_penalty(q.item, settings)), chosen


def _short(q: Question, text: str, settings: Settings) -> tuple[float, bool]:
    answer = normalise(text)
    accepted = {normalise(a) for a in q.item["accepted_answers"]}
    if answer in accepted or (q.item["id"], answer) in settings.overrides:
        return q.item["points"], True
    return 0.0, False


def _pairs(pattern: re.Pattern[str], text: str, example: str) -> list[tuple[str, str]]:
    if re.fullmatch(f"(?:{pattern.pattern})+", text) is None:
        raise CellError(f"{text!r} cannot be read: write it like {example!r}")
    return pattern.findall(text)


def _matching(q: Question, text: str) -> float:
    item = q.item
    count = len(item["left"])
    found: dict[int, int] = {}
    for number, letter in _pairs(_MATCH_PAIR, text, "1C 2A 3B"):
        n = int(number)
        if not 1 <= n <= count:
            raise CellError(f"there is no entry {n} on this question (it has 1–{count})")
        if n in found:
            raise CellError(f"entry {n} is matched twice")
        found[n] = _letters(letter, len(item["choices"]), "a choice")[0]
    right = sum(item["choices"][c] == item["pairs"][n - 1]["right"] for n, c in found.items())
    return item["points"] * right / count


def _ordering(q: Question, text: str) -> float:
    """Letters in the order the student put them (DAECB), or entry–place pairs (A3 B1 C2)."""
    item = q.item
    count = len(item["choices"])
    if any(c.isdigit() for c in text):
        places: dict[int, int] = {}
        for letter, place in _pairs(_ORDER_PAIR, text, "A3 B1 C2"):
            if not 1 <= int(place) <= count:
                raise CellError(f"there is no place {place} (places run 1–{count})")
            places[int(place) - 1] = _letters(letter, count, "an entry")[0]
        order = [places.get(p, -1) for p in range(count)]
    else:
        order = _letters(text, count, "an entry")
    if len([o for o in order if o >= 0]) != len({o for o in order if o >= 0}):
        raise CellError("an entry is placed twice")
    right = sum(p < len(order) and order[p] >= 0 and item["choices"][order[p]] == entry
                for p, entry in enumerate(item["correct_order"]))
    return item["points"] * right / count


def _number(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise CellError(f"{text!r} is not a number of points") from None


def _essay(q: Question, cells: dict[int, str], whole: str | None) -> float:
    """The points entered for an essay: the one column, or the sum of the rubric columns."""
    item = q.item
    if cells:
        total = 0.0
        for k, text in cells.items():
            criterion = item["rubric"][k - 1]
            try:
                value = _number(text)
            except CellError as exc:
                raise CellError(str(exc), k) from None
            if not 0 <= value <= criterion["points"]:
                raise CellError(f"{value:g} points for rubric criterion {k}, which is worth "
                                f"0–{criterion['points']:g}", k)
            total += value
        return min(total, item["points"])
    value = _number(whole or "")
    if not 0 <= value <= item["points"]:
        raise CellError(f"{value:g} points for an essay worth 0–{item['points']:g}")
    return value


@dataclass
class Columns:
    """Where each question's answer stands in the file (0-based cell indices)."""

    fixed: dict[str, int]
    questions: dict[int, int]
    rubric: dict[int, dict[int, int]]


def read_columns(table: Table, quiz: QuizForms) -> Columns:
    """Check the header against the quiz: the fixed columns, then one column per question."""
    problems: list[Diagnostic] = []
    fixed: dict[str, int] = {}
    questions: dict[int, int] = {}
    rubric: dict[int, dict[int, int]] = {}
    count = quiz.question_count()
    essays = {q.number: len(q.item["rubric"]) for qs in quiz.forms.values() for q in qs
              if q.item["type"] == "essay"}
    for index, name in enumerate(table.header):
        column = index + 1
        match = _QUESTION_COLUMN.fullmatch(name)
        if name.lower() in FIXED_COLUMNS:
            fixed[name.lower()] = index
        elif match is None:
            problems.append(table.error(1, column, name, f"unknown column {name!r}: the columns "
                                        "are student_id, name, form and the question numbers"))
        elif not 1 <= int(match.group(1)) <= count:
            problems.append(table.error(1, column, name, f"quiz {quiz.quiz!r} has {count} "
                                        f"questions, not {match.group(1)}: is this the "
                                        f"responses file of another quiz?"))
        elif match.group(2) is None:
            questions[int(match.group(1))] = index
        elif int(match.group(2)) < 1 or int(match.group(2)) > essays.get(int(match.group(1)), 0):
            problems.append(table.error(1, column, name, "a rubric column N.k needs an essay "
                                        "with at least k rubric criteria at question N on "
                                        "every form"))
        else:
            rubric.setdefault(int(match.group(1)), {})[int(match.group(2))] = index
    for name in FIXED_COLUMNS:
        if name not in fixed:
            problems.append(table.error(1, 0, name, f"no {name!r} column: the header must start "
                                        "student_id,name,form"))
    missing = [n for n in range(1, count + 1) if n not in questions and n not in rubric]
    if missing:
        problems.append(table.error(1, 0, "", f"missing question column(s) "
                                    f"{', '.join(map(str, missing))}: quiz {quiz.quiz!r} has "
                                    f"{count} questions"))
    if problems:
        raise ContentError(problems)
    return Columns(fixed, questions, rubric)


def _form_of(table: Table, row: int, cells: list[str], columns: Columns, quiz: QuizForms
             ) -> tuple[str | None, Diagnostic | None]:
    index = columns.fixed["form"]
    text = cells[index].upper() if index < len(cells) else ""
    if text in quiz.forms:
        return text, None
    if quiz.letters == [""]:
        return None, table.error(row, index + 1, "form", f"quiz {quiz.quiz!r} was printed as "
                                 f"one form: leave the form column blank, not {text!r}")
    return None, table.error(row, index + 1, "form", f"unknown form {text!r}: quiz "
                             f"{quiz.quiz!r} has forms {', '.join(quiz.letters)}")


def _cell(cells: list[str], index: int) -> str:
    return cells[index] if index < len(cells) else ""


@dataclass(frozen=True)
class Outcome:
    """What one answer earns: points, the original options chosen, a note, whether a short
    answer matched nothing. The same answer to the same question always earns the same."""

    points: float
    chosen: tuple[int, ...] | None = None
    note: str = ""
    unmatched: bool = False


def score_answer(q: Question, text: str, rubric: tuple[tuple[int, str], ...],
                 settings: Settings) -> Outcome | None:
    """Score one answer; None when omitted (raises CellError for what cannot be read)."""
    kind = q.item["type"]
    filled = {k: v for k, v in rubric if v}
    if not text and not filled:
        return None
    if kind == "essay":
        return Outcome(round(_essay(q, filled, text), DECIMALS))
    if kind == "single_choice":
        points, chosen, note = _single(q, text, settings)
        return Outcome(round(points, DECIMALS), chosen, note)
    if kind in ("multiple_answer", "true_false"):
        points, chosen = (_multiple if kind == "multiple_answer" else _true_false)(q, text,
                                                                                   settings)
        return Outcome(round(points, DECIMALS), chosen)
    if kind == "short_answer":
        points, matched = _short(q, text, settings)
        return Outcome(points, unmatched=not matched)
    return Outcome(round((_matching if kind == "matching" else _ordering)(q, text), DECIMALS))


def score_question(q: Question, text: str, rubric: tuple[tuple[int, str], ...],
                   settings: Settings, student: StudentScore, grading: Grading,
                   where: Diagnostic, cache: dict[tuple[int, str, tuple[tuple[int, str], ...]],
                                                  Outcome | None] | None = None) -> None:
    """Score one answer into student and grading (raises CellError for what cannot be read)."""
    key = (id(q), text, rubric)
    if cache is not None and key in cache:
        outcome = cache[key]
    else:
        outcome = score_answer(q, text, rubric, settings)
        if cache is not None:
            cache[key] = outcome
    item_id = q.item["id"]
    if outcome is None:
        student.points[item_id] = 0.0
        return
    student.points[item_id] = outcome.points
    student.answers[item_id] = text
    if outcome.chosen is not None:
        student.chosen[item_id] = outcome.chosen
    if outcome.note:
        grading.notes.append(Diagnostic(where.file, where.line, where.column, where.field,
                                        f"student {student.student_id}: {outcome.note}"))
    if outcome.unmatched:
        grading.unmatched.setdefault((item_id, text), []).append(student.student_id)


def grade_table(table: Table, quiz: QuizForms, settings: Settings | None = None) -> Grading:
    """Score every row of a responses table; every problem in the file raised at once."""
    settings = settings or Settings()
    columns = read_columns(table, quiz)
    grading = Grading(quiz, [])
    problems: list[Diagnostic] = []
    seen: dict[str, int] = {}
    cache: dict[tuple[int, str, tuple[tuple[int, str], ...]], Outcome | None] = {}
    sid, name = columns.fixed["student_id"], columns.fixed["name"]
    for row, cells in table.rows:
        student_id = _cell(cells, sid)
        if not student_id:
            problems.append(table.error(row, sid + 1, "student_id", "no student id"))
            continue
        if student_id in seen:
            problems.append(table.error(row, sid + 1, "student_id", f"student {student_id!r} "
                                        f"is also on row {seen[student_id]}"))
            continue
        seen[student_id] = row
        letter, problem = _form_of(table, row, cells, columns, quiz)
        if problem:
            problems.append(problem)
            continue
        student = StudentScore(student_id, _cell(cells, name), letter or "", row)
        for q in quiz.forms[letter or ""]:
            index = columns.questions.get(q.number)
            text = _cell(cells, index) if index is not None else ""
            rubric = tuple((k, _cell(cells, i))
                           for k, i in columns.rubric.get(q.number, {}).items())
            where = Diagnostic(table.file, row, (index or 0) + 1, str(q.number), "")
            try:
                if any(v for _k, v in rubric) and q.item["type"] != "essay":
                    raise CellError(f"rubric points for question {q.number}, which is not an "
                                    f"essay on form {letter}")
                score_question(q, text, rubric, settings, student, grading, where, cache)
            except CellError as exc:
                column = (columns.rubric[q.number][exc.criterion] + 1 if exc.criterion
                          else where.column)
                problems.append(table.error(row, column, f"question {q.number}",
                                            f"form {letter or '-'}, {q.item['type']} item "
                                            f"{q.item['id']!r}: {exc}"))
        grading.students.append(student)
    if problems:
        raise ContentError(problems + _another_quiz(table, quiz, problems))
    if not grading.students:
        raise ContentError([table.error(1, 0, "", "no students: the file has a header only")])
    return grading


def _another_quiz(table: Table, quiz: QuizForms, problems: list[Diagnostic]) -> list[Diagnostic]:
    """A hint when most rows do not fit: the file is probably from another quiz."""
    bad_rows = {p.line for p in problems}
    if table.rows and len(bad_rows) > len(table.rows) / 2 and len(problems) > 5:
        return [table.error(1, 0, "", f"most rows do not fit quiz {quiz.quiz!r}: is this the "
                                      "responses file of another quiz?")]
    return []


def read_overrides(table: Table) -> frozenset[tuple[str, str]]:
    """Answers the instructor accepts: a CSV with the columns item and answer."""
    names = [h.lower() for h in table.header]
    if "item" not in names or "answer" not in names:
        raise ContentError([table.error(1, 0, "", "an overrides file needs the columns item "
                                        "and answer (one accepted answer per row)")])
    item, answer = names.index("item"), names.index("answer")
    return frozenset((_cell(cells, item), normalise(_cell(cells, answer)))
                     for _row, cells in table.rows)
