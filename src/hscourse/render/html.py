"""Stage 4, render: turn a module view into the HTML of one edition, with Jinja2 templates.

Templates are looked up in the project's `templates/` folder first, then in the ones shipped
with hscourse. An override can extend the template it replaces through the `builtin/` prefix:
`{% extends "builtin/handout.html.j2" %}`. Templates run in Jinja2's immutable sandbox (no
attribute starting with `_`, no method that changes data, no Python globals: an override cannot
run commands, read files or walk to objects it was not given); autoescaping is on, undefined
variables are errors, and content is only ever passed to templates as data, never compiled as a
template. A student edition's template is given the student view only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from hscourse import __version__
from hscourse.course.forms import Form, module_seed
from hscourse.course.model import (
    AUDIENCES,
    LETTERS,
    Course,
    Exam,
    Module,
    module_view,
    total_points,
)
from hscourse.errors import ContentError, Diagnostic
from hscourse.render.fonts import script_class, template_fonts
from hscourse.render.language import (
    N_,
    SOURCE_LANGUAGE,
    Language,
    css_string,
    language_of,
    latin_words_marked,
    template_gettext,
)
from hscourse.render.markdown import render_block, render_inline, render_run_in
from hscourse.render.shipped import shipped_templates


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
    Edition("handout", "student", "handout.html.j2", N_("Handout")),
    Edition("quiz", "student", "quiz.html.j2", N_("Quiz")),
    Edition("guide", "instructor", "guide.html.j2", N_("Instructor guide")),
)
KEY = Edition("answer-key", "instructor", "key.html.j2", N_("Answer key"), "key")


@dataclass(frozen=True)
class ExamEdition(Edition):
    """An exam's edition: student/exam-<id>[-A].pdf, instructor/exam-<id>-key[-A].pdf."""

    def path(self, module_id: str | None, version: str | None = None) -> str:
        name = "-".join(p for p in (module_id, self.slug, version) if p)
        return f"{self.audience}/{name}.pdf"


EXAM_EDITIONS = (
    ExamEdition("exam", "student", "exam.html.j2", N_("Exam")),
    ExamEdition("exam-key", "instructor", "exam-key.html.j2", N_("Answer key"), "key"),
)
READERS = (
    Edition("reader", "student", "reader.html.j2", N_("Course reader")),
    Edition("reader", "instructor", "reader.html.j2", N_("Course reader for instructors")),
)
READER_BODY = {"student": "_handout_body.html.j2", "instructor": "_guide_body.html.j2"}
LARGE_PRINT = "large-print"  # the large-print edition's name and its folder in dist/


def large_print_path(path: str) -> str:
    """Where the large-print edition of a student PDF goes: student/x.pdf -> large-print/x.pdf."""
    return f"{LARGE_PRINT}/{path.removeprefix('student/')}"
assert {e.audience for e in EDITIONS} <= set(AUDIENCES)


Rendered = Union[Markup, tuple[Markup, Markup]]


def _module_relative(render: Callable[[str, str], Rendered]) -> Callable[..., Rendered]:
    """A filter rendering Markdown with images relative to the current module's folder (or
    to `image_base` when the template is given one: the web edition's pages sit beside their
    images)."""

    @jinja2.pass_context
    def markdown_filter(context: jinja2.runtime.Context, text: str) -> Rendered:
        base = context.get("image_base")
        if base is None:
            module = context.get("module")
            base = f"modules/{module['id']}/" if module else ""
        html = render(text, base)
        if not _language(context).is_han:
            return html
        if isinstance(html, tuple):
            return latin_words_marked(html[0]), latin_words_marked(html[1])
        return latin_words_marked(html)

    return markdown_filter


def environment(search_path: tuple[Path, ...]) -> jinja2.Environment:
    """A Jinja2 environment over the given folders (first match wins) plus `builtin/`.

    Environments are reused (compiled templates are cached in them) while the folders hold
    the same files: adding an override must not find an older cached built-in template."""
    listing = tuple((p, tuple(sorted((f.name, f.stat().st_mtime_ns) for f in p.iterdir())))
                    for p in search_path)
    return _environment(search_path, listing)


@lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja's cache of compiled templates, in its private per-user folder (created 0700 and
    checked to be this user's; our own file names). Compiling the templates cost every new
    process about 0.1 s of CPU. A cached template is used only while its
    source is unchanged (Jinja compares a checksum); without a safe folder, no cache."""
    try:
        return jinja2.FileSystemBytecodeCache(pattern="hscourse-%s.cache")
    except (RuntimeError, OSError):
        return None


@lru_cache(maxsize=8)
def _environment(search_path: tuple[Path, ...], listing: object) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(str(shipped_templates()))
    loader = jinja2.ChoiceLoader([
        jinja2.PrefixLoader({"builtin": builtin}),
        *(jinja2.FileSystemLoader(str(p)) for p in search_path),
        builtin,
    ])
    env = ImmutableSandboxedEnvironment(
        loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, extensions=["jinja2.ext.i18n"],
        bytecode_cache=_bytecode_cache())
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # renders pass their own
    env.filters["md"] = _module_relative(render_block)
    env.filters["md_inline"] = _module_relative(render_inline)
    env.filters["md_run_in"] = _module_relative(render_run_in)
    env.filters["letter"] = lambda i: LETTERS[i]
    env.filters["points"] = jinja2.pass_context(lambda ctx, p: _language(ctx).number(p))
    env.filters["type_label"] = type_label
    env.filters["page_range"] = jinja2.pass_context(lambda ctx, p: page_range(p, _language(ctx)))
    env.filters["long_date"] = jinja2.pass_context(lambda ctx, iso: _language(ctx).date(iso))
    env.filters["css_content"] = lambda text: Markup(css_string(text, CSS_COUNTERS))
    return env


def _language(context: jinja2.runtime.Context) -> Language:
    found = context.get("lang")
    return found if isinstance(found, Language) else Language(SOURCE_LANGUAGE)


CSS_COUNTERS = {"page": "counter(page)", "pages": "counter(pages)"}
TYPE_LABELS = {"single_choice": N_("single choice"), "multiple_answer": N_("multiple answer"),
               "true_false": N_("true/false"), "short_answer": N_("short answer"),
               "essay": N_("essay"), "matching": N_("matching"), "ordering": N_("ordering")}


def type_label(kind: str) -> str:
    """How an item type is named in print (in English: templates translate it)."""
    return TYPE_LABELS.get(kind, kind.replace("_", " "))


def page_range(pages: str, language: Language) -> str:
    """'60–67' -> 'pp. 60–67', '12' -> 'p. 12'; words ('paragraphs 138–139') stay as written."""
    if not pages[:1].isdigit():
        return pages
    several = any(c in pages for c in "–-,")
    return (language.gettext("pp. %(pages)s") if several else
            language.gettext("p. %(pages)s")) % {"pages": pages}


def template_folders(course: Course) -> tuple[Path, ...]:
    """Where templates are searched: the term's own folder, then the project's."""
    folders = [*course.template_dirs, course.root / "templates"]
    return tuple(p.resolve() for p in folders if p.is_dir())


def render_edition(course: Course, module: Module, edition: Edition,
                   form: Form | None = None, large: bool = False) -> str:
    """The complete HTML of one edition of one module (or of one quiz form and its key), in
    large print when large (student editions only)."""
    view = module_view(form.module if form else module, edition.audience,
                       form.seed if form else module_seed(course, module))
    extras = {**context_extras(course), "large_print": large}
    return render_template(course, edition.template, module=view, edition=edition,
                           total_points=total_points(view),
                           when=schedule_line(course.schedule.get(module.id, {}),
                                              language_of(course.settings)),
                           form=form.letter if form else "", **extras)


def render_exam(course: Course, exam: Exam, edition: Edition, form: Form,
                students: list[dict[str, Any]] | None = None) -> str:
    """The HTML of an exam form (its cover page and questions) or of its key; with students,
    of a print set's name pages (one cover per student, only the name and ID visible)."""
    view = module_view(form.module, edition.audience, form.seed)
    total = total_points(view)
    parts = [{"title": section,
              "questions": sum(1 for i in view["quiz"] if i["section"] == section),
              "points": sum(i["points"] for i in view["quiz"] if i["section"] == section)}
             for section in dict.fromkeys(i["section"] for i in view["quiz"])]
    settings = {k: exam.settings[k] for k in ("title", "instructions", "duration", "date")
                if k in exam.settings}
    return render_template(course, edition.template, module=view, edition=edition,
                           total_points=total, exam={**settings, "parts": parts},
                           when=language_of(course.settings).date(exam.settings["date"])
                           if "date" in exam.settings
                           else "", form=form.letter, **context_extras(course),
                           **({"students": students} if students is not None else {}))


def render_reader(course: Course, edition: Edition, large: bool = False) -> str:
    """One document with every module of the course, for one audience."""
    entries = []
    for module in course.modules:
        view = module_view(module, edition.audience, module_seed(course, module))
        entries.append({"module": view, "total_points": total_points(view),
                        "when": schedule_line(course.schedule.get(module.id, {}),
                                             language_of(course.settings))})
    extras = {**context_extras(course), "large_print": large}
    return render_template(course, edition.template, entries=entries, edition=edition,
                           body=READER_BODY[edition.audience], form="", **extras)


def render_template(owner: Course, name: str, **values: Any) -> str:
    """Render a template of the owner course, turning any template error into a ContentError
    naming the template file and line (never a traceback)."""
    try:
        return environment(template_folders(owner)).get_template(name).render(**values)
    except jinja2.TemplateError as exc:
        raise ContentError([template_diagnostic(exc, owner.root)]) from None


def template_diagnostic(exc: jinja2.TemplateError, root: Path) -> Diagnostic:
    """Where a template failed (its file and line) and why, with what to do."""
    filename, line = getattr(exc, "filename", None), getattr(exc, "lineno", None) or 0
    trace = exc.__traceback__
    while trace is not None:  # Jinja rewrites frames to point at template lines
        if trace.tb_frame.f_code.co_filename.endswith(".j2"):
            filename, line = trace.tb_frame.f_code.co_filename, trace.tb_lineno
        trace = trace.tb_next
    shown = str(filename or name_of(exc))
    if Path(shown).is_absolute() and Path(shown).is_relative_to(root):
        shown = Path(shown).relative_to(root).as_posix()
    elif Path(shown).is_absolute():
        shown = f"(built-in) {Path(shown).name}"
    if isinstance(exc, SecurityError):
        why = (f"{exc}: templates run in a sandbox and may use only the values they are given "
               "(course, module, edition...)")
    else:
        why = f"template error: {exc}"
    return Diagnostic(shown, line, 0, "", why)


def name_of(exc: jinja2.TemplateError) -> str:
    return getattr(exc, "name", None) or "a template"


def schedule_line(entry: dict[str, Any], language: Language) -> str:
    """'Week 3 · 25 January 2027' from a term's schedule entry ('' when none)."""
    parts = []
    if "week" in entry:
        parts.append(language.gettext("Week %(week)s") % {"week": entry["week"]})
    if "date" in entry:
        parts.append(language.date(entry["date"]))
    return " · ".join(parts)


def context_extras(course: Course) -> dict[str, Any]:
    """Values every template may use besides the course and module."""
    language = language_of(course.settings)
    gettext = template_gettext(language.gettext)
    return {"course": course.settings.public(), "generator": f"hscourse {__version__}",
            "lang": language, "_": gettext, "gettext": gettext,
            "ngettext": template_gettext(language.ngettext),
            "term_folder": f"terms/{course.term}" if course.term else "",
            "document_date": course.settings.date or "",
            "large_print": False,  # render_edition sets it for the large-print edition
            "fonts": template_fonts(course.settings.language), "script_class": script_class}
