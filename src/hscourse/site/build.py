"""The student web edition: dist/[<term>/]site/, made from the same student view as the PDFs.

Per module a handout page and a quiz page (no answers: the student view has none), the images
their Markdown shows copied beside them, and a home page with the course, the schedule and
links to every page and student PDF. Pages are static HTML and CSS (templates/site/): nothing
needs JavaScript to be read. Every page is a student output, so the build's leak check reads it.

With `self_check: true` the quiz pages also carry, per item, the answer and its explanation
behind a "Check your answer" disclosure: answers in the student site by design, which the leak
check allows for those pages only (see `self_check_needles`) and the build announces.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from hscourse.course.assets import MAX_LOCAL_FILE, local_image_paths, read_in_folder
from hscourse.course.forms import module_seed
from hscourse.course.model import Course, Module, module_view, total_points
from hscourse.errors import ContentError, Diagnostic, format_path
from hscourse.output import Output, sha256
from hscourse.render.html import context_extras, render_template, schedule_line, shipped_templates
from hscourse.render.language import N_, language_of

if TYPE_CHECKING:
    from hscourse.render.leakcheck import Needles

SITE = "site"
STATIC = ("site.css", "print.css")
SELF_CHECK_SCRIPT = "self-check.js"
PAGE_KIND, ASSET_KIND, SELF_CHECK_KIND = "site-page", "site-asset", "site-self-check"
PDF_LABELS = {"handout": N_("Handout"), "quiz": N_("Quiz"), "answer-sheet": N_("Answer sheet"),
              "reader": N_("Course reader")}
REVEALED = ("key", "explanation", "answer", "accepted_answers", "model_answer")


@dataclass(frozen=True)
class Page:
    """One page of the site: its kind (handout, quiz), title and file name."""

    kind: str
    title: str
    template: str

    def path(self, module_id: str) -> str:
        return f"{SITE}/{module_id}/{self.kind}.html"


PAGES = (Page("handout", N_("Handout"), "site/handout.html.j2"),
         Page("quiz", N_("Quiz"), "site/quiz.html.j2"))


def wanted(course: Course) -> bool:
    """Whether the course (or term) asks for the web edition."""
    return course.settings.html


def self_check(course: Course) -> bool:
    """Whether quiz pages reveal answers after the student chooses (off by default)."""
    return course.settings.self_check


def self_check_notice(course: Course) -> Diagnostic | None:
    """The notice a build prints when its student site holds answers on purpose."""
    if not (wanted(course) and self_check(course)):
        return None
    return Diagnostic("course.yaml", 0, 0, "self_check", "the web edition's quiz pages show "
                      "each answer and explanation after the student chooses (`self_check: "
                      "true`): do not use these quizzes for marks, and remove the setting to "
                      "build a site without answers")


def _relative(target: str, page: str) -> str:
    """target (a path in dist/) as a link from page (another path in dist/)."""
    up = len(PurePosixPath(page).parent.parts)
    return "../" * up + target


def pdf_links(outputs: Iterable[Output], module_id: str | None, page: str) -> list[dict[str, str]]:
    """The student PDFs of a module (or of the whole course), as links from page."""
    links = []
    rank = {kind: i for i, kind in enumerate(PDF_LABELS)}  # handout, quiz, sheets, reader
    for out in sorted(outputs, key=lambda o: (rank.get(o.kind, len(rank)), o.path)):
        if (out.audience != "student" or not out.path.endswith(".pdf")
                or (out.module or None) != module_id):
            continue
        label = PDF_LABELS.get(out.kind, out.kind.replace("-", " ").capitalize())
        links.append({"href": _relative(out.path, page), "label": label,
                      "form": out.version or ""})
    return links


def self_check_view(course: Course, module: Module, view: dict[str, Any]) -> dict[str, Any]:
    """The student view with each quiz item's answer added back (for self-check pages only):
    the key, explanation, accepted and model answers, and which options are correct with their
    feedback. Nothing else instructor-only (notes, session plans, rubrics) comes back."""
    full = module_view(module, "instructor", module_seed(course, module))
    out = copy.deepcopy(view)
    for item, whole in zip(out.get("quiz", []), full.get("quiz", [])):
        item["reveal"] = {k: whole[k] for k in REVEALED if k in whole}
        if "options" in whole:
            item["reveal"]["options"] = [
                {"correct": bool(o.get("correct")), "feedback": o.get("feedback", "")}
                for o in whole["options"]]
    return out


def module_page(course: Course, module: Module, page: Page, outputs: list[Output]) -> str:
    """The HTML of one page (handout or quiz) of one module."""
    view = module_view(module, "student", module_seed(course, module))
    checking = page.kind == "quiz" and self_check(course)
    if checking:
        view = self_check_view(course, module, view)
    path = page.path(module.id)
    return render_template(
        course, page.template, module=view, page=page, image_base="", self_check=checking,
        total_points=total_points(view), when=schedule_line(course.schedule.get(module.id, {}),
                                                              language_of(course.settings)),
        pdfs=pdf_links(outputs, module.id, path), home="../index.html", css="../",
        pages=[{"kind": p.kind, "title": p.title, "href": f"{p.kind}.html"} for p in PAGES
               if p.kind != "quiz" or module.data.get("quiz")],
        edition={"audience": "student", "kind": page.kind, "title": page.title}, form="", web=True,
        **context_extras(course))


def index_page(course: Course, outputs: list[Output]) -> str:
    """The home page: the course, its schedule and every module's pages and PDFs."""
    entries = []
    for module in course.modules:
        view = module_view(module, "student", module_seed(course, module))
        when = schedule_line(course.schedule.get(module.id, {}), language_of(course.settings))
        entries.append({"module": view, "when": when,
                        "pages": [{"title": p.title, "href": f"{module.id}/{p.kind}.html"}
                                  for p in PAGES if p.kind != "quiz" or view.get("quiz")],
                        "pdfs": pdf_links(outputs, module.id, f"{SITE}/index.html")})
    return render_template(course, "site/index.html.j2", entries=entries, home="index.html",
                           css="", course_pdfs=pdf_links(outputs, None, f"{SITE}/index.html"),
                           edition={"audience": "student", "kind": "index", "title": "Home"},
                           form="", image_base="", **context_extras(course))


def images(course: Course, module: Module) -> dict[Output, bytes]:
    """The images the module's student view shows, copied beside its pages (same names)."""
    folder = course.root / "modules" / module.id
    allow = course.settings.allow_hard_links
    files: dict[Output, bytes] = {}
    shown: dict[str, tuple[object, ...]] = {}
    for where, name in local_image_paths(module_view(module, "student", "")):
        shown.setdefault(name, where)
    pages = {f"{page.kind}.html" for page in PAGES}
    for name, where in sorted(shown.items()):
        line, column = module.source.where(where)
        try:
            if name in pages:
                raise OSError("the web edition has a page of that name beside the module's "
                              "images; rename the image")
            data = read_in_folder(folder, name, MAX_LOCAL_FILE, allow)
        except OSError as exc:
            raise ContentError([Diagnostic(module.source.file, line, column, format_path(where),
                                           f"image {name}: {exc}")]) from None
        files[_output(f"{SITE}/{module.id}/{name}", ASSET_KIND, module.id, data)] = data
    return files


def _output(path: str, kind: str, module: str, data: bytes) -> Output:
    return Output(path, "student", kind, module, sha256(data))


def site_files(course: Course, outputs: Iterable[Output]) -> dict[Output, bytes]:
    """Every file of the web edition, by manifest entry (audience student). outputs are the
    build's other files, for the links to the student PDFs."""
    others = sorted(outputs, key=lambda o: o.path)
    files: dict[Output, bytes] = {}
    for name in STATIC + ((SELF_CHECK_SCRIPT,) if self_check(course) else ()):
        data = (shipped_templates() / "site" / name).read_bytes()
        files[_output(f"{SITE}/{name}", ASSET_KIND, "", data)] = data
    data = index_page(course, others).encode()
    files[_output(f"{SITE}/index.html", PAGE_KIND, "", data)] = data
    for module in course.modules:
        for page in PAGES:
            if page.kind == "quiz" and not module.data.get("quiz"):
                continue
            data = module_page(course, module, page, others).encode()
            kind = SELF_CHECK_KIND if page.kind == "quiz" and self_check(course) else PAGE_KIND
            files[_output(page.path(module.id), kind, module.id, data)] = data
        files.update(images(course, module))
    return files


def self_check_needles(course: Course) -> Needles:
    """What self-check pages must still never show: everything instructor-only except the
    answers they reveal on purpose (instructor notes, session plans, rubrics stay secret)."""
    from hscourse.render.secrets import needles_for

    modules = []
    for module in course.modules:
        data = copy.deepcopy(module.data)
        for item in data.get("quiz", []):
            for key in REVEALED:
                item.pop(key, None)
            for option in item.get("options", []):
                option.pop("correct", None)
                option.pop("feedback", None)
        modules.append(replace(module, data=data))
    return needles_for(replace(course, modules=modules))


def add_site(course: Course, files: dict[Output, bytes], leak_check: bool) -> list[Diagnostic]:
    """Add the web edition to a build's files when the course asks for it; self-check pages
    are leak-checked here (the build checks every other student file). Returns the notice
    about self-check answers, if any."""
    if not wanted(course):
        return []
    site = site_files(course, files)
    checked = {o: d for o, d in site.items() if o.kind == SELF_CHECK_KIND}
    if leak_check and checked:
        from hscourse.render.leakcheck import find_leaks

        problems = find_leaks(self_check_needles(course), checked)
        if problems:
            raise ContentError(problems)
    files.update(site)
    notice = self_check_notice(course)
    return [notice] if notice else []
