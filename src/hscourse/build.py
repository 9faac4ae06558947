"""The build: the only place that knows the order of the stages.

load and validate (project) -> render each edition (render) -> PDF (pdf) -> dist/ (output).
Nothing is written until every document has rendered, so a failed build changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hscourse.errors import ContentError, Diagnostic
from hscourse.model import Course
from hscourse.output import MANIFEST, Output, manifest_bytes, read_manifest, sha256, write_atomic
from hscourse.pdf import RenderError, write_pdf
from hscourse.resolve import load_resolved
from hscourse.render import EDITIONS, render_edition

Progress = Callable[[int, int, str], None]


@dataclass
class BuildResult:
    dist: Path
    outputs: list[Output]


def render_all(course: Course, progress: Progress | None = None) -> dict[Output, bytes]:
    """Render every edition of every module to PDF bytes, keyed by its manifest entry."""
    jobs = [(module, edition) for module in course.modules for edition in EDITIONS]
    rendered: dict[Output, bytes] = {}
    problems: list[Diagnostic] = []
    for done, (module, edition) in enumerate(jobs):
        if progress:
            progress(done, len(jobs), edition.path(module.id))
        html = render_edition(course, module, edition)
        try:
            pdf = write_pdf(html, course.root)
        except RenderError as exc:
            problems.append(Diagnostic(module.source.file, 0, 0, "",
                                       f"{edition.path(module.id)}: {exc}"))
            continue
        entry = Output(edition.path(module.id), edition.audience, edition.kind, module.id,
                       sha256(pdf))
        rendered[entry] = pdf
    if progress:
        progress(len(jobs), len(jobs), "")
    if problems:
        raise ContentError(problems)
    return rendered


def publish(dist: Path, files: dict[Output, bytes]) -> None:
    """Write the outputs, remove the ones the previous build made and this one did not."""
    previous = read_manifest(dist)
    for entry, data in files.items():
        write_atomic(dist / entry.path, data)
    current = {entry.path for entry in files}
    for old in previous:
        stale = dist / old.path
        if old.path not in current and stale.resolve().is_relative_to(dist.resolve()):
            stale.unlink(missing_ok=True)
    write_atomic(dist / MANIFEST, manifest_bytes(files))


def build(root: Path, dist: Path | None = None, progress: Progress | None = None,
          term: Path | None = None) -> BuildResult:
    """Build every edition of every module of the course at root into dist.

    dist defaults to root/dist, or root/dist/<term-id> for a term, so terms build side by side.
    """
    course = load_resolved(root, term)
    default = course.root / "dist" / course.term if course.term else course.root / "dist"
    dist = (dist or default).resolve()
    files = render_all(course, progress)
    publish(dist, files)
    return BuildResult(dist, sorted(files, key=lambda o: o.path))
