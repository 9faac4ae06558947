"""Shared fixtures: the repository, the example course, and PDFs built once per session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hscourse.build import BuildResult, Options, build

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
    import fcntl

    dist = shared_folder(tmp_path_factory) / "shipped-dist"
    with open(str(dist) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits here: let it use both CPUs
        return build(REPO, dist=dist, options=Options(jobs=2))


def shared_build(tmp_path_factory: pytest.TempPathFactory, name: str,
                 make: Callable[[Path], Path], term: str | None = None,
                 options: Options | None = None) -> tuple[Path, BuildResult]:
    """A course made by make() and built once per run, whichever pytest-xdist worker asks
    first: the other waits for it, then finds it up to date (a no-op build). Tests read it
    and copy it; none may change it."""
    import fcntl

    root = shared_folder(tmp_path_factory) / f"shared-{name}"
    with open(str(root) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not root.exists():
            make(root)
        return root, build(root, term=root / term if term else None,
                           options=options or Options())


def prebuilt(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Path],
             options: Options) -> Path:
    """A course made by make() and built once per run; each test gets a copy (dist/
    included, times kept), so its first build is a no-op instead of a full render."""
    return shared_build(tmp_path_factory, f"prebuilt-{name}", make, options=options)[0]


def copy_built(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, copy_function=shutil.copy2)
    return target


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build(EXAMPLE, dist=tmp_path_factory.mktemp("example") / "dist")


@pytest.fixture
def example_course(tmp_path: Path) -> Path:
    """A writable copy of the example course."""
    return copy_course(EXAMPLE, tmp_path / "course")
