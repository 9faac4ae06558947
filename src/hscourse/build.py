"""The build: the only place that knows the order of the stages.

load and validate (project) -> resolve the term (resolve) -> HTML of every document (render)
-> PDF (pdf, in worker processes, skipping unchanged documents) -> leak check -> dist/ (output).
Nothing is written until every document has rendered and passed the leak check, so a failed
build changes nothing.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

from hscourse import __version__
from hscourse.errors import ContentError, Diagnostic
from hscourse.forms import base_seed, forms_for, key_csv, version_map_csv
from hscourse.model import Course, Module
from hscourse.output import Output, publish, read_manifest, sha256
from hscourse.render import EDITIONS, KEY, READERS, render_edition, render_reader
from hscourse.resolve import load_resolved

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Document:
    """One PDF to make: its manifest entry (without hash yet), its HTML and the module file
    it comes from (for error messages)."""

    entry: Output
    html: str
    source: str
    key: str = ""


@dataclass
class BuildResult:
    dist: Path
    outputs: list[Output]
    rendered: list[str] = field(default_factory=list)  # paths actually rendered this time
    warnings: list[Diagnostic] = field(default_factory=list)  # e.g. items an export skipped


@dataclass(frozen=True)
class Options:
    """How to build: forced rebuild, worker count, term seed, checks."""

    force: bool = False
    jobs: int | None = None
    seed: str | None = None
    leak_check: bool = True
    large_print: bool = False
    strict: bool = False


def _entry(path: str, audience: str, kind: str, module: str | None,
           version: str | None = None) -> Output:
    return Output(path, audience, kind, module or "", "", version)


def module_documents(course: Course, module: Module, seed: str) -> Iterable[Document]:
    """Every PDF of one module: handout, guide, and the quiz (or its forms and their keys)."""
    source = module.source.file
    versions = int(course.settings.get("versions", 1))
    for edition in EDITIONS:
        if edition.kind == "quiz" and versions > 1:
            continue
        yield Document(_entry(edition.path(module.id), edition.audience, edition.kind,
                              module.id), render_edition(course, module, edition), source)
    if versions > 1:
        quiz = next(e for e in EDITIONS if e.kind == "quiz")
        for form in forms_for(course, module, f"{seed}|{module.id}"):
            for edition in (quiz, KEY):
                yield Document(_entry(edition.path(module.id, form.letter), edition.audience,
                                      edition.kind, module.id, form.letter),
                               render_edition(course, module, edition, form), source)


def data_files(course: Course, seed: str) -> dict[Output, bytes]:
    """The non-PDF outputs: per-form key CSVs, the cross-version map."""
    files: dict[Output, bytes] = {}
    if int(course.settings.get("versions", 1)) < 2:
        return files
    for module in course.modules:
        forms = forms_for(course, module, f"{seed}|{module.id}")
        for form in forms:
            data = key_csv(form)
            path = f"instructor/{module.id}-key-{form.letter}.csv"
            files[Output(path, "instructor", "answer-key", module.id, sha256(data),
                         form.letter)] = data
        data = version_map_csv(forms)
        files[Output(f"instructor/{module.id}-versions.csv", "instructor", "version-map",
                     module.id, sha256(data))] = data
    return files


def documents(course: Course, seed: str) -> list[Document]:
    docs = [d for m in course.modules for d in module_documents(course, m, seed)]
    if course.settings.get("reader"):
        docs += [Document(_entry(e.path(None), e.audience, "reader", None),
                          render_reader(course, e), "course.yaml") for e in READERS]
    return docs


def fingerprint(course: Course) -> str:
    """What besides a document's HTML decides its PDF: hscourse, WeasyPrint and the fonts
    installed, and the files in module, term and template folders that HTML may reference."""
    digest = hashlib.sha256(f"hscourse {__version__}".encode())
    from importlib.metadata import version

    digest.update(version("weasyprint").encode())
    for top in ("/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts"):
        for folder, _, _ in sorted(os.walk(top)):
            digest.update(f"{folder}:{os.stat(folder).st_mtime_ns}".encode())
    for folder in (course.root / "modules", course.root / "terms", course.root / "templates"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and path.suffix not in (".yaml", ".yml"):
                digest.update(f"{path}:{sha256(path.read_bytes())}".encode())
    return digest.hexdigest()


def _input_key(html: str, context: str) -> str:
    return hashlib.sha256(f"{context}\n{html}".encode()).hexdigest()


def _reusable(dist: Path, previous: dict[str, Output], doc: Document) -> bytes | None:
    """The PDF a previous build made from the same input, if it is still there intact."""
    old = previous.get(doc.entry.path)
    if old is None or old.input != doc.key:
        return None
    try:
        data = (dist / old.path).read_bytes()
    except OSError:
        return None
    return data if sha256(data) == old.sha256 else None


def _render(course: Course, docs: list[Document], options: Options,
            progress: Progress | None) -> dict[str, bytes]:
    """PDF bytes by output path; every render or leak-check problem raised at once."""
    from hscourse.workers import render_many

    results = render_many(course.root, [(d.entry.path, d.html, d.entry.audience == "student")
                                        for d in docs], options, course, progress)
    if progress:
        progress(len(docs), len(docs), "")
    problems = [replace(p, file=p.file or d.source) for d in docs
                for p in (results[d.entry.path] if isinstance(results[d.entry.path], list) else [])]
    if problems:
        raise ContentError(problems)
    return {path: data for path, data in results.items() if isinstance(data, bytes)}


def render_all(course: Course, options: Options = Options(),
               progress: Progress | None = None) -> dict[Output, bytes]:
    """Every PDF of the course, rendered in memory (nothing is read from or written to dist/)."""
    docs = documents(course, base_seed(course, options.seed))
    pdfs = _render(course, docs, options, progress)
    return {replace(d.entry, sha256=sha256(pdfs[d.entry.path])): pdfs[d.entry.path]
            for d in docs}


def render_pdfs(course: Course, docs: list[Document], dist: Path, options: Options,
                progress: Progress | None) -> tuple[dict[Output, bytes], list[str]]:
    """PDF bytes for every document: reused when unchanged since the last build, else
    rendered (in parallel); also the paths actually rendered."""
    previous = {} if options.force else {o.path: o for o in read_manifest(dist)}
    context = fingerprint(course)
    docs = [replace(d, key=_input_key(d.html, context)) for d in docs]
    reused = {d.entry.path: _reusable(dist, previous, d) for d in docs}
    todo = [d for d in docs if reused[d.entry.path] is None]
    fresh = _render(course, todo, options, progress)
    out: dict[Output, bytes] = {}
    for doc in docs:
        data = reused[doc.entry.path] or fresh[doc.entry.path]
        out[replace(doc.entry, sha256=sha256(data), input=doc.key)] = data
    return out, [d.entry.path for d in todo]


def prepare(root: Path, term: Path | None, options: Options) -> Course:
    """The resolved course, checked for everything a render would trip over."""
    from hscourse.fonts import check_coverage

    course = load_resolved(root, term)
    if options.large_print:
        course.settings["large_print"] = True
    check_coverage(course)
    return course


def build(root: Path, dist: Path | None = None, progress: Progress | None = None,
          term: Path | None = None, options: Options = Options()) -> BuildResult:
    """Build every document of the course at root into dist.

    dist defaults to root/dist, or root/dist/<term-id> for a term, so terms build side by side.
    """
    course = prepare(root, term, options)
    warnings: list[Diagnostic] = []
    default = course.root / "dist" / course.term if course.term else course.root / "dist"
    dist = (dist or default).resolve()
    seed = base_seed(course, options.seed)
    files, rendered = render_pdfs(course, documents(course, seed), dist, options, progress)
    files.update(data_files(course, seed))
    if course.settings.get("exports"):
        from hscourse.export.lms import export_outputs

        exported, warnings = export_outputs(course, options.strict)
        files.update(exported)
    publish(dist, files)
    return BuildResult(dist, sorted(files, key=lambda o: o.path), rendered, warnings)
