"""Shared fixtures: the repository, the example course, and PDFs built once per session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from hscourse.build import BuildResult, Options, build
from hscourse.render.workers import import_renderer

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "tests" / "fixtures" / "course"


def pdf_text(path: Path) -> str:
    """What a reader sees: the text of every page, by PDFium and by poppler's pdftotext (PDFium
    reads a page's text some twenty times faster than pypdf)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        by_pdfium = "\n".join(document[i].get_textpage().get_text_range()
                               for i in range(len(document)))
    finally:
        document.close()
    by_poppler = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                                capture_output=True, text=True).stdout
    return by_pdfium + "\n" + by_poppler


def body_text(path: Path) -> str:
    """The running text as a reader follows it across pages: poppler's text without the page
    furniture (the two running-head lines atop every page after the first, "Page X of Y")."""
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = []
    for number, page in enumerate(text.split("\f")):
        lines = [line for line in page.splitlines()
                 if line.strip() and not re.fullmatch(r"Page \d+ of \d+", line.strip())]
        pages.append("\n".join(lines[2:] if number else lines))
    return "\n".join(pages)


def squash(text: str) -> str:
    """Compare text as a reader would: PDF text wraps and hyphenates lines anywhere, so
    whitespace and hyphens are dropped on both sides."""
    return "".join(text.split()).replace("-", "").replace("\u00ad", "")


def replace_once(path: Path, old: str, new: str) -> None:
    """Edit a copied fixture file; fail loudly if the fixture no longer holds old."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def copy_course(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("dist"))
    return target


# The suite runs its test files in two processes (pytest-xdist, `make test`), so each build
# renders in its own process rather than starting render workers of its own; the tests of
# parallel rendering ask for --jobs 2 themselves.
os.environ.setdefault("HSCOURSE_JOBS", "1")

# Test files that render PDFs or build whole courses: `make test-fast` leaves them out.
SLOW_FILES = {
    "test_accessibility.py", "test_atomic.py", "test_editions.py", "test_incremental.py",
    "test_reproducible.py", "test_wheel.py", "test_security_limits.py", "test_security_outputs.py",
    "test_security_templates.py", "test_security_files.py", "test_terms.py", "test_grade.py",
    "test_review_output.py", "test_security_leaks.py", "test_security_keys.py", "test_cli.py",
    "test_sheets.py", "test_scan.py", "test_tagging.py", "test_verapdf.py", "test_exams.py",
    "test_forms.py", "test_analysis.py", "test_site.py",
}


@pytest.fixture(scope="session", autouse=True)
def renderer_imported() -> None:
    """Import what rendering needs once in each process that runs tests: the workers of every
    build a test runs are forked from it and share the import, instead of each paying about
    a second to import WeasyPrint again."""
    import_renderer()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder every pytest-xdist worker of this run sees (the session's parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def shipped_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The shipped course, built once per run for every test that reads its PDFs: the first
    worker renders it, the other waits for it and finds it up to date (a no-op build)."""
    dist = shared_folder(tmp_path_factory) / "shipped-dist"
    with run_lock(dist):  # the other worker waits here: let it use both CPUs
        return build(REPO, dist=dist, options=Options(jobs=2))


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Held by one pytest-xdist worker of this run at a time (path + ".lock"): the other
    waits here."""
    import fcntl

    with open(str(path) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def shared_build(tmp_path_factory: pytest.TempPathFactory, name: str,
                 make: Callable[[Path], Path], term: str | None = None,
                 options: Options | None = None) -> tuple[Path, BuildResult]:
    """A course made by make() and built once per run, whichever pytest-xdist worker asks
    first: the other waits for it, then finds it up to date (a no-op build). Tests read it
    and copy it; none may change it."""
    root = shared_folder(tmp_path_factory) / f"shared-{name}"
    with run_lock(root):
        if not root.exists():
            make(root)
        return root, build(root, term=root / term if term else None,
                           options=options or Options())


def shared_files(tmp_path_factory: pytest.TempPathFactory, name: str,
                 make: Callable[[Path], object]) -> Path:
    """A folder make() fills once per run, whichever pytest-xdist worker asks first (the
    other waits for it), for files several test files read, such as PDFs that cost seconds
    each to render. A folder whose make() failed is made again (it has no ".done" marker)
    rather than read half-made. Tests read the files; none may change them."""
    folder = shared_folder(tmp_path_factory) / f"shared-{name}"
    done = folder.with_name(folder.name + ".done")
    with run_lock(folder):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


def prebuilt(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Path],
             options: Options) -> Path:
    """A course made by make() and built once per run; each test gets a copy (dist/
    included, times kept), so its first build is a no-op instead of a full render."""
    return shared_build(tmp_path_factory, f"prebuilt-{name}", make, options=options)[0]


def prebuilt_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example course built once per run, for tests that copy it (copy_built) and build
    again: their build renders only what they change."""
    return prebuilt(tmp_path_factory, "example", lambda root: copy_course(EXAMPLE, root),
                    Options())


def copy_built(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, copy_function=shutil.copy2)
    return target


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The example course built once per run (test_editions reads it; test_reproducible
    compares a build of its own with it)."""
    dist = shared_folder(tmp_path_factory) / "example-dist"
    with run_lock(dist):
        return build(EXAMPLE, dist=dist)


@pytest.fixture
def example_course(tmp_path: Path) -> Path:
    """A writable copy of the example course."""
    return copy_course(EXAMPLE, tmp_path / "course")


STIMULUS = """stimuli:
  - id: src-a
    title: Source A
    text: STIMULUS-TEXT Lagash and Umma fought over water about 4,500 years ago.
"""
LINKED = """  - id: ex-s1
    type: true_false
    stimulus: src-a
    prompt: LINKED-ONE Source A names two city-states.
    answer: true
    points: 1
    explanation: Source A names Lagash and Umma.
  - id: ex-s2
    type: true_false
    stimulus: src-a
    prompt: LINKED-TWO Source A dates the war to 1960.
    answer: false
    points: 1
    explanation: It says about 4,500 years ago.
instructor_notes:
"""


def forms_course(root: Path, versions: int = 3, extra: str = "") -> Path:
    """The example course at root with a linked set (two items on one stimulus) and a term,
    terms/forms.yaml, that prints `versions` quiz forms and both readers; the term file."""
    module = root / "modules/example/module.yaml"
    text = module.read_text(encoding="utf-8").replace("instructor_notes:\n", LINKED, 1)
    module.write_text(text + STIMULUS, encoding="utf-8")
    (root / "terms").mkdir(exist_ok=True)
    (root / "terms/forms.yaml").write_text(f"term: Forms\nversions: {versions}\nreader: true\n"
                                           f"{extra}", encoding="utf-8")
    return root / "terms/forms.yaml"


@pytest.fixture(scope="session")
def forms_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    """The forms course (three quiz forms with their keys, both readers), built once per run:
    test_forms checks it, test_verapdf validates its quiz form, key and readers."""
    def make(root: Path) -> Path:
        forms_course(copy_course(EXAMPLE, root))
        return root

    return shared_build(tmp_path_factory, "forms", make, "terms/forms.yaml")


@pytest.fixture(scope="session")
def example_editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example course's regular quiz, its large-print handout and quiz and its fillable
    quiz, rendered once per run as a build renders them, by path: test_accessibility measures
    them, test_verapdf validates them."""
    from hscourse.course.project import load_course
    from hscourse.render.documents import documents
    from hscourse.render.pdf import write_pdf

    def render(folder: Path) -> None:
        course = load_course(EXAMPLE)
        course.settings = course.settings.changed(large_print=True)
        wanted = [d for d in documents(course)
                  if d.entry.edition or d.entry.path == "student/example-quiz.pdf"]
        course.settings = course.settings.changed(large_print=False, fillable=True)
        wanted += [replace(d, entry=replace(d.entry, path="student/example-fillable-quiz.pdf"))
                   for d in documents(course) if d.entry.kind == "quiz"]
        for doc in wanted:
            path = folder / doc.entry.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(write_pdf(doc.html, course.root, date=course.settings.date,
                                       folders=doc.folders))

    folder = shared_files(tmp_path_factory, "example-editions", render)
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*.pdf"))}


@pytest.fixture(scope="session")
def review_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The review PDF of the review fixture's short second module (rendering costs seconds a
    page), made once per run by `hscourse review --pdf`: test_review_output reads it,
    test_verapdf validates it."""
    from click.testing import CliRunner

    from hscourse.cli import main

    def make(folder: Path) -> None:
        root = copy_course(REPO / "tests" / "fixtures" / "review", folder / "course")
        replace_once(root / "course.yaml", "  - labelled\n", "")
        replace_once(root / "modules/second/module.yaml", "    level: remember\n", "")
        result = CliRunner().invoke(main, ["review", "-p", str(root), "--pdf",
                                           str(folder / "review.pdf")])
        assert result.exit_code == 0, result.output

    return shared_files(tmp_path_factory, "review-pdf", make) / "review.pdf"


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated class graded once per run, with its item analysis and feedback PDFs
    (grade_sim.graded_class): test_analysis checks them, test_verapdf validates them."""
    from grade_sim import graded_class

    return shared_files(tmp_path_factory, "graded", graded_class)
