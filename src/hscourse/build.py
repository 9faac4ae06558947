"""The build: the only place that knows the order of the stages.

load and validate (project) -> resolve the term (resolve) -> HTML of every document (render,
documents) -> PDF (pdf, in worker processes, skipping unchanged documents, each student PDF
leak-checked) -> dist/ (output). Nothing is written until every document has rendered and
passed the leak check, so a failed build changes nothing.

When nothing the build reads has changed since the last build (stamp.inputs) and its outputs
are in place, the build ends at once; the stages are imported only past that point, which is
what keeps a no-op build fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from hscourse import stamp
from hscourse.errors import ContentError, Diagnostic
from hscourse.output import Output, publish, read_inputs_stamp, read_manifest

if TYPE_CHECKING:
    from hscourse.model import Course

Progress = Callable[[int, int, str], None]


@dataclass
class BuildResult:
    dist: Path
    outputs: list[Output]
    rendered: list[str] = field(default_factory=list)  # paths actually rendered this time
    warnings: list[Diagnostic] = field(default_factory=list)  # e.g. items an export skipped


@dataclass(frozen=True)
class Options:
    """How to build: forced rebuild, worker count, form seed, checks."""

    force: bool = False
    jobs: int | None = None
    seed: str | None = None
    leak_check: bool = True
    large_print: bool = False
    strict: bool = False
    personalised: bool = False  # answer sheets per student of the roster, one class PDF

    def stamp(self) -> str:
        """The options that change what a build writes (not force or jobs)."""
        return repr((self.seed, self.leak_check, self.large_print, self.strict,
                     self.personalised))


def prepare(root: Path, term: Path | None, options: Options) -> "Course":
    """The resolved course, checked for everything a render would trip over."""
    from hscourse.fonts import check_coverage
    from hscourse.resolve import load_resolved

    course = load_resolved(root, term)
    if options.large_print:
        course.settings["large_print"] = True
    check_coverage(course)
    return course


def default_dist(root: Path, term: Path | None) -> Path:
    """root/dist, or root/dist/<term-id> for a term, so terms build side by side."""
    return (root / "dist" / term.stem if term else root / "dist").resolve()


def up_to_date(dist: Path, inputs: str) -> list[Output] | None:
    """The previous outputs when the last build read exactly these inputs and they are all
    still there, untouched (same size); None when there is work to do."""
    if read_inputs_stamp(dist) != inputs:
        return None
    previous = read_manifest(dist)
    for entry in previous:
        if entry.input is not None and not (dist / entry.path).is_file():
            return None
    return previous


def check_student_files(course: "Course", files: dict[Output, bytes]) -> None:
    """Leak-check student files that are not PDFs (the workers check the PDFs)."""
    from hscourse.leakcheck import find_leaks

    others = {o: d for o, d in files.items()
              if o.audience == "student" and not o.path.endswith(".pdf")}
    leaks = find_leaks(course, others) if others else []
    if leaks:
        raise ContentError(leaks)


def build(root: Path, dist: Path | None = None, progress: Progress | None = None,
          term: Path | None = None, options: Options = Options()) -> BuildResult:
    """Build every document of the course at root (as taught in term) into dist."""
    dist = (dist or default_dist(root, term)).resolve()
    inputs = stamp.inputs(root, term, options.stamp())
    previous = None if options.force else up_to_date(dist, inputs)
    if previous is not None:
        return BuildResult(dist, previous, [])
    from hscourse.workers import Context, Renderer, worker_count

    with Renderer(worker_count(options.jobs)) as renderer:
        from hscourse.documents import data_files, documents, render_pdfs
        from hscourse.forms import base_seed

        course = prepare(root, term, options)
        seed = base_seed(course, options.seed)
        context = Context(course.root, term.resolve() if term else None,
                          course.settings.get("date"), options.leak_check)
        files, rendered = render_pdfs(course, documents(course, seed, options.personalised),
                                      dist, options, renderer,
                                      context, progress)
    files.update(data_files(course, seed))
    warnings: list[Diagnostic] = []
    if course.settings.get("exports"):
        from hscourse.export.lms import export_outputs

        exported, warnings = export_outputs(course, options.strict)
        files.update(exported)
    if options.leak_check:
        check_student_files(course, files)
    publish(dist, files, inputs)
    return BuildResult(dist, sorted(files, key=lambda o: o.path), rendered, warnings)
