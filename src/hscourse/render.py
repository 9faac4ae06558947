"""Stage 4, render: turn a module view into the HTML of one edition, with Jinja2 templates.

Templates are looked up in the project's `templates/` folder first, then in the ones shipped
with hscourse. An override can extend the template it replaces through the `builtin/` prefix:
`{% extends "builtin/handout.html.j2" %}`. Autoescaping is on, undefined variables are errors,
and content is only ever passed to templates as data, never compiled as a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import jinja2

from hscourse import __version__
from hscourse.markdown import render_block, render_inline
from hscourse.model import LETTERS, AUDIENCES, Course, Module, module_view, total_points

PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_templates() -> Path:
    """The templates inside the installed package, or the repository's in a development tree."""
    inside = PACKAGE_DIR / "templates"
    return inside if inside.is_dir() else PACKAGE_DIR.parents[1] / "templates"


@dataclass(frozen=True)
class Edition:
    """One kind of document: who reads it, what it is called, which template draws it."""

    kind: str
    audience: str
    template: str
    title: str

    def path(self, module_id: str) -> str:
        return f"{self.audience}/{module_id}-{self.kind}.pdf"


EDITIONS = (
    Edition("handout", "student", "handout.html.j2", "Handout"),
    Edition("quiz", "student", "quiz.html.j2", "Quiz"),
    Edition("guide", "instructor", "guide.html.j2", "Instructor guide"),
)
assert {e.audience for e in EDITIONS} <= set(AUDIENCES)


@lru_cache(maxsize=8)
def environment(search_path: tuple[Path, ...]) -> jinja2.Environment:
    """A Jinja2 environment over the given folders (first match wins) plus `builtin/`."""
    builtin = jinja2.FileSystemLoader(str(shipped_templates()))
    loader = jinja2.ChoiceLoader([
        jinja2.PrefixLoader({"builtin": builtin}),
        *(jinja2.FileSystemLoader(str(p)) for p in search_path),
        builtin,
    ])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = render_block
    env.filters["md_inline"] = render_inline
    env.filters["letter"] = lambda i: LETTERS[i]
    env.filters["points"] = lambda p: f"{p:g}"
    return env


def template_folders(course: Course, extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """Where templates are searched: extra folders (a term's), then the project's own."""
    folders = [*extra, course.root / "templates"]
    return tuple(p.resolve() for p in folders if p.is_dir())


def render_edition(course: Course, module: Module, edition: Edition,
                   template_dirs: tuple[Path, ...] = ()) -> str:
    """The complete HTML of one edition of one module."""
    view = module_view(module, edition.audience)
    env = environment(template_dirs or template_folders(course))
    template = env.get_template(edition.template)
    return template.render(course=course.settings, module=view, edition=edition,
                           total_points=total_points(view), generator=f"hscourse {__version__}",
                           **context_extras(course))


def context_extras(course: Course) -> dict[str, Any]:
    """Values every template may use besides the course and module."""
    return {"document_date": course.settings.get("date", "")}
