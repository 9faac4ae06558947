"""Stage 4, render: turn a module view into the HTML of one edition, with Jinja2 templates.

Templates are looked up in the project's `templates/` folder first, then in the ones shipped
with hscourse. An override can extend the template it replaces through the `builtin/` prefix:
`{% extends "builtin/handout.html.j2" %}`. Autoescaping is on, undefined variables are errors,
and content is only ever passed to templates as data, never compiled as a template.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import jinja2
from markupsafe import Markup

from hscourse import __version__
from hscourse.fonts import template_fonts
from hscourse.forms import Form, module_seed
from hscourse.markdown import render_block, render_inline
from hscourse.model import (LETTERS, AUDIENCES, Course, Module, module_view, public_settings,
                            total_points)

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
    slug: str = ""

    def path(self, module_id: str | None, version: str | None = None) -> str:
        name = "-".join(p for p in (module_id, self.slug or self.kind, version) if p)
        return f"{self.audience}/{name}.pdf"


EDITIONS = (
    Edition("handout", "student", "handout.html.j2", "Handout"),
    Edition("quiz", "student", "quiz.html.j2", "Quiz"),
    Edition("guide", "instructor", "guide.html.j2", "Instructor guide"),
)
KEY = Edition("answer-key", "instructor", "key.html.j2", "Answer key", "key")
READERS = (
    Edition("reader", "student", "reader.html.j2", "Course reader"),
    Edition("reader", "instructor", "reader.html.j2", "Course reader for instructors"),
)
READER_BODY = {"student": "_handout_body.html.j2", "instructor": "_guide_body.html.j2"}
assert {e.audience for e in EDITIONS} <= set(AUDIENCES)


def _module_relative(render: Callable[[str, str], Markup]) -> Callable[..., Markup]:
    """A filter rendering Markdown with images relative to the current module's folder."""

    @jinja2.pass_context
    def markdown_filter(context: jinja2.runtime.Context, text: str) -> Markup:
        module = context.get("module")
        return render(text, f"modules/{module['id']}/" if module else "")

    return markdown_filter


def environment(search_path: tuple[Path, ...]) -> jinja2.Environment:
    """A Jinja2 environment over the given folders (first match wins) plus `builtin/`.

    Environments are reused (compiled templates are cached in them) while the folders hold
    the same files: adding an override must not find an older cached built-in template."""
    listing = tuple((p, tuple(sorted((f.name, f.stat().st_mtime_ns) for f in p.iterdir())))
                    for p in search_path)
    return _environment(search_path, listing)


@lru_cache(maxsize=8)
def _environment(search_path: tuple[Path, ...], listing: object) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(str(shipped_templates()))
    loader = jinja2.ChoiceLoader([
        jinja2.PrefixLoader({"builtin": builtin}),
        *(jinja2.FileSystemLoader(str(p)) for p in search_path),
        builtin,
    ])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = _module_relative(render_block)
    env.filters["md_inline"] = _module_relative(render_inline)
    env.filters["letter"] = lambda i: LETTERS[i]
    env.filters["points"] = lambda p: f"{p:g}"
    env.filters["type_label"] = type_label
    env.filters["page_range"] = page_range
    return env


TYPE_LABELS = {"true_false": "true/false"}


def type_label(kind: str) -> str:
    """How an item type is named in print: 'single choice', 'true/false'."""
    return TYPE_LABELS.get(kind, kind.replace("_", " "))


def page_range(pages: str) -> str:
    """'60–67' -> 'pp. 60–67', '12' -> 'p. 12'; words ('paragraphs 138–139') stay as written."""
    if not pages[:1].isdigit():
        return pages
    return ("pp. " if any(c in pages for c in "–-,") else "p. ") + pages


def template_folders(course: Course) -> tuple[Path, ...]:
    """Where templates are searched: the term's own folder, then the project's."""
    folders = [*course.template_dirs, course.root / "templates"]
    return tuple(p.resolve() for p in folders if p.is_dir())


def render_edition(course: Course, module: Module, edition: Edition,
                   form: Form | None = None) -> str:
    """The complete HTML of one edition of one module (or of one quiz form and its key)."""
    view = module_view(form.module if form else module, edition.audience,
                       form.seed if form else module_seed(course, module))
    template = environment(template_folders(course)).get_template(edition.template)
    return template.render(module=view, edition=edition, total_points=total_points(view),
                           when=schedule_line(course.schedule.get(module.id, {})),
                           form=form.letter if form else "", **context_extras(course))


def render_reader(course: Course, edition: Edition) -> str:
    """One document with every module of the course, for one audience."""
    entries = []
    for module in course.modules:
        view = module_view(module, edition.audience, module_seed(course, module))
        entries.append({"module": view, "total_points": total_points(view),
                        "when": schedule_line(course.schedule.get(module.id, {}))})
    template = environment(template_folders(course)).get_template(edition.template)
    return template.render(entries=entries, edition=edition, body=READER_BODY[edition.audience],
                           form="", **context_extras(course))


def schedule_line(entry: dict[str, Any]) -> str:
    """'Week 3 · 25 January 2027' from a term's schedule entry ('' when none)."""
    parts = []
    if "week" in entry:
        parts.append(f"Week {entry['week']}")
    if "date" in entry:
        day = datetime.date.fromisoformat(entry["date"])
        parts.append(f"{day.day} {day:%B %Y}")
    return " · ".join(parts)


def context_extras(course: Course) -> dict[str, Any]:
    """Values every template may use besides the course and module."""
    return {"course": public_settings(course.settings), "generator": f"hscourse {__version__}",
            "term_folder": f"terms/{course.term}" if course.term else "",
            "document_date": course.settings.get("date", ""),
            "large_print": bool(course.settings.get("large_print", False)),
            "fonts": template_fonts()}
