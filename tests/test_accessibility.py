"""Issue 8: every shipped PDF is tagged PDF/UA-1 with language, title, headings, lists, tables,
alt text and embedded fonts; images need alt text; large print sets student editions at 18 pt.

veraPDF cannot be installed here, so the checks read the PDFs with poppler and pypdf.
"""

from __future__ import annotations

import io
import re
import statistics
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader

from hscourse.build import BuildResult
from hscourse.course.model import curly_quotes, module_view
from hscourse.course.project import load_course
from hscourse.course.resolve import load_resolved
from hscourse.errors import ContentError
from hscourse.render.documents import documents
from hscourse.render.html import EDITIONS, render_edition
from hscourse.render.markdown import render_block
from hscourse.render.pdf import RenderError, write_pdf

from conftest import EXAMPLE, REPO, pdf_text

# A 2x2 red PNG, as a data: URL, so the test image resolves however module paths are resolved.
RED_PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGM8"
           "wcDAwMDAxMDAwMDAAAAKUgDMUCehPAAAAABJRU5ErkJggg==")


@dataclass
class Built:
    pdfs: list[Path]


@pytest.fixture(scope="session")
def shipped(shipped_build: BuildResult) -> Built:
    return Built([shipped_build.dist / o.path for o in shipped_build.outputs
                  if o.path.endswith(".pdf")])


def tool(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def structure(document: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """The structure elements of a tagged PDF, in document order (read with pikepdf: walking
    every shipped PDF's tree with pypdf took seconds)."""
    stack: list[Any] = [document.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if "/S" in node:
            yield node
        kids = node.get("/K")
        if kids is not None:
            stack.extend(reversed(list(kids)) if isinstance(kids, pikepdf.Array) else [kids])


def assert_heading_order(levels: list[int], where: str) -> None:
    assert levels and levels[0] == 1, f"{where}: starts with h{levels[:1]}"
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"{where}: h{before} is followed by h{after}"


def test_every_shipped_pdf_is_tagged_with_language_title_and_embedded_fonts(shipped: Built) -> None:
    exams = load_resolved(REPO).exams  # each form: the exam, its key and its answer sheet
    assert len(shipped.pdfs) == 3 * len(load_course(REPO).modules) + sum(
        e.settings["versions"] * (3 if e.settings.get("answer_sheets") else 2) for e in exams)
    for pdf in shipped.pdfs:
        info = tool("pdfinfo", str(pdf))
        assert re.search(r"^Tagged:\s+yes$", info, re.M), pdf.name
        assert re.search(r"^Title:\s+\S.* — ", info, re.M), pdf.name
        assert re.search(r"^PDF version:\s+1\.7$", info, re.M), pdf.name
        fonts = tool("pdffonts", str(pdf)).splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), (pdf.name, fonts)
        catalog = PdfReader(pdf).trailer["/Root"]
        assert catalog["/Lang"] == "en"
        assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True
        assert catalog["/MarkInfo"]["/Marked"].value is True


def test_every_shipped_pdf_has_ordered_headings_lists_tables_and_bookmarks(shipped: Built) -> None:
    for pdf in shipped.pdfs:
        document = pikepdf.open(pdf)
        tags = [str(e.S)[1:] for e in structure(document)]
        assert_heading_order([int(t[1]) for t in tags if re.fullmatch(r"H[1-6]", t)], pdf.name)
        if "key" not in pdf.name and "answer-sheets" not in str(pdf):  # keys: a table
            assert {"L", "LI", "LBody", "P", "Sect"} <= set(tags), pdf.name
        if "guide" in pdf.name:
            assert {"Table", "TH", "TD"} <= set(tags), pdf.name
        with document.open_outline() as outline:
            assert outline.root, f"{pdf.name} has no bookmarks"


def a_character_no_font_has() -> str:
    """A private-use character that no installed font draws (TeX Live's TeX Gyre fonts
    draw U+E000, so it depends on the machine)."""
    for point in (0xE000, 0xF0000, 0x10FFFD):
        if not subprocess.run(["fc-list", f":charset={point:x}", "family"], capture_output=True,
                              text=True, check=True).stdout.strip():
            return chr(point)
    raise AssertionError("every candidate private-use character has a font here")


def test_a_missing_glyph_fails_the_render() -> None:
    """WeasyPrint only warns and draws a box; hscourse fails the document instead (the
    coverage check at `check` names the font package first, this is the backstop)."""
    char = a_character_no_font_has()
    html = ('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
            f'<p>private use: {char}</p></body></html>')
    with pytest.raises(RenderError, match=rf".notdef glyph rendered .* \(U\+{ord(char):04X}\)"):
        write_pdf(html, REPO)


def test_chinese_title_is_drawn_with_a_simplified_chinese_font(shipped: Built) -> None:
    for pdf in shipped.pdfs:
        if pdf.name.startswith("water-conflict-") and "quiz" not in pdf.name:
            fonts = tool("pdffonts", str(pdf))
            assert re.search(r"Noto-(Serif|Sans)-CJK-SC", fonts), (pdf.name, fonts)
            assert not re.search(r"CJK-(JP|TC|KR)", fonts), (pdf.name, fonts)


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.levels: list[int] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))


@pytest.mark.parametrize("root", [REPO, EXAMPLE], ids=["shipped", "example"])
@pytest.mark.parametrize("large_print", [False, True], ids=["regular", "large"])
def test_every_template_keeps_heading_levels_in_order(root: Path, large_print: bool) -> None:
    course = load_course(root)
    course.settings = course.settings.changed(large_print=large_print)
    for module in course.modules:
        for edition in EDITIONS:
            parser = _Headings()
            parser.feed(render_edition(course, module, edition))
            assert_heading_order(parser.levels, f"{module.id} {edition.kind}")


def add_to_notes(course: Path, text: str) -> None:
    module = course / "modules" / "example" / "module.yaml"
    source = module.read_text(encoding="utf-8")
    anchor = "    notes: A white paper published in Beijing.\n"
    assert anchor in source
    module.write_text(source.replace(anchor, f"    notes: |\n      A white paper.\n\n"
                                             f"      {text}\n"), encoding="utf-8")


@pytest.mark.parametrize("alt", ["", "   "])
def test_an_image_without_alt_text_is_an_error_with_file_and_line(example_course: Path,
                                                                  alt: str) -> None:
    add_to_notes(example_course, f"![{alt}](map.png)")
    with pytest.raises(ContentError) as caught:
        load_course(example_course)
    [problem] = [d for d in caught.value.diagnostics if "alt text" in d.message]
    assert problem.file == "modules/example/module.yaml"
    lines = (example_course / problem.file).read_text(encoding="utf-8").splitlines()
    assert lines[problem.line - 1] == "    notes: |" and problem.field == "readings[1].notes"
    assert "'map.png' has no alt text" in problem.message and "decorative" in problem.message


def test_images_with_alt_text_or_marked_decorative_pass_and_are_tagged(example_course: Path
                                                                       ) -> None:
    add_to_notes(example_course, f"![A red square]({RED_PNG}) ![decorative]({RED_PNG})")
    course = load_course(example_course)
    html = render_edition(course, course.modules[0], EDITIONS[0])
    document = pikepdf.open(io.BytesIO(write_pdf(html, course.root)))
    figures = [e for e in structure(document) if e.S == pikepdf.Name.Figure]
    assert [str(f.Alt) for f in figures] == ["A red square"]  # the decorative one: an artifact


def word_heights(pdf: bytes, tmp_path: Path) -> float:
    path = tmp_path / "quiz.pdf"
    path.write_bytes(pdf)
    boxes = tool("pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-")
    heights = [float(b) - float(a) for a, b in
               re.findall(r'<word [^>]*yMin="([\d.]+)"[^>]*yMax="([\d.]+)"', boxes)]
    return statistics.median(heights)


def smallest_text_pt(pdf: bytes) -> float:
    """The smallest font size of any visible character, in points (PDFium reports the size
    in the text space: WeasyPrint draws in CSS pixels, 0.75 pt each)."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    document = pypdfium2.PdfDocument(pdf)
    sizes = []
    for page in document:
        text = page.get_textpage()
        sizes += [pdfium_c.FPDFText_GetFontSize(text, i) * 0.75 for i in range(text.count_chars())
                  if not chr(pdfium_c.FPDFText_GetUnicode(text, i)).isspace()]
    return min(sizes)


def test_large_print_is_its_own_edition_at_18pt_and_names_no_accommodation(
        tmp_path: Path, example_editions: dict[str, Path]) -> None:
    """The PDFs measured are conftest's example_editions, rendered once per run from these
    documents' HTML."""
    course = load_course(EXAMPLE)
    regular = {d.entry.path: d for d in documents(course)}
    course.settings = course.settings.changed(large_print=True)
    both = documents(course)
    assert sorted(d.entry.path for d in both if d.entry.edition) == [
        "large-print/example-handout.pdf", "large-print/example-quiz.pdf"]
    assert all(d.entry.audience == "student" for d in both if d.entry.edition)
    assert {d.entry.path: d.html for d in both if not d.entry.edition} == {
        path: d.html for path, d in regular.items()}  # the regular editions stay as they were
    large = {d.entry.kind: example_editions[d.entry.path].read_bytes()
             for d in both if d.entry.edition}
    by_kind = {"quiz": example_editions["student/example-quiz.pdf"].read_bytes()}
    ratio = word_heights(large["quiz"], tmp_path) / word_heights(by_kind["quiz"], tmp_path)
    assert ratio == pytest.approx(18 / 10, rel=0.08)
    for kind, pdf in large.items():
        assert smallest_text_pt(pdf) >= 17.9, kind  # page numbers and running heads too
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(pdf)
        assert "large print" not in pdf_text(path).lower()
        assert "large print" not in str(PdfReader(path).metadata.title).lower()
    assert smallest_text_pt(by_kind["quiz"]) < 10
    html = render_edition(course, course.modules[0], EDITIONS[1], large=True)
    assert '<html lang="en" dir="ltr" class="large-print">' in html


def test_writing_lines_are_strokes_one_per_answer_line(example_editions: dict[str, Path]
                                                       ) -> None:
    """Ruled as one box per line, never a gradient, whose stripes came out as 13, 15 or 16
    lines depending on the resolution. The PDFs are conftest's example_editions, rendered
    once per run from this HTML."""
    course = load_course(EXAMPLE)
    quiz = course.modules[0].data["quiz"]
    expected = sum(item.get("answer_lines", 0) for item in quiz
                   if item["type"] in ("short_answer", "essay"))
    assert expected == 7
    for large in (False, True):
        html = render_edition(course, course.modules[0], EDITIONS[1], large=large)
        assert html.count('<div class="writing-line">') == expected
        reader = PdfReader(example_editions["large-print/example-quiz.pdf" if large
                                            else "student/example-quiz.pdf"])
        for page in reader.pages:
            resources = page["/Resources"]
            assert not resources.get("/Shading") and not resources.get("/Pattern")


def test_large_print_is_a_course_setting_checked_by_the_schema(example_course: Path) -> None:
    course_file = example_course / "course.yaml"
    course_file.write_text(course_file.read_text() + 'large_print: "yes"\n')
    with pytest.raises(ContentError) as caught:
        load_course(example_course)
    assert [d.field for d in caught.value.diagnostics] == ["large_print"]
    course_file.write_text(course_file.read_text().replace('"yes"', "true"))
    assert load_course(example_course).settings.large_print is True


@pytest.mark.parametrize("text, curled", [
    ('He said "no".', "He said “no”."), ("it's the '90s", "it’s the ’90s"),
    ("'quoted' word", "‘quoted’ word"), ('("a")', "(“a”)"), ("no quotes", "no quotes")])
def test_curly_quotes(text: str, curled: str) -> None:
    assert curly_quotes(text) == curled


def test_plain_text_fields_get_curly_quotes_and_codes_stay_as_written() -> None:
    """Markdown fields get typographic quotes from markdown-it; plain-text fields (titles,
    headings) from the view; ids, addresses, identifiers and accepted answers stay verbatim."""
    course = load_course(EXAMPLE)
    module = course.modules[0]
    module.data["title"] = 'The "Example" module'
    module.data["readings"][0]["identifier"] = "ISBN 'x'"
    view = module_view(module, "instructor", "seed")
    assert view["title"] == "The “Example” module"
    assert view["readings"][1]["title"] == "China’s Policies and Actions for Addressing Climate Change"
    assert view["readings"][0]["identifier"] == "ISBN 'x'"
    answers = [a for i in module.data["quiz"] for a in i.get("accepted_answers", [])]
    assert answers and answers == [a for i in view["quiz"] for a in i.get("accepted_answers", [])]


def test_a_fillable_quiz_has_a_named_field_for_name_date_and_every_answer(
        example_editions: dict[str, Path]) -> None:
    """The fillable quiz is conftest's, rendered once per run as a build renders it."""
    course = load_course(EXAMPLE)
    course.settings = course.settings.changed(fillable=True)
    module = course.modules[0]
    reader = PdfReader(example_editions["student/example-fillable-quiz.pdf"])
    fields = reader.get_fields()
    names = {name: str(f.get("/TU", "")) for name, f in fields.items()}
    assert names["name"] == "Name" and names["date"] == "Date"
    for number, item in enumerate(module.data["quiz"], 1):
        mine = [n for n in names if n == f"q{number}" or n.startswith(f"q{number}-")]
        assert mine, f"question {number} ({item['type']}) has no field"
        assert all(names[n].startswith(f"Question {number}") for n in mine)
    assert names["q1"] == "Question 1"  # a radio group, named for the question
    widgets = [a.get_object() for page in reader.pages for a in page.get("/Annots", [])
               if a.get_object()["/Subtype"] == "/Widget"]
    forms = [e for e in structure(pikepdf.open(example_editions[
        "student/example-fillable-quiz.pdf"])) if e.S == pikepdf.Name.Form]
    assert len(forms) == len(widgets) > len(module.data["quiz"])
    assert "<input" not in render_edition(course, module, EDITIONS[2])  # never in the guide
    course.settings = course.settings.changed(fillable=False)
    assert "<input" not in render_edition(course, module, EDITIONS[1])


def test_web_links_print_their_address_once() -> None:
    html = str(render_block("See [the UN](https://un.org/x?a=1&b=2), <https://un.org> and "
                            "[mail](mailto:a@example.org)."))
    assert html.count('<span class="link-url">') == 1
    assert '</a> <span class="link-url">(https://un.org/x?a=1&amp;b=2)</span>' in html
