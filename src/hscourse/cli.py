"""The `hscourse` command: a thin layer over the library (Click parses, the library works).

Exit codes: 0 success, 1 problems in the course content, 2 a usage error.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from hscourse import __version__
from hscourse.errors import ContentError, printable


def echo(message: str, err: bool = False, nl: bool = True) -> None:
    """Print a line with control characters escaped: messages quote course files, and no text
    from a file may move the cursor, erase a line or recolour the terminal."""
    click.echo(printable(message), err=err, nl=nl)


def find_project(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    """The course folder: as given, else the nearest folder holding course.yaml from here up
    (so commands work from inside modules/ too), else the current folder."""
    if value is not None:
        return value
    here = Path.cwd()
    return next((p for p in (here, *here.parents) if (p / "course.yaml").is_file()), Path("."))


project_option = click.option(
    "--project", "-p", type=click.Path(file_okay=False, path_type=Path), default=None,
    callback=find_project, show_default="the folder holding course.yaml, from here up",
    help="The course folder (the one holding course.yaml).")


term_option = click.option(
    "--term", "-t", type=click.Path(dir_okay=False, path_type=Path),
    help="A term: its name (2027-spring) or its file (terms/2027-spring.yaml).")
seed_option = click.option(
    "--seed", help="Text that seeds the shuffling of quiz forms (overrides `seed`).")
large_print_option = click.option(
    "--large-print", is_flag=True,
    help="Also make the student editions in 18 pt large print, in dist/large-print/.")


def term_path(project: Path, term: Path | None) -> Path | None:
    """The term file: as given, relative to the project folder, or terms/NAME.yaml."""
    if term is None or term.exists() or term.is_absolute():
        return term
    named = project / "terms" / f"{term}.yaml"
    if term.suffix == "" and len(term.parts) == 1 and named.is_file():
        return named
    if not (project / term).exists():
        terms = sorted(p.stem for p in (project / "terms").glob("*.yaml"))
        known = f"; terms here: {', '.join(terms)}" if terms else " (there are no terms yet)"
        raise click.BadParameter(f"no term {str(term)!r}: neither {term} nor terms/{term.stem}.yaml "
                                 f"exists{known}", param_hint="'--term' / '-t'")
    return project / term


def reports_content_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print every content error as FILE:LINE:COLUMN: FIELD: MESSAGE and exit with 1."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ContentError as exc:
            for warning in exc.warnings:
                echo(f"warning: {warning}", err=True)
            for diagnostic in exc.diagnostics:
                echo(f"error: {diagnostic}", err=True)
            count = len(exc.diagnostics)
            echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.",
                       err=True)
            sys.exit(1)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hscourse")
def main() -> None:
    """Turn a course kept as YAML into student and instructor PDFs.

    Start with `hscourse check` to validate the course, then `hscourse build`.
    """


class ProgressDisplay:
    """Outputs done of total and the current one: a bar on a terminal, plain lines otherwise."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar: Any = None
        self.interactive = sys.stdout.isatty()

    def __call__(self, done: int, total: int, current: str) -> None:
        if self.quiet or total == 0:
            return
        if not self.interactive:
            if current:
                echo(f"[{done + 1}/{total}] {current}")
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Rendering",
                                         item_show_func=lambda item: item, show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, current or None)
        if done == total:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command()
@project_option
@term_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for rendering  [default: the number of CPUs]")
@click.option("--force", is_flag=True, help="Rebuild everything, even unchanged documents.")
@seed_option
@large_print_option
@click.option("--strict", is_flag=True,
              help="Fail when an LMS export cannot carry an item, instead of warning.")
@click.option("--no-leak-check", "no_leak_check", is_flag=True,
              help="Skip reading every student PDF back for instructor-only text.")
@click.option("--personalised", is_flag=True,
              help="Also print answer sheets with each student's name and ID (from `roster`), "
                   "as one class PDF per quiz (needs answer_sheets: true).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--watch", "-w", is_flag=True,
              help="Stay running and build again whenever a course file is saved (Ctrl+C stops).")
@reports_content_errors
def build(project: Path, term: Path | None, jobs: int | None, force: bool, seed: str | None,
          large_print: bool, strict: bool, no_leak_check: bool, personalised: bool,
          quiet: bool, watch: bool) -> None:
    """Build every module's handout, quiz and instructor guide into dist/.

    With --term, the term's PDFs go to dist/<term-id>/, so terms build side by side.
    Documents whose inputs did not change since the last build are not rendered again.
    With --watch, each save is built at once, in a process that keeps WeasyPrint loaded.
    """
    from hscourse.build import Options
    from hscourse.build import build as run_build

    options = Options(force=force, jobs=jobs, seed=seed, leak_check=not no_leak_check,
                      large_print=large_print, strict=strict, personalised=personalised)
    if watch:
        watch_builds(project, term_path(project, term), options, quiet)
        return
    result = run_build(project, progress=ProgressDisplay(quiet), term=term_path(project, term),
                       options=options)
    report_built(result, quiet)


def report_built(result: Any, quiet: bool) -> None:
    """A build's warnings, then what it wrote."""
    for warning in result.warnings:
        echo(f"warning: {warning}", err=True)
    if not quiet:
        echo(result.summary())


def report_line(line: str, quiet: bool = False) -> None:
    """A line of a watch or preview: warnings and errors to stderr, the rest (unless quiet)
    to stdout."""
    problem = line.startswith(("error", "warning"))
    if problem or not quiet:
        echo(line, err=problem)


def stop_requested() -> threading.Event:
    """Set by Ctrl+C or SIGTERM, even in the middle of a rebuild, which then finishes."""
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    return stopping


def watch_builds(project: Path, term: Path | None, options: Any, quiet: bool) -> None:
    """Build, then build again after every batch of saves until Ctrl+C (or SIGTERM)."""
    from dataclasses import replace

    from hscourse.watch import Rebuilder

    rebuilder = Rebuilder(project, term, options, ProgressDisplay(quiet))
    stopping = stop_requested()

    def rebuild() -> None:
        for line in rebuilder.rebuild().lines():
            report_line(line, quiet)

    try:
        rebuild()
        rebuilder.options = replace(options, force=False)
        report_line("Watching for saves; Ctrl+C stops.", quiet)
        for _ in rebuilder.saves(stopping):
            rebuild()
    finally:
        rebuilder.close()


@main.command()
@project_option
@term_option
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True,
              help="The port to listen on (0: any free port).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for rendering  [default: the number of CPUs]")
def serve(project: Path, term: Path | None, port: int, jobs: int | None) -> None:
    """Preview the web edition and the student PDFs at http://127.0.0.1:PORT/.

    Builds (with the web edition on), serves dist/ to this computer only, and rebuilds when a
    course file is saved; open pages reload themselves, and show any content error with its
    file:line:column until it is fixed. Ctrl+C stops.
    """
    from hscourse.build import Options
    from hscourse.site.serve import Preview

    try:
        preview = Preview(project, term_path(project, term), port, options=Options(jobs=jobs),
                          report=report_line)
    except OSError as exc:
        echo(f"error: cannot listen on 127.0.0.1:{port}: {exc.strerror}; choose another "
             "--port (0 picks a free one)", err=True)
        sys.exit(2)
    preview.start()
    stopping = stop_requested()
    echo(f"Serving {preview.url} (this computer only); Ctrl+C stops.")
    while not stopping.wait(0.2):
        pass
    preview.stop()


@main.command()
@project_option
@term_option
@reports_content_errors
def check(project: Path, term: Path | None) -> None:
    """Validate course.yaml, every module (listed or not) and a term; report all problems."""
    from hscourse.build import check_course
    from hscourse.course.project import check_unlisted

    course, warnings = check_course(project, term_path(project, term))
    for module_id in check_unlisted(course):
        echo(f"note: modules/{module_id} is valid but not taught: add it to the modules "
             "in course.yaml or to a term's schedule")
    for warning in warnings:
        echo(f"warning: {warning}", err=True)
    items = sum(len(m.data.get("quiz", [])) for m in course.modules)
    n = len(course.modules)
    found = (f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
             if warnings else "no problems found")
    exams = len(course.exams)
    listed = f", {exams} exam{'s' if exams != 1 else ''}" if exams else ""
    echo(f"OK: {n} module{'s' if n != 1 else ''}, {items} quiz items{listed}, {found}.")


@main.command()
@project_option
@term_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="text (file:line:column lines), json, or github "
                                      "(workflow annotations for CI).")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only errors.")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the review as a PDF for instructors to this file.")
@reports_content_errors
def review(project: Path, term: Path | None, fmt: str, strict: bool, pdf: Path | None) -> None:
    """Review the quiz items: item-writing flaws, objective gaps, the level mix, stale facts.

    Exits with 1 when there are errors (with --strict, warnings too). Rules and thresholds:
    docs/review-rules.md.
    """
    from hscourse.assess.review import review_project
    from hscourse.assess.review.report import render

    course, report = review_project(project, term_path(project, term))
    if pdf is not None:
        from hscourse.assess.review.document import review_pdf
        from hscourse.output import write_atomic

        write_atomic(pdf, review_pdf(course, report))
    click.echo(render(report, fmt), nl=False)
    if report.failed(strict):
        sys.exit(1)


@main.command()
@click.argument("kind", type=click.Choice(["module", "course", "term", "overlay"]), default="module")
@click.option("--reference", is_flag=True,
              help="Print the module field reference (Markdown) instead of the JSON Schema.")
def schema(kind: str, reference: bool) -> None:
    """Print the JSON Schema of a module file, course.yaml, a term file or a term overlay.

    Save it and point your editor's YAML language server at it, e.g. with a first line
    `# yaml-language-server: $schema=module.schema.json` in each module file.
    """
    from hscourse.course.schema import SCHEMAS

    if reference:
        from hscourse.course.fieldref import field_reference

        echo(field_reference(), nl=False)
        return
    echo(json.dumps(SCHEMAS[kind], indent=2, ensure_ascii=False))


@main.command()
@project_option
@term_option
@seed_option
@large_print_option
@click.option("--explain", is_flag=True, help="Show which file and line set each setting.")
@reports_content_errors
def config(project: Path, term: Path | None, seed: str | None, large_print: bool,
           explain: bool) -> None:
    """Print the resolved settings of the course (and term), with the build's flags on top."""
    from hscourse.course.resolve import load_resolved
    from hscourse.course.settings import explained

    course = load_resolved(project, term_path(project, term))
    course.set_flags(seed=seed, large_print=large_print)
    rows = explained(course.settings, course.origins)
    width = max(len(name) for name, _, _ in rows)
    for name, value, origin in rows:
        line = f"{name:<{width}}  {value}"
        echo(f"{line}    ({origin})" if explain and origin else line)


@main.command()
@project_option
@click.argument("term_a", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("term_b", type=click.Path(dir_okay=False, path_type=Path))
@reports_content_errors
def diff(project: Path, term_a: Path, term_b: Path) -> None:
    """List what differs between two terms (settings, modules, order, items, points, dates)."""
    from hscourse.course.compare import differences
    from hscourse.course.resolve import load_resolved

    lines = differences(load_resolved(project, term_path(project, term_a)),
                        load_resolved(project, term_path(project, term_b)))
    echo("\n".join(lines) if lines else "The two terms are the same.")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@reports_content_errors
def init(directory: Path) -> None:
    """Create a new course project: course.yaml, the shipped modules, a first term."""
    from hscourse.scaffold import FIRST_TERM, init_project

    files = init_project(directory)
    echo(f"Created {len(files)} files in {directory}. Next:\n"
               f"  cd {directory}\n  hscourse build --term terms/{FIRST_TERM}.yaml\n"
               f"and read {directory / 'README.md'} to make the course your own.")


@main.command("new-module")
@project_option
@click.argument("module_id")
@reports_content_errors
def new_module(project: Path, module_id: str) -> None:
    """Create modules/MODULE_ID/module.yaml, a commented skeleton to fill in."""
    from hscourse.scaffold import new_module as create

    path = create(project, module_id)
    echo(f"Created {path}. Fill it in, run `hscourse check`, then add {module_id} to the "
               "modules in course.yaml (or to a term's schedule).")


@main.command()
@project_option
@term_option
@click.option("--format", "fmt", type=click.Choice(["json", "moodle", "gift", "qti", "csv"]),
              default="json", show_default=True,
              help="json (the data), moodle (Moodle XML), gift, qti (a Canvas QTI 1.2 zip) or "
                   "csv (the answer key).")
@click.option("--audience", type=click.Choice(["student", "instructor"]), default="instructor",
              show_default=True, help="Student exports leave out every instructor-only field "
                                      "(json only; question banks need the answers).")
@click.option("--strict", is_flag=True,
              help="Fail, writing nothing, if the format cannot carry an item or a field.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output (required for qti).")
@reports_content_errors
def export(project: Path, term: Path | None, fmt: str, audience: str, strict: bool,
           output: Path | None) -> None:
    """Export the resolved course as data or as a question bank for an LMS."""
    from hscourse.course.resolve import load_resolved
    from hscourse.formats.data import course_view

    if fmt == "qti" and output is None:
        raise click.UsageError("the qti format is a zip file: give one with -o FILE.zip")
    course = load_resolved(project, term_path(project, term))
    if fmt == "json":
        data = (json.dumps(course_view(course, audience), indent=2, ensure_ascii=False)
                + "\n").encode()
    else:
        from hscourse.formats.lms import export_one

        data, warnings = export_one(course, fmt, strict)
        for warning in warnings:
            echo(f"warning: {warning}", err=True)
    if output is None:
        echo(data.decode("utf-8"), nl=False)
    else:
        from hscourse.output import PRIVATE_FILE, PUBLIC_FILE, umasked, write_atomic

        public = fmt == "json" and audience == "student"  # everything else holds answers
        write_atomic(output, data, umasked(PUBLIC_FILE if public else PRIVATE_FILE))


@main.command()
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiz", required=True, help="The quiz: a module id, or exam-<id> for an exam.")
@project_option
@term_option
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="The grades folder  [default: dist[/<term>]/grades/<quiz>/]")
@click.option("--overrides", type=click.Path(dir_okay=False, path_type=Path),
              help="A CSV (item,answer) of short answers to accept.")
@click.option("--all-or-nothing", is_flag=True,
              help="Multiple-answer items score only when exactly right (no partial credit).")
@click.option("--negative-marking", is_flag=True,
              help="A wrong single-choice or true/false answer costs points/(options - 1).")
@click.option("--feedback", is_flag=True, help="Also one PDF per student, with the answers.")
@click.option("--no-pdf", is_flag=True, help="Skip the item-analysis PDF.")
@click.option("--seed", help="The --seed the forms were built with, if one was given.")
@reports_content_errors
def grade(responses: Path, quiz: str, project: Path, term: Path | None, output: Path | None,
          overrides: Path | None, all_or_nothing: bool, negative_marking: bool, feedback: bool,
          no_pdf: bool, seed: str | None) -> None:
    """Score RESPONSES (a responses CSV, or a Moodle Responses report) for a quiz.

    Writes scores, Moodle and Canvas gradebook files and the item analysis into a private
    folder (0700; files 0600). Nothing is written if the file has any problem.
    """
    from hscourse.assess.grade import Settings
    from hscourse.assess.report import GradeOptions
    from hscourse.assess.report import grade as run_grade

    options = GradeOptions(Settings(all_or_nothing, negative_marking), pdf=not no_pdf,
                           feedback=feedback, seed=seed)
    result = run_grade(project, responses, quiz, term_path(project, term), output, options,
                       overrides)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    unmatched = len(result.grading.unmatched)
    summary = result.analysis["summary"]
    count = len(result.grading.students)
    click.echo(f"Graded {count} student{'s' if count != 1 else ''} "
               f"(mean {summary['mean']:.2f} of {summary['max_points']:g}) into {result.folder}"
               + (f"; {unmatched} short answers matched nothing (unmatched-answers.csv)"
                  if unmatched else ""))


@main.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The new module's folder, modules/<module-id>/ (its name is the module id); "
                   "with --split-categories, the folder the new modules go in (modules/).")
@click.option("--split-categories", "split", is_flag=True,
              help="One module per category of the bank, each titled from its category.")
@reports_content_errors
def import_(source: Path, output: Path, split: bool) -> None:
    """Import a GIFT or Moodle XML question bank as a new module (or one per category).

    Writes OUTPUT/module.yaml (and the images the questions show). Whatever the module cannot
    carry is listed with its line in SOURCE; placeholders starting "TO DO" need filling in.
    Item ids the course already uses get the new module's id as a prefix.
    """
    from hscourse.formats.importing import import_modules

    modules, result = import_modules(source, output, split)
    for note in result.notes:
        echo(f"warning: {note}", err=True)
    for module in modules:
        echo(f"Wrote {module.folder / 'module.yaml'} with {len(module.data['quiz'])} quiz "
             f"items ({module.data['title']!r}).")
    todo = modules[0].todo
    if todo:
        echo("Fill in the placeholders (they start with 'TO DO'): " + ", ".join(todo)
             + ("" if len(modules) == 1 else " (and the like in each module)")
             + "; then remove `draft: true` (until you do, `check` warns about each "
             "placeholder and every PDF of the module says Draft)")
    names = ", ".join(repr(m.data["id"]) for m in modules)
    echo(f"Then add {names} to the modules in course.yaml.")


def run() -> None:
    """The command line: `main`, with any unexpected failure reported in one line. The
    entry point (hscourse.__main__) calls it once the render server is on its way.

    Whatever the command made is frozen out of the cycle collector's reach on the way out:
    Python's last collection at exit walked every object of a build (the course, its HTML,
    its PDFs), 0.1 s of every command's end (docs/performance.md); the process's end frees
    them all at once anyway."""
    try:
        main(standalone_mode=True)
    except Exception as exc:  # a bug: say so plainly instead of a traceback
        if os.environ.get("HSCOURSE_DEBUG"):
            raise
        echo(f"error: hscourse failed unexpectedly ({type(exc).__name__}: {exc}); nothing was "
             "written. Please report it; HSCOURSE_DEBUG=1 shows the details.", err=True)
        sys.exit(70)
    finally:
        gc.freeze()


@main.command()
@click.argument("scans", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@term_option
@click.option("--quiz", required=True, help="The quiz the sheets are for (a module id, or "
              "exam-<id>).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The responses CSV to write (for `hscourse grade`).")
@click.option("--decisions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="scan-decisions.csv with your decisions on the flagged marks.")
@click.option("--seed", help="The seed the forms were built with, if `build` was given one.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes  [default: the number of CPUs]")
@reports_content_errors
def scan(scans: tuple[Path, ...], project: Path, term: Path | None, quiz: str, output: Path,
         decisions: Path | None, seed: str | None, jobs: int | None) -> None:
    """Read scanned answer sheets (PDF, PNG, JPEG, TIFF) into a responses CSV.

    Marks the reader cannot decide are never guessed: they go into scan-review.pdf (with a
    crop of each) and scan-decisions.csv beside the output; settle them there and run again
    with --decisions. Exit code 1 while decisions are open.
    """
    from hscourse.assess.scanning import scan as run_scan
    from hscourse.course.resolve import load_resolved

    course = load_resolved(project, term_path(project, term))
    if quiz not in {m.id for m in course.quizzes()}:
        raise click.UsageError(f"--quiz {quiz}: not a module or exam of this course; choose "
                               "from " + ", ".join(m.id for m in course.quizzes()))
    report = run_scan(course, quiz, scans, output, decisions, jobs, seed)
    outcome = report.outcome
    if outcome.pending:
        review, decided = report.written
        echo(f"{outcome.pages} pages read; {len(outcome.pending)} decisions needed: see "
                   f"{review}, fill in {decided}, then run again with --decisions {decided}",
                   err=True)
        sys.exit(1)
    echo(f"{outcome.pages} pages read; {len(outcome.rows)} students written to {output}")
    if outcome.unread_questions:
        echo("questions " + ", ".join(map(str, outcome.unread_questions)) + " are not "
                   "bubbles: enter their answers in those columns before grading")
