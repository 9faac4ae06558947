"""Rendering PDFs in worker processes, each importing WeasyPrint once for many documents.

Each worker renders a document and, for a student document, runs the leak check on it at
once, so the check runs in parallel with the rendering of other documents. Results come back
as ("ok", pdf bytes) or ("error", [diagnostics]); the same documents give the same bytes
whether rendered in one process or several.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Union

from hscourse.errors import Diagnostic
from hscourse.model import Course
from hscourse.output import Output

if TYPE_CHECKING:
    from hscourse.build import Options

Job = tuple[str, str, bool]  # output path, HTML, whether students read it
Result = Union[bytes, list[Diagnostic]]

_STATE: dict[str, Any] = {}


def _setup(root: Path, course: Course | None, date: str | None) -> None:
    """Per process: import WeasyPrint once; keep the document date and what the leak check
    needs (course is None when the leak check is off)."""
    import weasyprint  # noqa: F401  (imported here so that every job after the first is warm)

    _STATE.update(root=root, course=course, date=date)


def _leaks(path: str, pdf: bytes) -> list[Diagnostic]:
    from hscourse.leakcheck import find_leaks

    course = _STATE["course"]
    entry = Output(path, "student", "pdf", "", "")
    return find_leaks(course, {entry: pdf})


def _render(job: Job) -> tuple[str, Result]:
    from hscourse.pdf import RenderError, write_pdf

    path, html, student = job
    try:
        pdf = write_pdf(html, _STATE["root"], date=_STATE["date"])
    except RenderError as exc:
        return path, [Diagnostic("", 0, 0, "", f"{path}: {exc}")]
    if student and _STATE["course"] is not None:
        leaks = _leaks(path, pdf)
        if leaks:
            return path, leaks
    return path, pdf


def worker_count(requested: int | None, jobs: int) -> int:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    return max(1, min(requested or available, jobs))


def render_many(root: Path, jobs: list[Job], options: "Options", course: Course,
                progress: Callable[[int, int, str], None] | None = None) -> dict[str, Result]:
    """Render every job; with several workers, in a pool of processes."""
    checked = course if options.leak_check else None
    date = course.settings.get("date")
    results: dict[str, Result] = {}
    total = len(jobs)
    workers = worker_count(options.jobs, total)
    if workers == 1:
        if jobs:
            _setup(root, checked, date)
        for done, job in enumerate(jobs):
            if progress:
                progress(done, total, job[0])
            path, result = _render(job)
            results[path] = result
        return results
    context = multiprocessing.get_context("fork")
    # Longest first (HTML length stands in for rendering time), so that no worker is left
    # with one long guide at the end while the others wait.
    ordered = sorted(jobs, key=lambda job: len(job[1]), reverse=True)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_setup,
                             initargs=(root, checked, date)) as pool:
        futures = [pool.submit(_render, job) for job in ordered]
        for done, future in enumerate(as_completed(futures)):
            path, result = future.result()
            results[path] = result
            if progress:
                progress(done, total, path)
    return results
