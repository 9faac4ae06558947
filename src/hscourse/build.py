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

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from hscourse import stamp
from hscourse.course.paths import term_id_problem
from hscourse.errors import ContentError, Diagnostic
from hscourse.options import Options
from hscourse.output import (
    Output,
    OutputError,
    dist_lock,
    publish,
    read_inputs_stamp,
    read_manifest,
    remove_stale_temporaries,
    verify,
)

if TYPE_CHECKING:
    from hscourse.course.model import Course
    from hscourse.render.leakcheck import Needles
    from hscourse.render.workers import Renderer

Progress = Callable[[int, int, str], None]
T = TypeVar("T")


@dataclass
class BuildResult:
    dist: Path
    outputs: list[Output]
    rendered: list[str] = field(default_factory=list)  # paths actually rendered this time
    warnings: list[Diagnostic] = field(default_factory=list)  # e.g. items an export skipped
    written: bool = True  # False when dist/ was up to date and nothing was written

    def summary(self, seconds: float | None = None) -> str:
        """What the build wrote, as `build` and its watch print it: the PDFs rendered, those
        kept from the last build, and the other files (data, exports), written every time."""
        took = f" in {seconds:.2f} s" if seconds is not None else ""
        if not self.written:
            return f"{len(self.outputs)} outputs in {self.dist} (all unchanged){took}"
        made = len(self.rendered)
        pdfs = sum(o.path.endswith(".pdf") for o in self.outputs)
        others = len(self.outputs) - pdfs
        parts = [f"{made} PDF{'' if made == 1 else 's'} rendered"]
        if pdfs > made:
            parts.append(f"{pdfs - made} unchanged")
        if others:
            parts.append(f"{others} other file{'' if others == 1 else 's'} written")
        return (f"{len(self.outputs)} outputs in {self.dist} ({', '.join(parts)}){took}; "
                "see manifest.json")


def prepare(root: Path, term: Path | None, options: Options) -> Course:
    """The resolved course, checked for what making its documents relies on (render_checks
    without content_checks, which the build runs while rendering)."""
    from hscourse.course.resolve import load_resolved

    course = load_resolved(root, term)
    course.set_flags(seed=options.seed, large_print=options.large_print, html=options.html)
    try:
        render_checks(course, content=False)
    except ContentError as exc:
        raise exc.with_warnings(load_warnings(course)) from None
    return course


def load_warnings(course: Course) -> list[Diagnostic]:
    """The warnings of every file the course was loaded from (YAML slips), a term's overlay
    files included."""
    from hscourse.course.load import warnings_of
    from hscourse.course.project import overlay_documents

    return warnings_of(course.sources + [m.source for m in course.modules]
                       + overlay_documents(course))


def render_checks(course: Course, content: bool = True) -> list[Diagnostic]:
    """What a build refuses to publish, beyond the schema and rules the loader checks:
    characters no font has, a print set without a class size, placeholder text outside
    draft modules, labels that name no message. All problems at once; the warnings
    (placeholders in drafts, labels left in English) are returned. `check` runs them all;
    `build` leaves the content's own (content=False: fonts, placeholders and labels, which
    making the documents does not rely on) until its workers render (content_checks)."""
    from hscourse.render.language import label_problems
    from hscourse.render.printsets import check_print_sets

    problems = _coverage_problems(course) if content else []
    try:
        check_print_sets(course)
    except ContentError as exc:
        problems += exc.diagnostics
    placeholder_errors, warnings = _placeholders(course) if content else ([], [])
    label_errors, label_warnings = label_problems(course) if content else ([], [])
    problems += placeholder_errors + label_errors
    if problems:
        raise ContentError(problems)
    return warnings + label_warnings


def content_checks(course: Course) -> None:
    """The checks render_checks(content=False) leaves out: characters no font has (it asks
    fontconfig, 25-50 ms), placeholder text outside draft modules (the review's rules,
    imported for it) and labels that name no message (the message catalogue, read for it).
    The build runs these while its workers render."""
    from hscourse.render.language import label_problems

    problems = (_coverage_problems(course) + _placeholders(course)[0]
                + label_problems(course)[0])
    if problems:
        raise ContentError(problems)


def _coverage_problems(course: Course) -> list[Diagnostic]:
    from hscourse.render.fonts import check_coverage

    try:
        check_coverage(course)
    except ContentError as exc:
        return list(exc.diagnostics)
    return []


def _placeholders(course: Course) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Placeholder text outside draft modules (errors), and in drafts (warnings)."""
    from hscourse.assess.review import placeholders

    found = placeholders(course)
    return ([replace(d, message=d.message + " (or mark the module `draft: true`)")
             for severity, d in found if severity == "error"],
            [d for severity, d in found if severity != "error"])


def check_course(root: Path, term: Path | None) -> tuple[Course, list[Diagnostic]]:
    """What `hscourse check` runs: everything `build` would refuse, with the
    warnings of what a build allows (YAML slips, placeholders in draft modules)."""
    from hscourse.course.resolve import load_resolved

    course = load_resolved(root, term)
    try:
        warnings = render_checks(course)
    except ContentError as exc:
        raise exc.with_warnings(load_warnings(course)) from None
    return course, load_warnings(course) + warnings


def default_dist(root: Path, term: Path | None) -> Path:
    """root/dist, or root/dist/<term-id> for a term, so terms build side by side."""
    return (root / "dist" / term.stem if term else root / "dist").resolve()


def up_to_date(dist: Path, inputs: str) -> list[Output] | None:
    """The previous outputs when the last build read exactly these inputs and every one of
    them is still there as the manifest lists it (output.verify); None when there is work."""
    if read_inputs_stamp(dist) != inputs:
        return None
    previous = read_manifest(dist)
    return previous if previous and verify(dist, previous) else None


def check_student_files(needles: Needles, files: dict[Output, bytes]) -> None:
    """Leak-check student files that are not PDFs (the workers check the PDFs)."""
    from hscourse.render.leakcheck import find_leaks

    others = {o: d for o, d in files.items()
              if o.audience == "student" and not o.path.endswith(".pdf")}
    leaks = find_leaks(needles, others) if others else []
    if leaks:
        raise ContentError(leaks)


def secret_warnings(course: Course) -> list[Diagnostic]:
    """A warning when printed orders can be recomputed from public values."""
    from hscourse.course.forms import SECRET_ENV, course_secret, shuffles

    if course_secret(course) or not shuffles(course):
        return []
    return [Diagnostic("course.yaml", 0, 0, "", "the course has no `secret`, so anyone can work "
                       "out the order of quiz forms and of matching and ordering choices (and "
                       "so their keys) from public values; add a line `secret: \"<random "
                       "text>\"` to course.yaml or the term file (`python3 -c 'import secrets; "
                       f"print(secrets.token_hex(16))'` makes one), or set {SECRET_ENV}")]


def build(root: Path, dist: Path | None = None, progress: Progress | None = None,
          term: Path | None = None, options: Options = Options(),
          renderer: Renderer | None = None) -> BuildResult:
    """Build every document of the course at root (as taught in term) into dist, holding
    dist/'s lock: a second build into the same folder stops with a message.

    A caller that builds again and again (`build --watch`, `serve`) passes its own renderer,
    whose worker processes stay warm between builds; otherwise the build starts its own."""
    if term is not None and term_id_problem(term):
        raise ContentError([Diagnostic(str(term), 0, 0, "", term_id_problem(term))])
    dist = (dist or default_dist(root, term)).resolve()
    try:
        with dist_lock(dist):
            remove_stale_temporaries(dist)
            inputs = stamp.inputs(root, term, options.stamp())
            previous = None if options.force else up_to_date(dist, inputs)
            if previous is not None:
                return BuildResult(dist, previous, [], written=False)
            return _build(root, dist, progress, term, options, inputs, renderer)
    except OutputError as exc:
        raise ContentError([Diagnostic(str(dist), 0, 0, "", str(exc))]) from None


def _build(root: Path, dist: Path, progress: Progress | None, term: Path | None,
           options: Options, inputs: str, renderer: Renderer | None) -> BuildResult:
    """Start the render workers first, before this build imports what it needs (a third of a
    second), so that they get ready sooner."""
    from hscourse.render.workers import Renderer, worker_count

    with nullcontext(renderer) if renderer else Renderer(worker_count(options.jobs)) as renderer:
        return _build_with(root, dist, progress, term, options, inputs, renderer)


def _followed_by(items: Iterable[T], then: Callable[[], None]) -> Iterator[T]:
    """items, then a call of then once they are used up (by whoever iterates)."""
    yield from items
    then()


class Meanwhile:
    """Work a build does while its workers render, in a thread of its own: started once the
    last document is made, it runs while the render server may still be getting the workers
    ready (the build's own process has nothing else to do then) and while they render; the
    build's thread meanwhile sends them the documents as soon as they can take them. finish
    waits for it and raises what it raised."""

    def __init__(self, work: Callable[[], None]):
        self.work = work
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="hscourse-meanwhile", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.work()
        except BaseException as exc:  # noqa: BLE001 - raised again by finish, in the build
            self.error = exc

    def finish(self) -> None:
        if self.thread is not None:
            self.thread.join()
        if self.error is not None:
            raise self.error


def _build_with(root: Path, dist: Path, progress: Progress | None, term: Path | None,
                options: Options, inputs: str, renderer: Renderer) -> BuildResult:
    from hscourse.formats.lms import export_outputs
    from hscourse.render.documents import data_files, iter_documents, render_pdfs
    from hscourse.render.printsets import print_sets
    from hscourse.render.workers import build_context
    from hscourse.site.build import SELF_CHECK_KIND, add_site

    course = prepare(root, term, options)
    warnings = load_warnings(course) + secret_warnings(course)
    exported: dict[Output, bytes] = {}

    def checks_and_exports() -> None:
        """The content's checks, then the exports (whose warnings are printed even when
        rendering fails), while the workers render."""
        content_checks(course)
        made, export_warnings = export_outputs(course, options.strict)
        exported.update(made)
        warnings.extend(export_warnings)

    meanwhile = Meanwhile(checks_and_exports)
    try:
        context = build_context(course, term.resolve() if term else None,
                                options.leak_check)
        docs = _followed_by(iter_documents(course, options.personalised, edited_first=True),
                            meanwhile.start)
        try:
            files, rendered = render_pdfs(course, docs, dist, options, renderer, context,
                                          progress)
        finally:
            meanwhile.finish()  # its refusal, if any, before a render's
        files.update(data_files(course))
        files.update(print_sets(course, files))
        files.update(exported)
        warnings += add_site(course, files, context.needles is not None)
        if context.needles is not None:
            check_student_files(context.needles, {o: d for o, d in files.items()
                                                  if o.kind != SELF_CHECK_KIND})
    except ContentError as exc:
        raise exc.with_warnings(warnings) from None
    publish(dist, files, inputs)
    return BuildResult(dist, sorted(files, key=lambda o: o.path), rendered, warnings)
