"""Shared fixtures: the repository, the example course, and PDFs built once per session."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hscourse.build import BuildResult, build

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


# Test files that render PDFs or build whole courses: `make test-fast` leaves them out.
SLOW_FILES = {
    "test_accessibility.py", "test_atomic.py", "test_editions.py", "test_incremental.py",
    "test_reproducible.py", "test_wheel.py", "test_security_limits.py", "test_security_outputs.py",
    "test_security_templates.py", "test_security_files.py", "test_terms.py", "test_grade.py",
    "test_review_output.py", "test_security_leaks.py", "test_security_keys.py", "test_cli.py",
    "test_sheets.py", "test_scan.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shipped_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The shipped course, built once for every test that reads its PDFs."""
    return build(REPO, dist=tmp_path_factory.mktemp("shipped") / "dist")


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build(EXAMPLE, dist=tmp_path_factory.mktemp("example") / "dist")


@pytest.fixture
def example_course(tmp_path: Path) -> Path:
    """A writable copy of the example course."""
    return copy_course(EXAMPLE, tmp_path / "course")
