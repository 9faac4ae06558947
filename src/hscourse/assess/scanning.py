"""`hscourse scan`: scanned answer sheets in, `grade`'s responses CSV out, nothing guessed.

Every page is read (in worker processes) against the layouts of its quiz's forms. What the
reader cannot decide, and what does not add up (an ID not on the roster, a student's page
read twice, a page of a sheet missing), becomes a flag: shown with its crop in
scan-review.pdf and listed in scan-decisions.csv for the instructor to settle. Run again
with `--decisions` and the settled answers are used; responses.csv is written only when no
flag is left open, so no answer and no student ID is ever picked silently.

Responses are personal data: the output folder is created 0700 and every file written 0600.
"""

from __future__ import annotations

import base64
import csv
import io
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hscourse.assess.scan import Flag, PageRead, read_page
from hscourse.assess.sheets import layout, read_roster, sheets_for_quiz
from hscourse.course.model import Course
from hscourse.errors import ContentError, Diagnostic

DPI = 200  # PDF pages are rasterised at this resolution
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
DECISION_COLUMNS = ["file", "scan_page", "field", "found", "decision"]
OMIT, SKIP = "omit", "skip"


@dataclass
class Pending:
    """One open flag, where it is and what a decision for it may say."""

    read: PageRead
    flag: Flag
    allowed: str


@dataclass
class Outcome:
    """The result of a scan: rows for the responses CSV, or the flags still open."""

    rows: list[dict[str, str]]
    pending: list[Pending]
    pages: int
    questions: int
    unread_questions: list[int] = field(default_factory=list)  # boxes, not bubbles


# Reading pages -------------------------------------------------------------------------------

def page_count(path: Path) -> int:
    """How many page images a scan file holds."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import pypdfium2

        try:
            return len(pypdfium2.PdfDocument(str(path)))
        except pypdfium2.PdfiumError as exc:
            raise ContentError([Diagnostic(str(path), 0, 0, "", f"not a readable PDF ({exc})")]) from None
    if suffix not in IMAGE_SUFFIXES:
        raise ContentError([Diagnostic(str(path), 0, 0, "", "not a scan: give PDF, PNG, JPEG "
                                                            "or TIFF files")])
    if suffix in (".tif", ".tiff"):
        import cv2

        return max(1, int(cv2.imcount(str(path))))
    return 1


def load_page(path: Path, index: int) -> np.ndarray | None:
    """Page `index` (1-based) of a scan file as a grayscale image (None if undecodable)."""
    import cv2

    if path.suffix.lower() == ".pdf":
        import pypdfium2

        page = pypdfium2.PdfDocument(str(path))[index - 1]
        return page.render(scale=DPI / 72, grayscale=True).to_numpy().copy()
    if path.suffix.lower() in (".tif", ".tiff"):
        ok, images = cv2.imreadmulti(str(path), flags=cv2.IMREAD_GRAYSCALE)
        return images[index - 1] if ok and len(images) >= index else None
    return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)


_LAYOUTS: dict[str, dict[str, Any]] = {}


def _init_worker(layouts: dict[str, dict[str, Any]]) -> None:
    """Each worker reads whole pages on one thread: OpenCV's own threads would only compete
    with the other workers."""
    import cv2

    cv2.setNumThreads(1)
    _LAYOUTS.clear()
    _LAYOUTS.update(layouts)


def read_one(task: tuple[str, str, int]) -> PageRead:
    """Read page `index` of the file at `path` (named `name` in reports)."""
    path, name, index = task
    image = load_page(Path(path), index)
    if image is None:
        result = PageRead(name, index)
        result.flags.append(Flag("page", "the image could not be decoded"))
        return result
    return read_page(image, _LAYOUTS, name, index)


def read_scans(paths: list[Path], layouts: dict[str, dict[str, Any]],
               jobs: int | None = None) -> list[PageRead]:
    """Every page of every file, in file and page order, read in `jobs` processes."""
    tasks = [(str(p), str(p), i) for p in paths for i in range(1, page_count(p) + 1)]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    if jobs == 1:
        _LAYOUTS.clear()
        _LAYOUTS.update(layouts)
        return [read_one(t) for t in tasks]
    # Spawned, not forked: a process that has used OpenCV holds its thread pool's locks, and a
    # forked child can hang on them for ever (seen in the tests).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                             initargs=(layouts,)) as pool:
        return list(pool.map(read_one, tasks, chunksize=4))


# Decisions -----------------------------------------------------------------------------------

Key = tuple[str, int, str]


def read_decisions(path: Path) -> dict[Key, tuple[str, int]]:
    """The decisions made so far: (file, scan page, field) -> (decision, CSV row)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([Diagnostic(str(path), 0, 0, "", f"cannot read the decisions: {exc}")]) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != DECISION_COLUMNS:
        raise ContentError([Diagnostic(str(path), 1, 1, "header", "expected the columns "
                                       + ",".join(DECISION_COLUMNS) + " (as scan wrote them)")])
    out: dict[Key, tuple[str, int]] = {}
    problems = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(DECISION_COLUMNS) or not row[1].isdigit():
            problems.append(Diagnostic(str(path), number, 1, "row", "expected 5 columns with a "
                                       "page number in scan_page"))
        elif row[4].strip():
            out[(row[0], int(row[1]), row[2])] = (row[4].strip(), number)
    if problems:
        raise ContentError(problems)
    return out


def allowed_for(flag: Flag, id_digits: int) -> str:
    """What a decision for this flag may say, in words (the review PDF and the errors)."""
    if flag.field == "student_id":
        return f"the student ID ({id_digits} digits)"
    if flag.field == "page":
        return f"'{SKIP}' to leave the page out (rescan it, or enter its answers by hand)"
    if flag.field.startswith("sheet-page-"):
        return f"'{OMIT}' to treat its questions as not answered"
    letters = ", ".join(flag.options)
    many = "one or more of" if flag.kind == "multiple_answer" else "one of"
    return f"{many} {letters}, or '{OMIT}' for no answer"


def apply_decision(flag: Flag, decision: str, id_digits: int) -> str | None:
    """The settled value (answer letters, ID, '' for omit/skip), or None if not allowed."""
    if flag.field == "student_id":
        return decision if decision.isdigit() and len(decision) == id_digits else None
    if flag.field == "page":
        return "" if decision.lower() == SKIP else None
    if decision.lower() == OMIT:
        return ""
    if flag.field.startswith("sheet-page-"):
        return None
    letters = decision.upper().replace(" ", "")
    ok = (letters and len(set(letters)) == len(letters) and set(letters) <= set(flag.options)
          and (flag.kind == "multiple_answer" or len(letters) == 1))
    return "".join(sorted(letters, key=flag.options.index)) if ok else None


# Assembling ----------------------------------------------------------------------------------

@dataclass
class Student:
    form: str
    pages: dict[int, PageRead] = field(default_factory=dict)
    answers: dict[int, str] = field(default_factory=dict)


class Settler:
    """Applies the instructor's decisions to flags, remembering which decisions were used and
    which were not allowed."""

    def __init__(self, decisions: dict[Key, tuple[str, int]], id_digits: int, file: str):
        self.decisions, self.id_digits, self.file = decisions, id_digits, file
        self.used: set[Key] = set()
        self.problems: list[Diagnostic] = []

    def skipped(self, read: PageRead) -> bool:
        """Whether the instructor left this page out (allowed for any page)."""
        key = (read.file, read.index, "page")
        if key in self.decisions and self.decisions[key][0].lower() == SKIP:
            self.used.add(key)
            return True
        return False

    def settle(self, read: PageRead, flags: list[Flag]) -> list[Pending]:
        """Apply the decisions to these flags of one page; the flags still open."""
        pending = []
        for flag in flags:
            key = (read.file, read.index, flag.field)
            allowed = allowed_for(flag, self.id_digits)
            if key not in self.decisions:
                pending.append(Pending(read, flag, allowed))
                continue
            self.used.add(key)
            decision, row = self.decisions[key]
            value = apply_decision(flag, decision, self.id_digits)
            if value is None:
                self.problems.append(Diagnostic(
                    self.file, row, 5, "decision",
                    f"{decision!r} is not a decision for {flag.field} here: write {allowed}"))
            elif flag.field == "student_id":
                read.student_id = value
            elif flag.field.isdigit():
                read.answers[int(flag.field)] = value
        return pending


def check_roster(read: PageRead, roster: dict[str, str] | None) -> None:
    """An ID read cleanly but not on the roster is flagged (a misread digit, or a stranger)."""
    if roster is not None and read.student_id is not None and read.student_id not in roster:
        read.flags.append(Flag("student_id", f"{read.student_id} is not on the roster"))
        read.student_id = None


def group(reads: list[PageRead]) -> tuple[dict[str, Student], list[tuple[PageRead, Flag]]]:
    """Pages by student; a second copy of a student's page, or a page of another form, is
    flagged on the later page (settled by skipping one of the two)."""
    students: dict[str, Student] = {}
    clashes = []
    for read in reads:
        assert read.student_id is not None and read.sheet is not None
        form, page = read.sheet
        student = students.setdefault(read.student_id, Student(form))
        clash = student.pages.get(page) if student.form == form else \
            next(iter(student.pages.values()))
        if clash is not None:
            clashes.append((read, Flag("page", f"student {read.student_id} also on "
                                               f"{clash.file} page {clash.index} (form "
                                               f"{student.form}): skip one of the two",
                                       clash_crop(read))))
            continue
        student.pages[page] = read
        student.answers.update(read.answers)
    return students, clashes


def clash_crop(read: PageRead) -> bytes:
    return next((f.crop for f in read.flags if f.field == "student_id"), b"")


def missing_pages(students: dict[str, Student], layouts: dict[str, dict[str, Any]]
                  ) -> list[tuple[PageRead, Flag]]:
    """A flag, on a student's first page, for every page of their sheet not scanned."""
    out = []
    for sid, student in students.items():
        first = student.pages[min(student.pages)]
        for page in layouts[student.form]["pages"]:
            if page["page"] not in student.pages:
                out.append((first, Flag(f"sheet-page-{page['page']}",
                                        f"page {page['page']} of {sid}'s sheet was not "
                                        "scanned")))
    return out


def assemble(reads: list[PageRead], layouts: dict[str, dict[str, Any]],
             decisions: dict[Key, tuple[str, int]], roster: dict[str, str] | None = None,
             decisions_file: str = "decisions.csv") -> Outcome:
    """Responses rows when every flag is settled; else the flags still open."""
    settler = Settler(decisions, next(iter(layouts.values()))["id_digits"], decisions_file)
    kept, pending = [], []
    for read in reads:
        if settler.skipped(read):
            continue
        check_roster(read, roster)
        open_flags = settler.settle(read, read.flags)
        pending += open_flags
        if not open_flags:
            kept.append(read)
    students, clashes = group(kept)
    for read, flag in clashes + missing_pages(students, layouts):
        pending += settler.settle(read, [flag])
    unknown = [row for key, (_, row) in decisions.items() if key not in settler.used]
    problems = settler.problems + [
        Diagnostic(decisions_file, row, 1, "file", "no such flag in these scans: give the "
                   "same files as when scan wrote the decisions") for row in unknown]
    if problems:
        raise ContentError(problems)
    questions = max(len(lay["questions"]) for lay in layouts.values())
    boxes = sorted({q["number"] for lay in layouts.values() for q in lay["questions"]
                    if not q["options"]})
    rows = [] if pending else response_rows(students, roster or {}, questions)
    return Outcome(rows, pending, len(reads), questions, boxes)


def response_rows(students: dict[str, Student], roster: dict[str, str],
                  questions: int) -> list[dict[str, str]]:
    """One row per student, sorted by ID, in the columns of `grade`'s responses CSV."""
    rows = []
    for sid in sorted(students):
        student = students[sid]
        row = {"student_id": sid, "name": roster.get(sid, ""), "form": student.form}
        row.update({str(n): student.answers.get(n, "") for n in range(1, questions + 1)})
        rows.append(row)
    return rows


# Files ---------------------------------------------------------------------------------------

def responses_csv(outcome: Outcome) -> bytes:
    header = ["student_id", "name", "form"] + [str(n) for n in range(1, outcome.questions + 1)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(outcome.rows)
    return buffer.getvalue().encode("utf-8")


def decisions_csv(pending: list[Pending], decisions: dict[Key, tuple[str, int]]) -> bytes:
    """The open flags, with an empty decision each, after the decisions already made."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DECISION_COLUMNS)
    for (name, page, field_name), (decision, _) in decisions.items():
        writer.writerow([name, page, field_name, "", decision])
    for item in pending:
        writer.writerow([item.read.file, item.read.index, item.flag.field, item.flag.found, ""])
    return buffer.getvalue().encode("utf-8")


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def review_html(course: Course, quiz: str, pending: list[Pending]) -> str:
    from hscourse.render.html import context_extras, render_template

    entries = [{"file": p.read.file, "page": p.read.index, "field": p.flag.field,
                "found": p.flag.found, "allowed": p.allowed,
                "student": p.read.student_id or "", "form": p.read.sheet[0] if p.read.sheet
                else "", "crop": data_uri(p.flag.crop) if p.flag.crop else ""}
               for p in pending]
    return render_template(course, "scan-review.html.j2", quiz=quiz,
                           title=course.module(quiz).data.get("title", quiz), entries=entries,
                           **context_extras(course))


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (0600), in a folder made 0700 if it is new."""
    from hscourse.output import PRIVATE_FILE, PRIVATE_FOLDER, write_atomic

    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=PRIVATE_FOLDER)
    write_atomic(path, data, PRIVATE_FILE)


@dataclass
class ScanReport:
    outcome: Outcome
    written: list[Path]


def quiz_layouts(course: Course, quiz: str, seed: str | None = None) -> dict[str, dict[str, Any]]:
    """The layout of every form of a quiz, by form letter ('' for a single-version quiz)."""
    return {sheet.form: layout(sheet) for sheet in sheets_for_quiz(course, quiz, seed)}


def scan(course: Course, quiz: str, paths: Iterable[Path], output: Path,
         decisions_path: Path | None = None, jobs: int | None = None,
         seed: str | None = None) -> ScanReport:
    """Read the scans of `quiz`; write responses to `output` when every flag is settled,
    else scan-review.pdf and scan-decisions.csv beside it."""
    from hscourse.render.pdf import write_pdf

    layouts = quiz_layouts(course, quiz, seed)
    decisions = read_decisions(decisions_path) if decisions_path else {}
    reads = read_scans(list(paths), layouts, jobs)
    roster = read_roster(course)
    names = {row["student_id"]: row["name"] for row in roster} if roster is not None else None
    outcome = assemble(reads, layouts, decisions, names,
                       str(decisions_path or "decisions.csv"))
    if not outcome.pending:
        write_private(output, responses_csv(outcome))
        return ScanReport(outcome, [output])
    review = output.with_name("scan-review.pdf")
    decided = output.with_name("scan-decisions.csv")
    pdf = write_pdf(review_html(course, quiz, outcome.pending), course.root,
                    date=course.settings.date)
    write_private(decided, decisions_csv(outcome.pending, decisions))
    write_private(review, pdf)
    return ScanReport(outcome, [review, decided])
