"""The restricted fetcher: nothing outside the course folder is read, embedded or linked."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from hscourse.render.pdf import RenderError, check_reference, write_pdf

SECRET = "OUTSIDE-SECRET-7d1f"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def page(body: str) -> str:
    return f'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>{body}</body></html>'


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tmp/outside-secret.txt, and tmp/course/ holding a good image and some traps."""
    base = tmp_path_factory.mktemp("fetch")
    (base / "secret.txt").write_text(SECRET)
    root = base / "course"
    (root / "img").mkdir(parents=True)
    (root / "img" / "dot.png").write_bytes(PNG_1PX)
    (root / "img" / "broken.png").write_bytes(b"not an image")
    (root / "notes.txt").write_text("inside the course")
    (root / ".hidden.txt").write_text("hidden")
    (root / "dist").mkdir()
    (root / "dist" / "old.pdf").write_text("an old output")
    (root / "link-out").symlink_to(base / "secret.txt")
    (root / "link-urandom").symlink_to("/dev/urandom")
    os.mkfifo(root / "fifo")
    return root


def attachments(pdf: bytes) -> dict[str, list[bytes]]:
    return dict(PdfReader(BytesIO(pdf)).attachments)


def test_default_fetcher_embeds_local_files(course_dir: Path) -> None:
    """The fact the fetcher exists for: WeasyPrint 70's default embeds any file it can read."""
    from weasyprint import HTML

    html = page('<link rel="attachment" href="../secret.txt"><p>x</p>')
    pdf = HTML(string=html, base_url=course_dir.as_uri() + "/").write_pdf()
    assert [SECRET.encode()] in attachments(pdf).values()


REFUSED = {
    "attachment, absolute file URL": '<link rel="attachment" href="file:///etc/hostname">',
    "attachment, relative path": '<link rel="attachment" href="../secret.txt">',
    "stylesheet": '<link rel="stylesheet" href="../secret.txt">',
    "@import": '<style>@import url("file:///etc/hostname");</style>',
    "@font-face": '<style>@font-face { font-family: f; src: url(../secret.txt) }</style>'
                  '<p style="font-family: f">x</p>',
    "image": '<img src="../secret.txt" alt="x">',
    "url() background": '<div style="background: url(../secret.txt)">x</div>',
    "image inside SVG": '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
                        '<image href="file:///etc/hostname" width="9" height="9"/></svg>',
    "http URL": '<img src="http://127.0.0.1:9/x.png" alt="x">',
    "https URL": '<link rel="stylesheet" href="https://example.invalid/x.css">',
    "ftp URL": '<img src="ftp://example.invalid/x.png" alt="x">',
    "file URL on a host": '<img src="file://otherhost/etc/hostname" alt="x">',
    "%2e%2e traversal": '<img src="%2e%2e/secret.txt" alt="x">',
    "symlink leading out": '<link rel="attachment" href="link-out">',
    "symlink to a device": '<link rel="attachment" href="link-urandom">',
    "FIFO": '<link rel="attachment" href="fifo">',
    "hidden file": '<link rel="attachment" href=".hidden.txt">',
    "build output": '<link rel="attachment" href="dist/old.pdf">',
    "NUL in the path": '<img src="img/dot.png%00.txt" alt="x">',
    "link to a local file": '<a href="../secret.txt">x</a>',
    "attachment link": '<a rel="attachment" href="file:///etc/hostname">x</a>',
    "oversized data: URL": '<img alt="x" src="data:image/png;base64,' + "A" * 600_000 + '">',
    "broken image inside the course (a WeasyPrint error)": '<img src="img/broken.png" alt="x">',
}


@pytest.mark.parametrize("body", REFUSED.values(), ids=REFUSED.keys())
def test_refused(course_dir: Path, body: str) -> None:
    with pytest.raises(RenderError) as caught:
        write_pdf(page(body + "<p>text</p>"), course_dir)
    assert caught.value.problems
    assert SECRET not in str(caught.value)


def test_message_names_the_reference(course_dir: Path) -> None:
    with pytest.raises(RenderError, match=r"refused to read file:///etc/hostname "
                                          r"\(outside the course folder\)"):
        write_pdf(page('<link rel="attachment" href="file:///etc/hostname">'), course_dir)


def test_allowed_references(course_dir: Path) -> None:
    """Course files, small data: URLs, web and mail links and internal links still work."""
    data_png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAAAAgABVKJPXQAAAABJRU5ErkJggg=="
    pdf = write_pdf(page(
        '<link rel="attachment" href="notes.txt"><img src="img/dot.png" alt="dot">'
        f'<img src="{data_png}" alt="dot"><a href="https://example.org/">web</a>'
        '<a href="mailto:a@example.org">mail</a><a href="#top">top</a><p id="top">x</p>'),
        course_dir)
    assert list(attachments(pdf).values()) == [[b"inside the course"]]


@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "outside the course folder"),
    ("javascript:alert(1)", "javascript: URLs are not allowed"),
    ("gopher://x/", "gopher: URLs are not allowed"),
    ("file://evil.example/x", "another host"),
    ("relative/path.png", "not an absolute URL"),
])
def test_check_reference(course_dir: Path, url: str, reason: str) -> None:
    path, why = check_reference(url, course_dir.resolve())
    assert path is None and reason in why


def test_weasyprint_errors_are_not_swallowed(course_dir: Path) -> None:
    """WeasyPrint logs to a null handler; its ERROR records still fail the render."""
    with pytest.raises(RenderError, match="alt"):
        write_pdf(page('<img src="img/dot.png">'), course_dir)
