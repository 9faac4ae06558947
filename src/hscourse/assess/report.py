"""`hscourse grade`: score a responses file and write the private grades folder.

dist[/<term>]/grades/<quiz>/ holds scores.csv, gradebook-moodle.csv, gradebook-canvas.csv,
item-analysis.json, item-analysis.pdf, unmatched-answers.csv (short answers no accepted answer
matched) and, on request, feedback/<student>.pdf. Grades are personal data: the folders are
created 0700 and the files 0600 (written through a temporary file that is never more open),
nothing goes under student/ or into the build's manifest, and nothing is written unless the
whole responses file was read without a problem.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hscourse.assess.analysis import ItemData, OptionData, analyse
from hscourse.assess.grade import (
    CHOICE_TYPES,
    TRUE_FALSE,
    Grading,
    Settings,
    grade_table,
    quiz_forms,
    read_overrides,
)
from hscourse.assess.gradebook import canvas_csv, moodle_csv
from hscourse.assess.responses import read_table
from hscourse.course.model import Course, Module
from hscourse.csvfile import rows_bytes
from hscourse.errors import ContentError, Diagnostic
from hscourse.formats.common import plain_text
from hscourse.output import write_atomic
from hscourse.render.html import context_extras, environment, template_folders

FOLDER_MODE, FILE_MODE = 0o700, 0o600
OUTPUT_NAMES = ("scores.csv", "gradebook-moodle.csv", "gradebook-canvas.csv",
                "unmatched-answers.csv", "item-analysis.json", "item-analysis.pdf")


@dataclass(frozen=True)
class GradeOptions:
    settings: Settings = field(default_factory=Settings)
    pdf: bool = True
    feedback: bool = False
    seed: str | None = None
    jobs: int | None = None


@dataclass
class GradeResult:
    folder: Path
    files: list[str]
    grading: Grading
    analysis: dict[str, Any]
    notes: list[Diagnostic] = field(default_factory=list)


def _location(module: Module, item_id: str) -> tuple[str, int]:
    """The module file and line where an item is defined (line 0 if it came from an overlay);
    an exam's items are located in their own modules."""
    if item_id in module.locations:
        return module.locations[item_id]
    listed = module.source.data.get("quiz", []) if isinstance(module.source.data, dict) else []
    for index, entry in enumerate(listed):
        if isinstance(entry, dict) and entry.get("id") == item_id:
            return module.source.file, module.source.where(("quiz", index))[0]
    return module.source.file, 0


def _objectives(item: dict[str, Any]) -> list[str]:
    value = item.get("objective", [])
    return [value] if isinstance(value, str) else list(value)


def on_every_form(grading: Grading) -> list[dict[str, Any]]:
    """The items every form printed (a per-form pool draw leaves some out of some forms: their
    statistics over students who never saw them would be wrong, so they are not analysed)."""
    printed = [{q.item["id"] for q in qs} for qs in grading.quiz.forms.values()]
    return [item for item in grading.quiz.items if all(item["id"] in ids for ids in printed)]


def item_data(grading: Grading) -> tuple[list[ItemData], np.ndarray]:
    """The items on every form, in module order, with their options and chosen flags, and the
    score matrix (students x those items)."""
    students = grading.students
    analysed = on_every_form(grading)
    scores = np.array([[s.points.get(item["id"], 0.0) for item in analysed] for s in students],
                      dtype=float).reshape(len(students), len(analysed))
    out = []
    for item in analysed:
        file, line = _location(grading.quiz.module, item["id"])
        options = None
        if item["type"] in CHOICE_TYPES:
            texts = ([plain_text(o["text"]) for o in item["options"]]
                     if "options" in item else list(TRUE_FALSE))
            correct = ([bool(o.get("correct")) for o in item["options"]] if "options" in item
                       else [item["answer"] is True, item["answer"] is False])
            chosen = np.zeros((len(students), len(texts)), dtype=bool)
            for row, student in enumerate(students):
                for index in student.chosen.get(item["id"], ()):
                    chosen[row, index] = True
            options = [OptionData(t, c, chosen[:, j]) for j, (t, c) in enumerate(zip(texts, correct))]
        out.append(ItemData(item["id"], file, line, float(item["points"]), item["type"],
                            _objectives(item), item.get("level", ""), options))
    return out, scores


def _points(value: float) -> str:
    return f"{round(value, 4):g}"


def _csv(rows: Iterable[Iterable[object]]) -> bytes:
    return rows_bytes(rows, crlf=True)


def scores_csv(grading: Grading, max_points: float) -> bytes:
    """student_id, name, form, points per item id (module order), total, percent."""
    ids = [item["id"] for item in grading.quiz.items]
    rows: list[list[object]] = [["student_id", "name", "form", *ids, "total", "percent"]]
    for s in grading.students:
        rows.append([s.student_id, s.name, s.form, *(_points(s.points.get(i, 0.0)) for i in ids),
                     _points(s.total), f"{100 * s.total / max_points:.2f}"])
    return _csv(rows)


def unmatched_csv(grading: Grading) -> bytes:
    """Short answers that matched no accepted answer: item, answer, how many, which students.
    Copy the rows to accept into an overrides file (item,answer) and grade again."""
    rows: list[list[object]] = [["item", "answer", "count", "students"]]
    for (item, answer), who in sorted(grading.unmatched.items()):
        rows.append([item, answer, len(who), " ".join(who)])
    return _csv(rows)


def _svg_url(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


CHART_STYLE = {"svg.hashsalt": "hscourse", "font.size": 9, "svg.fonttype": "none"}


def charts(analysis: dict[str, Any]) -> dict[str, str]:
    """The report's charts as SVG data URLs: the score histogram and the item map (text kept
    as text, a fixed hash salt: the same analysis draws the same bytes)."""
    import matplotlib

    with matplotlib.rc_context(CHART_STYLE):  # type: ignore[arg-type]
        return {"histogram": _histogram(analysis), "item_map": _item_map(analysis)}


def _histogram(analysis: dict[str, Any]) -> str:
    from matplotlib.figure import Figure

    bins = analysis["summary"]["histogram"]
    figure = Figure(figsize=(6.2, 2.4))
    axes = figure.add_subplot()
    axes.bar([b["from"] for b in bins], [b["count"] for b in bins],
             width=[b["to"] - b["from"] for b in bins], align="edge", color="#1f4e79",
             edgecolor="white")
    axes.set_xlabel("Total score (points)")
    axes.set_ylabel("Students")
    figure.tight_layout()
    return _svg_url(figure)


def _item_map(analysis: dict[str, Any]) -> str:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.2, 3.2))
    axes = figure.add_subplot()
    for item in analysis["items"]:
        r = item["item_rest_correlation"]
        if r is None:
            continue
        flagged = any(f["flag"] == "negative-discrimination" for f in item["flags"])
        axes.scatter(item["facility"], r, color="#8b1a1a" if flagged else "#1f4e79", s=14)
        axes.annotate(item["id"], (item["facility"], r), fontsize=6, xytext=(3, 2),
                      textcoords="offset points")
    axes.axhline(0, color="#888", linewidth=0.6)
    axes.axhline(0.2, color="#bbb", linewidth=0.6, linestyle="--")
    axes.set_xlim(0, 1.05)
    axes.set_xlabel("Facility (share of the points scored)")
    axes.set_ylabel("Item-rest correlation")
    figure.tight_layout()
    return _svg_url(figure)


def _render(course: Course, template: str, **values: Any) -> str:
    env = environment(template_folders(course))
    return env.get_template(template).render(**context_extras(course), large=False, **values)


def analysis_html(course: Course, grading: Grading, analysis: dict[str, Any]) -> str:
    title = grading.quiz.module.data["title"]
    unmatched = [{"item": item, "answer": answer, "count": len(who)}
                 for (item, answer), who in sorted(grading.unmatched.items())]
    return _render(course, "item-analysis.html.j2", analysis=analysis, title=title,
                   charts=charts(analysis), unmatched=unmatched,
                   forms=[f for f in grading.quiz.letters if f])


def feedback_html(course: Course, grading: Grading, index: int) -> str:
    """One student's answers beside the correct ones and the explanations (their form's key)."""
    student = grading.students[index]
    rows = []
    for q in grading.quiz.forms[student.form]:
        item = q.item
        rows.append({"number": q.number, "item": item, "answer": student.answers.get(item["id"], ""),
                     "points": student.points.get(item["id"], 0.0)})
    max_points = sum(q.item["points"] for q in grading.quiz.forms[student.form])
    return _render(course, "feedback.html.j2", student=student, rows=rows,
                   title=grading.quiz.module.data["title"], max_points=max_points,
                   module={"id": grading.quiz.module.id})


def _safe_name(student_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", student_id)[:64] or "student"


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    os.chmod(folder, FOLDER_MODE)


def write_private(folder: Path, files: dict[str, bytes], private_from: Path | None = None) -> None:
    """Write files into folder as 0600 files, each through a temporary file created 0600, so
    no one else can ever read a grade. The folder (and every folder from private_from down
    to it, e.g. dist/grades/) is made 0700. Files an earlier run left there that this run
    did not make (a withdrawn student's feedback) are removed."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    chain = [folder]
    if private_from is not None:
        chain = [private_from, *[p for p in folder.parents if p.is_relative_to(private_from)
                                 and p != private_from][::-1], folder]
    for path in dict.fromkeys(chain):
        _private_folder(path)
    for name, data in sorted(files.items()):
        target = folder / name
        if target.parent != folder:
            _private_folder(target.parent)
        write_atomic(target, data, FILE_MODE)
    for stale in [*(folder / name for name in OUTPUT_NAMES), *folder.glob("feedback/*.pdf")]:
        if stale.relative_to(folder).as_posix() not in files:
            stale.unlink(missing_ok=True)


def _render_pdfs(course: Course, jobs: dict[str, str], workers: int | None) -> dict[str, bytes]:
    """PDFs from HTML, with the restricted fetcher of the build (in parallel when many)."""
    from hscourse.render.pdf import write_pdf

    date = course.settings.date
    if len(jobs) < 4:
        return {name: write_pdf(html, course.root, date=date) for name, html in jobs.items()}
    from hscourse.render.workers import Job, Renderer, build_context, worker_count

    context = build_context(course, None, leak_check=False)  # instructor-only reports
    with Renderer(worker_count(workers)) as renderer:
        results = renderer.render([Job(name, html, False, ()) for name, html in jobs.items()],
                                  context, None)
    problems = [Diagnostic(name, 0, 0, "", str(p)) for name, r in results.items()
                if isinstance(r, list) for p in r]
    if problems:
        raise ContentError(problems)
    return {name: data for name, data in results.items() if isinstance(data, bytes)}


def grade_files(course: Course, grading: Grading, options: GradeOptions
                ) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Every file of the grades folder, in memory."""
    items, scores = item_data(grading)
    analysis = analyse(grading.quiz.quiz, items, scores)
    analysed = {item.id for item in items}
    analysis["not_analysed"] = [i["id"] for i in grading.quiz.items if i["id"] not in analysed]
    max_points = max(sum(q.item["points"] for q in questions)
                     for questions in grading.quiz.forms.values())
    title = f"{grading.quiz.module.data['title']} quiz"
    files = {"scores.csv": scores_csv(grading, max_points),
             "gradebook-moodle.csv": moodle_csv(grading.students, title),
             "gradebook-canvas.csv": canvas_csv(grading.students, title, max_points,
                                                course.settings.section),
             "unmatched-answers.csv": unmatched_csv(grading),
             "item-analysis.json": (json.dumps(analysis, indent=2, ensure_ascii=False)
                                    + "\n").encode("utf-8")}
    jobs = {}
    if options.pdf:
        jobs["item-analysis.pdf"] = analysis_html(course, grading, analysis)
    if options.feedback:
        for index, student in enumerate(grading.students):
            jobs[f"feedback/{_safe_name(student.student_id)}.pdf"] = feedback_html(course, grading,
                                                                                 index)
    files.update(_render_pdfs(course, jobs, options.jobs))
    return files, analysis


def read_responses(path: Path, quiz: str, course: Course, options: GradeOptions) -> Grading:
    """Score a responses file, or a Moodle quiz Responses report (recognised by its header)."""
    table = read_table(path)
    forms = quiz_forms(course, quiz, options.seed)
    from hscourse.assess.lms_reports import is_moodle_responses, read_moodle_responses

    if is_moodle_responses(table):
        return read_moodle_responses(table, forms, course, options.settings)
    return grade_table(table, forms, options.settings)


def grade(root: Path, responses: Path, quiz: str, term: Path | None = None,
          out: Path | None = None, options: GradeOptions = GradeOptions(),
          overrides: Path | None = None) -> GradeResult:
    """Score a responses file for a quiz and write dist[/<term>]/grades/<quiz>/ (or out)."""
    from hscourse.build import default_dist
    from hscourse.course.resolve import load_resolved

    course = load_resolved(root, term)
    if overrides is not None:
        accepted = read_overrides(read_table(overrides))
        options = GradeOptions(Settings(options.settings.all_or_nothing,
                                        options.settings.negative_marking, accepted),
                               options.pdf, options.feedback, options.seed, options.jobs)
    grading = read_responses(responses, quiz, course, options)
    files, analysis = grade_files(course, grading, options)
    grades = (default_dist(course.root, term) / "grades").resolve()
    folder = out.resolve() if out else grades / quiz
    write_private(folder, files, None if out else grades)
    return GradeResult(folder, sorted(files), grading, analysis, grading.notes)

