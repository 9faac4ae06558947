"""The `hscourse` command: a thin layer over the library (Click parses, the library works).

Exit codes: 0 success, 1 problems in the course content, 2 a usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import click

from hscourse import __version__
from hscourse.errors import ContentError

project_option = click.option(
    "--project", "-p", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default="the current folder", help="The course folder (the one holding course.yaml).")


def reports_content_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print every content error as FILE:LINE:COLUMN: FIELD: MESSAGE and exit with 1."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ContentError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(f"error: {diagnostic}", err=True)
            count = len(exc.diagnostics)
            click.echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.",
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


@main.command()
@project_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@reports_content_errors
def build(project: Path, quiet: bool) -> None:
    """Build every module's handout, quiz and instructor guide into dist/."""
    from hscourse.build import build as run_build

    def progress(done: int, total: int, current: str) -> None:
        if not quiet and current:
            click.echo(f"[{done + 1}/{total}] {current}")

    result = run_build(project, progress=progress)
    if not quiet:
        click.echo(f"Wrote {len(result.outputs)} PDFs and manifest.json to {result.dist}")


@main.command()
@project_option
@reports_content_errors
def check(project: Path) -> None:
    """Validate course.yaml and every module; report all problems with file and line."""
    from hscourse.project import load_course

    course = load_course(project)
    items = sum(len(m.data.get("quiz", [])) for m in course.modules)
    n = len(course.modules)
    click.echo(f"OK: {n} module{'s' if n != 1 else ''}, {items} quiz items, no problems found.")


@main.command()
@click.argument("kind", type=click.Choice(["module", "course"]), default="module")
def schema(kind: str) -> None:
    """Print the JSON Schema of a module file or of course.yaml.

    Save it and point your editor's YAML language server at it, e.g. with a first line
    `# yaml-language-server: $schema=module.schema.json` in each module file.
    """
    from hscourse.schema import SCHEMAS

    click.echo(json.dumps(SCHEMAS[kind], indent=2, ensure_ascii=False))


@main.command()
@project_option
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True,
              help="The export format.")
@click.option("--audience", type=click.Choice(["student", "instructor"]), default="instructor",
              show_default=True, help="Student exports leave out every instructor-only field.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@reports_content_errors
def export(project: Path, fmt: str, audience: str, output: Path | None) -> None:
    """Export the resolved course as data."""
    from hscourse.export.data import course_data

    text = json.dumps(course_data(project, audience), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        from hscourse.output import write_atomic

        write_atomic(output, text.encode())
