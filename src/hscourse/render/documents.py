"""Which documents a course makes, and turning them into bytes.

Per module: a handout, a guide and the quiz (or, with `versions`, its forms and their keys);
per course: the readers and the key CSVs. Each document is HTML until it is rendered; a PDF
whose HTML and environment are unchanged since the last build is taken from dist/ instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from hscourse import stamp
from hscourse.assess.sheets import (
    Sheet,
    class_html,
    layout_json,
    quiz_sheets,
    read_roster,
    sheet_html,
)
from hscourse.course.forms import Form, forms_for, key_csv, module_seed, version_map_csv
from hscourse.course.model import Course, Exam, Module
from hscourse.errors import ContentError, Diagnostic
from hscourse.options import Options
from hscourse.output import Output, read_manifest, sha256
from hscourse.render.html import (
    EDITIONS,
    EXAM_EDITIONS,
    KEY,
    LARGE_PRINT,
    READERS,
    large_print_path,
    render_edition,
    render_exam,
    render_reader,
)
from hscourse.render.printsets import names_entry, names_students, print_set_quizzes
from hscourse.render.workers import Context, Job, Renderer, build_context, worker_count

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Document:
    """One PDF to make: its manifest entry (without hash yet), its HTML and the module file
    it comes from (for error messages)."""

    entry: Output
    html: str
    source: str
    folders: tuple[str, ...]
    key: str = ""


def _entry(path: str, audience: str, kind: str, module: str | None,
           version: str | None = None) -> Output:
    return Output(path, audience, kind, module or "", "", version)


def large_print(course: Course) -> bool:
    """Whether the course asks for the large-print edition (`large_print`, --large-print)."""
    return course.settings.large_print


def in_large_print(doc: Document, html: str) -> Document:
    """The large-print edition of a student document: its own folder, `edition` in the
    manifest."""
    entry = replace(doc.entry, path=large_print_path(doc.entry.path), edition=LARGE_PRINT)
    return replace(doc, entry=entry, html=html)


def asset_folders(course: Course) -> tuple[str, ...]:
    """Folders every document may read besides its modules': the instructor's templates and
    the term's folder (a logo, say)."""
    folders = ["templates"]
    if course.term:
        folders.append(f"terms/{course.term}")
    return tuple(folders)


def module_documents(course: Course, module: Module) -> Iterable[Document]:
    """Every PDF of one module: handout, guide, and the quiz (or its forms and their keys)."""
    source = module.source.file
    folders = (f"modules/{module.id}", *asset_folders(course))
    versions = course.versions(module) if module.data.get("quiz") else 0
    large = large_print(course)
    # The guide first: a module's longest document, it is sent to render first when the
    # workers are already waiting for HTML, as they are in a small build.
    for edition in sorted(EDITIONS, key=lambda e: e.kind != "guide"):
        if edition.kind == "quiz" and versions != 1:
            continue
        doc = Document(_entry(edition.path(module.id), edition.audience, edition.kind,
                              module.id), render_edition(course, module, edition), source,
                       folders)
        yield doc
        if large and edition.audience == "student":
            yield in_large_print(doc, render_edition(course, module, edition, large=True))
    if versions > 1:
        quiz = next(e for e in EDITIONS if e.kind == "quiz")
        for form in forms_for(course, module):
            for edition in (quiz, KEY):
                doc = Document(_entry(edition.path(module.id, form.letter), edition.audience,
                                      edition.kind, module.id, form.letter),
                               render_edition(course, module, edition, form), source, folders)
                yield doc
                if large and edition.audience == "student":
                    yield in_large_print(doc, render_edition(course, module, edition, form,
                                                             large=True))
    yield from sheet_documents(course, module, source, folders)


def sheet_documents(course: Course, module: Module, source: str, folders: tuple[str, ...]
                    ) -> Iterable[Document]:
    for sheet in answer_sheets(course, module):
        yield Document(_entry(f"student/answer-sheets/{sheet.name}.pdf", "student",
                              "answer-sheet", module.id, sheet.form or None),
                       sheet_html(course, sheet), source, folders)


def exam_documents(course: Course, exam: Exam) -> Iterable[Document]:
    """Every PDF of an exam: the exam (or its forms) with a cover page, a key per form, and
    its answer sheets. Its items come from several modules: it may read all their folders."""
    module, source = exam.module, exam.module.source.file
    folders = (*(f"modules/{m.id}" for m in exam.drawn_from), *asset_folders(course))
    versions = course.versions(module)
    forms = forms_for(course, module) if versions > 1 else [single_form(course, module)]
    for form in forms:
        for edition in EXAM_EDITIONS:
            yield Document(_entry(edition.path(module.id, form.letter or None),
                                  edition.audience, edition.kind, module.id, form.letter or None),
                           render_exam(course, exam, edition, form), source, folders)
    yield from sheet_documents(course, module, source, folders)
    students = names_students(course, module) if module in print_set_quizzes(course) else []
    if students:
        yield Document(names_entry(module), render_exam(course, exam, EXAM_EDITIONS[0],
                                                        single_form(course, module), students),
                       source, folders)


def answer_sheets(course: Course, module: Module) -> list[Sheet]:
    """The bubble sheets of a quiz's forms, when the course (or the exam) asks for them."""
    if not course.quiz_setting(module, "answer_sheets") or not module.data.get("quiz"):
        return []
    return quiz_sheets(course, module)


def sheet_layouts(course: Course) -> dict[Output, bytes]:
    """Beside each answer sheet, its layout: where every bubble and marker is."""
    files: dict[Output, bytes] = {}
    for module in course.quizzes():
        for sheet in answer_sheets(course, module):
            data = layout_json(sheet)
            files[Output(f"student/answer-sheets/{sheet.name}-layout.json", "student",
                         "answer-sheet-layout", module.id, sha256(data),
                         sheet.form or None)] = data
    return files


def responses_templates(course: Course, module: Module) -> dict[Output, bytes]:
    """An empty responses CSV per quiz (and per form), to type answers into for `grade`."""
    from hscourse.assess.responses import template_csv

    questions = len(module.data.get("quiz", []))
    if not questions:
        return {}
    letters: list[str | None]
    if course.versions(module) < 2:
        path, letters = f"instructor/{module.id}-responses-template.csv", [None]
    else:
        forms = forms_for(course, module)
        questions = len(forms[0].module.data.get("quiz", []))
        path, letters = "", [form.letter for form in forms]
    files = {}
    for letter in letters:
        data = template_csv(questions)
        name = path or f"instructor/{module.id}-responses-template-{letter}.csv"
        files[Output(name, "instructor", "responses-template", module.id, sha256(data),
                     letter)] = data
    return files


def data_files(course: Course) -> dict[Output, bytes]:
    """The non-PDF outputs: responses templates, answer-sheet layouts, per-form key CSVs, the
    cross-version map."""
    files = sheet_layouts(course)
    for module in course.quizzes():
        files.update(responses_templates(course, module))
        files.update(key_files(course, module))
    return files


def key_files(course: Course, module: Module) -> dict[Output, bytes]:
    """Per form of a quiz, its key as CSV, and the cross-form map; an exam printed in one
    version gets its key CSV too (a module's single quiz has its key in the guide)."""
    files: dict[Output, bytes] = {}
    exam = course.exam(module.id) is not None
    if not module.data.get("quiz") or (course.versions(module) < 2 and not exam):
        return files
    forms = forms_for(course, module) if course.versions(module) > 1 else [
        single_form(course, module)]
    kind = "exam-key" if exam else "answer-key"
    for form in forms:
        data = key_csv(form)
        path = "-".join(p for p in (f"instructor/{module.id}-key", form.letter) if p) + ".csv"
        files[Output(path, "instructor", kind, module.id, sha256(data),
                     form.letter or None)] = data
    if len(forms) > 1:
        data = version_map_csv(forms)
        files[Output(f"instructor/{module.id}-versions.csv", "instructor", "version-map",
                     module.id, sha256(data))] = data
    return files


def single_form(course: Course, module: Module) -> Form:
    """The one printed version of a quiz: unshuffled, with no letter."""
    return Form("", module, module_seed(course, module))


def class_sheets(course: Course) -> Iterable[Document]:
    """Per quiz, every student's personalised answer sheet in one print-ready PDF. It holds
    the roster's names and ids, so it is an instructor output (private), not a student one."""
    roster = read_roster(course)
    if roster is None:
        raise ContentError([Diagnostic("course.yaml", 0, 0, "roster", "personalised answer "
                                       "sheets need a roster: a CSV with student_id and name")])
    folders = (*(f"modules/{m.id}" for m in course.modules), *asset_folders(course))
    for module in course.quizzes():
        sheets = answer_sheets(course, module)
        if sheets:
            yield Document(_entry(f"instructor/answer-sheets/{module.id}-class.pdf",
                                  "instructor", "answer-sheet", module.id),
                           class_html(course, sheets, roster), module.source.file, folders)


def documents(course: Course, personalised: bool = False) -> list[Document]:
    """Every PDF of the course, with its HTML."""
    return list(iter_documents(course, personalised))


def iter_documents(course: Course, personalised: bool = False, edited_first: bool = False
                   ) -> Iterator[Document]:
    """documents, each made when asked for (a build renders one while making the next);
    with edited_first, the module saved last first (modules_edited_first)."""
    for module in modules_edited_first(course) if edited_first else course.modules:
        yield from module_documents(course, module)
    for exam in course.exams:
        yield from exam_documents(course, exam)
    if personalised:
        yield from class_sheets(course)
    if course.settings.reader:
        folders = (*(f"modules/{m.id}" for m in course.modules), *asset_folders(course))
        for edition in READERS:
            doc = Document(_entry(edition.path(None), edition.audience, "reader", None),
                           render_reader(course, edition), "course.yaml", folders)
            yield doc
            if large_print(course) and edition.audience == "student":
                yield in_large_print(doc, render_reader(course, edition, large=True))
    yield from review_documents(course)


def modules_edited_first(course: Course) -> list[Module]:
    """The course's modules, the one whose file was saved last first (ties in course order).
    An incremental build makes every document's HTML again to see which changed; this way
    the edited module's documents are sent to render first, instead of after the HTML of the
    modules before it (what they hold does not depend on the order they are made in)."""
    def saved(module: Module) -> float:
        try:
            return (course.root / module.source.file).stat().st_mtime
        except OSError:
            return 0.0

    return sorted(course.modules, key=saved, reverse=True)


def review_documents(course: Course) -> list[Document]:
    """instructor/review.pdf when `review: true` or `review: {pdf: true}` asks for it."""
    from hscourse.assess.review import review_course
    from hscourse.assess.review.core import settings_for

    if not settings_for(course).pdf:
        return []
    from hscourse.assess.review.document import review_html

    return [Document(_entry("instructor/review.pdf", "instructor", "review", None),
                     review_html(course, review_course(course)), "course.yaml",
                     asset_folders(course))]


def fingerprint(course: Course) -> str:
    """What besides a document's HTML decides its PDF: the environment (hscourse, WeasyPrint,
    fonts) and the files in module, term and template folders that HTML may reference (YAML
    and templates are left out: what they contribute is in the HTML itself). Paths count
    relative to the course, so a course folder moved or copied elsewhere is not rendered again."""
    digest = hashlib.sha256(stamp.environment().encode())
    for folder in (course.root / "modules", course.root / "terms", course.root / "templates"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and path.suffix not in (".yaml", ".yml", ".j2"):
                name = path.relative_to(course.root).as_posix()
                digest.update(f"{name}:{sha256(path.read_bytes())}".encode())
    return digest.hexdigest()


def _input_key(html: str, context: str) -> str:
    return hashlib.sha256(f"{context}\n{html}".encode()).hexdigest()


def _reusable(dist: Path, previous: dict[str, Output], doc: Document, leak_check: bool
              ) -> bytes | None:
    """The PDF a previous build made from the same input, if it is still there intact and,
    for a student PDF when the leak check is on, it passed the leak check when it was made."""
    old = previous.get(doc.entry.path)
    if old is None or old.input != doc.key:
        return None
    if leak_check and doc.entry.audience == "student" and not old.checked:
        return None
    try:
        data = (dist / old.path).read_bytes()
    except OSError:
        return None
    return data if sha256(data) == old.sha256 else None


def _problems(result: bytes | list[Diagnostic]) -> list[Diagnostic]:
    return result if isinstance(result, list) else []


def _render(docs: Iterable[Document], renderer: Renderer, context: Context,
            progress: Progress | None) -> dict[str, bytes]:
    """PDF bytes by output path; every render or leak-check problem raised at once."""
    made: list[Document] = []

    def jobs() -> Iterator[Job]:
        for doc in docs:
            made.append(doc)
            yield Job(doc.entry.path, doc.html, doc.entry.audience == "student", doc.folders)

    results = renderer.render(jobs(), context, progress)
    if progress:
        progress(len(made), len(made), "")
    problems = [replace(p, file=p.file or d.source) for d in made
                for p in _problems(results[d.entry.path])]
    if problems:
        raise ContentError(problems)
    return {path: data for path, data in results.items() if isinstance(data, bytes)}


def render_all(course: Course, options: Options | None = None, term: Path | None = None,
               progress: Progress | None = None) -> dict[Output, bytes]:
    """Every PDF of the course, rendered in memory (nothing is read from or written to dist/)."""
    options = options or Options()
    if options.seed is not None:
        course.set_flags(seed=options.seed)
    docs = documents(course)
    context = build_context(course, term, options.leak_check)
    with Renderer(worker_count(options.jobs)) as renderer:
        pdfs = _render(docs, renderer, context, progress)
    return {replace(d.entry, sha256=sha256(pdfs[d.entry.path])): pdfs[d.entry.path]
            for d in docs}


def render_pdfs(course: Course, docs: Iterable[Document], dist: Path, options: Options,
                renderer: Renderer, context: Context, progress: Progress | None = None
                ) -> tuple[dict[Output, bytes], list[str]]:
    """PDF bytes for every document: reused when unchanged since the last build, else
    rendered (in parallel, each as soon as its HTML is made); also the paths rendered."""
    previous = {} if options.force else {o.path: o for o in read_manifest(dist)}
    environment = fingerprint(course)
    keyed: list[Document] = []
    reused: dict[str, bytes | None] = {}

    def todo() -> Iterator[Document]:
        for doc in docs:
            doc = replace(doc, key=_input_key(doc.html, environment))
            keyed.append(doc)
            reused[doc.entry.path] = _reusable(dist, previous, doc, options.leak_check)
            if reused[doc.entry.path] is None:
                yield doc

    fresh = _render(todo(), renderer, context, progress)
    out: dict[Output, bytes] = {}
    for doc in keyed:
        data = reused[doc.entry.path] or fresh[doc.entry.path]
        checked = True if options.leak_check and doc.entry.audience == "student" else None
        out[replace(doc.entry, sha256=sha256(data), input=doc.key, checked=checked)] = data
    return out, [path for path, data in reused.items() if data is None]
