"""What makes a render cheaper must not change what it makes (issue 23, items 2 and 3).

- The stylesheet is parsed once per process and handed to WeasyPrint beside the document;
  the PDF must be the same bytes as with the stylesheet left in the document, and a stylesheet
  that could fetch anything must stay in the document, where the restricted fetcher sees it.
- Documents go to the workers as their HTML is made, the longest of those waiting first.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hscourse.course.model import Course
from hscourse.course.resolve import load_resolved
from hscourse.render import pdf, workers
from hscourse.render.documents import documents
from hscourse.render.workers import Context, Job, Renderer

from conftest import EXAMPLE, REPO

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("css", [
    "body { background: url(x.png) }", "@import 'other.css';", "@IMPORT url(x.css);",
    "@font-face { font-family: X; src: local(X) }", r"body { background: \75 rl(x.png) }"])
def test_a_stylesheet_that_could_fetch_stays_in_the_document(css: str) -> None:
    """With the other shared stylesheet too, which keeps their order and origin."""
    html = (f"<html><head><style data-shared>p {{ color: red }}</style><style data-shared>{css}"
            "</style></head><body><p>x</p></body></html>")
    assert pdf.split_stylesheet(html) == (html, [])


def test_the_shared_stylesheets_are_parsed_once_and_taken_out() -> None:
    html = ("<html><head><style data-shared>p { color: red }</style><style data-shared>"
            "b { color: blue }</style><style>i { color: green }</style></head>"
            "<body><p>x</p></body></html>")
    body, sheets = pdf.split_stylesheet(html)
    assert body == ("<html><head><style>i { color: green }</style></head>"
                    "<body><p>x</p></body></html>")  # a <style> of its own stays
    again = pdf.split_stylesheet(html.replace("<p>x</p>", "<p>y</p>"))[1]
    assert len(sheets) == 2 and again[0] is sheets[0] and again[1] is sheets[1]


def test_the_render_server_parses_the_stylesheet_every_document_starts_with() -> None:
    """The server's warm-up (render/preload.py) parses the shipped print.css, which every
    document of the shipped templates carries first: a worker's documents find it parsed.
    It also makes the font configuration the worker's documents share."""
    pdf._parsed_stylesheet.cache_clear()
    pdf.warm_up()
    assert pdf._parsed_stylesheet.cache_info().currsize == 1
    for doc in documents(load_resolved(EXAMPLE)):
        pdf.split_stylesheet(doc.html)
    assert pdf._parsed_stylesheet.cache_info().misses == 2  # print.css, then the rest
    done = subprocess.run([sys.executable, "-c", "import hscourse.render.preload as p; "
                           "made = p.warm_up.__globals__; print(p.gc.isenabled(), "
                           "made['_parsed_stylesheet'].cache_info().currsize, "
                           "type(made['_THREAD'].fonts).__name__)"],
                          capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.split() == ["True", "1", "FontConfiguration"]  # and the fonts' setup


def test_every_edition_of_a_language_shares_the_stylesheet_a_process_parses_once() -> None:
    """What an edition adds (the handout's type size and margins) comes after the shared
    <style>, in one of its own, so that a worker rendering a quiz and then a handout parses
    one stylesheet, not two."""
    docs = documents(load_resolved(EXAMPLE))
    assert {d.entry.kind for d in docs} >= {"guide", "quiz", "handout"}
    shared = {tuple(pdf.split_stylesheet(d.html)[1]) for d in docs}
    assert len(shared) == 1 and len(next(iter(shared))) == 2
    handout = next(d.html for d in docs if d.entry.kind == "handout")
    assert "html { font-size: 11pt; }" in pdf.split_stylesheet(handout)[0]


@pytest.mark.parametrize("kind", ["guide", "quiz", "handout"])
def test_the_pdf_is_the_same_with_the_stylesheet_apart_and_the_fonts_shared(
        kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a worker renders (the stylesheet parsed apart, the font configuration shared with
    the documents before it) and as a fresh WeasyPrint would: the same bytes."""
    course = load_resolved(EXAMPLE)
    docs = {d.entry.kind: d.html for d in documents(course)}
    # warm the shared font configuration with another document first
    pdf.write_pdf(docs["handout"], EXAMPLE, date="2026-09-01")
    shared = pdf.write_pdf(docs[kind], EXAMPLE, date="2026-09-01")
    monkeypatch.setattr(pdf, "split_stylesheet", lambda html: (html, []))
    monkeypatch.setattr(pdf, "_font_configuration", lambda html: {})
    fresh = pdf.write_pdf(docs[kind], EXAMPLE, date="2026-09-01")
    assert shared == fresh


def test_a_document_with_fonts_of_its_own_does_not_share_the_configuration() -> None:
    plain = "<html><body><p>x</p></body></html>"
    first, again = pdf._font_configuration(plain), pdf._font_configuration(plain)  # noqa: SLF001
    assert first["font_config"] is again["font_config"]
    own = "<style>@FONT-FACE { font-family: X; src: url(x.ttf) }</style><p>x</p>"
    assert pdf._font_configuration(own) == {}  # noqa: SLF001


STARTS: list[tuple[str, float]] = []


def _record_start(job: Job, shipped: bytes) -> tuple[str, bytes]:
    """Stands in for rendering (patched in before the workers fork): when it began."""
    with open(job.folders[0], "a", encoding="utf-8") as log:
        log.write(f"{job.path} {time.time()}\n")
    time.sleep(0.3)
    return job.path, b"%PDF"


def _jobs(log: Path, lengths: list[int], pause_after_first: float) -> Iterator[Job]:
    for n, length in enumerate(lengths):
        yield Job(f"doc{n}-{length}", "x" * length, False, (str(log),))
        if n == 0 and pause_after_first:
            time.sleep(pause_after_first)
            STARTS.append(("second made", time.time()))


def _starts(log: Path) -> list[tuple[str, float]]:
    return [(p, float(t)) for p, t in (line.split() for line in log.read_text().splitlines())]


def without_weasyprint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers that only record when each job starts (patched in before they fork)."""
    monkeypatch.setattr(workers, "render_shipped", _record_start)
    monkeypatch.setattr(workers, "import_renderer", lambda: None)


def test_rendering_starts_before_the_last_document_is_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    without_weasyprint(monkeypatch)
    log = tmp_path / "starts.log"
    STARTS.clear()
    with Renderer(2) as renderer:
        results = renderer.render(_jobs(log, [10, 20], 1.0), Context(tmp_path, None, None, False))
    assert sorted(results) == ["doc0-10", "doc1-20"]
    first = dict(_starts(log))["doc0-10"]
    assert first < dict(STARTS)["second made"] - 0.5


def test_of_the_documents_waiting_the_longest_goes_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The order in which the feed hands jobs to the pool (two workers may take two queued
    jobs at the same instant, so the order they start in is not the order sent)."""
    without_weasyprint(monkeypatch)
    log = tmp_path / "starts.log"
    lengths = [1, 2, 3, 4, 10, 50, 30, 40]  # 2 workers: the first 4 go at once, 4 wait
    sent: list[str] = []
    with Renderer(2) as renderer:
        assert renderer.pool is not None
        submit = renderer.pool.submit

        def recorded(function: object, job: Job, *args: object) -> object:
            sent.append(job.path)
            return submit(function, job, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(renderer.pool, "submit", recorded)
        renderer.render(_jobs(log, lengths, 0), Context(tmp_path, None, None, False))
    assert sent[:4] == ["doc0-1", "doc1-2", "doc2-3", "doc3-4"]
    assert sent[4:] == ["doc5-50", "doc7-40", "doc6-30", "doc4-10"]
    assert sorted(path for path, _ in _starts(log)) == sorted(sent)


def test_compiled_templates_are_cached_and_a_changed_one_is_compiled_anew(
        tmp_path: Path) -> None:
    """Jinja's bytecode cache (render/html.py) keeps compiled templates between processes; it
    must never serve an old compilation of a template whose text changed, even when the file
    keeps its size and the listing looks the same."""
    import os

    from hscourse.render import html
    from hscourse.render.html import environment

    cache = html._bytecode_cache()  # noqa: SLF001
    assert cache is not None
    template = tmp_path / "t.html.j2"
    template.write_text("first {{ 1 + 1 }}", encoding="utf-8")
    stamp = template.stat().st_mtime_ns
    assert environment((tmp_path,)).get_template("t.html.j2").render() == "first 2"
    cached = list(Path(cache.directory).glob("hscourse-*.cache"))
    assert cached and all(p.stat().st_mode & 0o077 == 0 for p in cached)
    template.write_text("other {{ 2 + 2 }}", encoding="utf-8")
    os.utime(template, ns=(stamp, stamp))  # the same size and time: only the text differs
    html._environment.cache_clear()  # noqa: SLF001 - as in a new process: no environment kept
    assert environment((tmp_path,)).get_template("t.html.j2").render() == "other 4"


def test_the_module_saved_last_is_made_first_and_the_order_changes_no_document(
        tmp_path: Path) -> None:
    """An incremental build makes every document's HTML again to see which changed; the
    module saved last goes first, so its documents reach the workers first. Which order the
    documents are made in changes none of them."""
    from hscourse.render.documents import iter_documents, modules_edited_first

    root = tmp_path / "course"
    shutil.copytree(REPO / "modules", root / "modules")
    shutil.copy2(REPO / "course.yaml", root / "course.yaml")
    course = load_resolved(root)
    in_order = [m.id for m in course.modules]
    assert len(in_order) >= 3
    files = [root / m.source.file for m in course.modules]
    for path in files:
        os.utime(path, (1_700_000_000, 1_700_000_000))
    assert [m.id for m in modules_edited_first(course)] == in_order  # ties: course order
    os.utime(files[2], (1_700_000_100, 1_700_000_100))
    assert [m.id for m in modules_edited_first(course)] == [
        in_order[2], *in_order[:2], *in_order[3:]]
    edited_first = list(iter_documents(course, edited_first=True))
    assert edited_first[0].entry.module == in_order[2]
    assert ({d.entry.path: d.html for d in edited_first}
            == {d.entry.path: d.html for d in documents(course)})


# A render worker as the forkserver makes one: the renderer imported, then a job and the
# build's context unpickled and rendered. Prints the course-side modules it had to import.
WORKER = """
import pickle, sys
from hscourse.render.workers import import_renderer, render_one
import_renderer()
context, job = pickle.loads(sys.stdin.buffer.read())
path, result = render_one(job, context)
assert isinstance(result, bytes) and result.startswith(b"%PDF"), result
print([m for m in ("hscourse.course.model", "hscourse.render.secrets", "jinja2", "yaml",
                   "markdown_it", "babel") if m in sys.modules])
print([m for m in ("pikepdf", "pypdfium2") if m in sys.modules])
"""


def worker_imports(course: Course, kind: str) -> list[str]:
    """Run WORKER on the course's document of this kind: the two lists it prints."""
    doc = next(d for d in documents(course) if d.entry.kind == kind)
    context = workers.build_context(course, None, True)
    assert context.needles is not None and context.needles.grams  # there is something to find
    job = Job(doc.entry.path, doc.html, doc.entry.audience == "student", doc.folders)
    done = subprocess.run([sys.executable, "-c", WORKER], input=pickle.dumps((context, job)),
                          capture_output=True, check=True, cwd=REPO)
    return done.stdout.decode().split("\n")[-3:-1]


def test_a_render_worker_imports_nothing_of_the_course_model() -> None:
    """The leak check's needles come from the course (render/secrets.py), but a worker
    searches with leakcheck.py alone, so the import every cold build waits for leaves the
    course model, Jinja, YAML, Markdown and Babel out."""
    assert worker_imports(load_resolved(EXAMPLE), "quiz")[0] == "[]"


def test_the_leak_checks_pdf_readers_are_imported_for_a_student_document_only() -> None:
    """A worker has WeasyPrint at start; pikepdf and PDFium (50 ms) come with the first
    student PDF it checks, so the worker that renders a small course's guide, which the
    build waits for, starts without them."""
    course = load_resolved(EXAMPLE)
    assert worker_imports(course, "guide")[1] == "[]"
    assert worker_imports(course, "quiz")[1] == "['pikepdf', 'pypdfium2']"
