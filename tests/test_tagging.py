"""Issue 20: the structure tree read back with pikepdf after render/tagging.py's corrections:
margins as pagination artifacts, /Lang on passages, decorative images as artifacts, figure
boxes on the page, header /Scope, ListNumbering, one link per contents entry, and elements
continued across pages joined (one Part, one table, one paragraph)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from hscourse.build import BuildResult
from hscourse.course.project import load_course
from hscourse.render.html import READERS, render_reader
from hscourse.render.pdf import with_identifier, write_pdf

from conftest import EXAMPLE, REPO

RED_PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGM8"
           "wcDAwMDAxMDAwMDAAAAKUgDMUCehPAAAAABJRU5ErkJggg==")
CSS = (REPO / "templates" / "print.css").read_text(encoding="utf-8")


def render(body: str, css: str = CSS) -> pikepdf.Pdf:
    html = (f'<!DOCTYPE html><html lang="en"><head><title>t</title><style>{css}</style></head>'
            f"<body>{body}</body></html>")
    return pikepdf.open(io.BytesIO(write_pdf(html, REPO)))


def kids(element: Any) -> list[Any]:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def elements(pdf: pikepdf.Pdf) -> Iterator[tuple[Any, Any]]:
    """(element, parent) for every structure element reachable from the root, in order."""
    stack: list[tuple[Any, Any]] = [(k, None) for k in reversed(kids(pdf.Root.StructTreeRoot))]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        stack.extend((k, node) for k in reversed(kids(node))
                     if isinstance(k, pikepdf.Dictionary) and "/S" in k)


def of_type(pdf: pikepdf.Pdf, tag: str) -> list[Any]:
    return [e for e, _ in elements(pdf) if e.S == tag]


def tree_mcids(pdf: pikepdf.Pdf) -> Counter[tuple[int, int]]:
    """(page index, MCID) of every piece of marked content the tree reaches."""
    pages = {p.objgen: i for i, p in enumerate(pdf.pages)}
    found: Counter[tuple[int, int]] = Counter()
    for element, _ in elements(pdf):
        for kid in kids(element):
            if isinstance(kid, int):
                found[(pages[element.Pg.objgen], kid)] += 1
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                found[(pages[kid.get("/Pg", element.Pg).objgen], int(kid.MCID))] += 1
    return found


def content_marks(pdf: pikepdf.Pdf) -> tuple[Counter[tuple[int, int]], Counter[tuple[int, str]]]:
    """The page content's marked MCIDs, and its artifacts by (page, pagination subtype)."""
    mcids: Counter[tuple[int, int]] = Counter()
    artifacts: Counter[tuple[int, str]] = Counter()
    for index, page in enumerate(pdf.pages):
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) not in ("BDC", "BMC"):
                continue
            props = operands[1] if len(operands) > 1 else pikepdf.Dictionary()
            if operands[0] == "/Artifact":
                artifacts[(index, str(props.get("/Subtype", "")))] += 1
            elif "/MCID" in props:
                mcids[(index, int(props.MCID))] += 1
    return mcids, artifacts


@pytest.fixture(scope="module")
def guide(shipped_build: BuildResult) -> pikepdf.Pdf:
    return pikepdf.open(shipped_build.dist / "instructor/water-conflict-guide.pdf")


@pytest.fixture(scope="module")
def handout(shipped_build: BuildResult) -> pikepdf.Pdf:
    return pikepdf.open(shipped_build.dist / "student/water-conflict-handout.pdf")


def test_running_heads_and_page_numbers_are_pagination_artifacts(guide: pikepdf.Pdf) -> None:
    mcids, artifacts = content_marks(guide)
    in_tree = tree_mcids(guide)
    assert set(mcids) == set(in_tree), "marked content outside the tree, or tree entries " \
                                       "with no content"
    assert all(count == 1 for count in in_tree.values())
    pages = len(guide.pages)
    assert pages > 5
    assert all(artifacts[(i, "/Footer")] >= 1 for i in range(pages))  # "Page X of Y"
    assert artifacts[(0, "/Header")] == 0  # no running head on the first page
    assert all(artifacts[(i, "/Header")] >= 1 for i in range(1, pages))
    parent_tree = guide.Root.StructTreeRoot.ParentTree.Nums
    reachable = {e.objgen for e, _ in elements(guide)}
    for index in range(0, len(parent_tree), 2):
        entry = parent_tree[index + 1]
        if isinstance(entry, pikepdf.Array):
            assert all(e is None or e.objgen in reachable for e in entry)


def test_the_structure_is_not_cut_at_every_page(guide: pikepdf.Pdf) -> None:
    document = kids(guide.Root.StructTreeRoot)
    assert len(document) == 1 and document[0].S == "/Document"
    assert [str(k.S) for k in kids(document[0])].count("/Part") == 1
    [part] = of_type(guide, "/Part")
    assert len(pages_of(part)) > 1  # its sections start on several pages
    for element, parent in elements(guide):
        if parent is not None:
            assert element.P.objgen == parent.objgen
    words = " ".join(f"word{i}" for i in range(500))
    nested = render(f"<main><section><h2>One</h2><ol><li>{words}</li><li>{words}</li>"
                    f"<li>{words}</li><li>{words}</li></ol></section></main>")
    assert len(nested.pages) >= 2
    [section] = of_type(nested, "/Sect")
    [items] = of_type(nested, "/L")
    assert len(pages_of(items)) >= 2 and len(kids(items)) == 4 and items.P.objgen == section.objgen
    assert len(of_type(nested, "/Part")) == 1


def pages_of(element: Any) -> set[tuple[int, int]]:
    """The pages an element's children lie on."""
    return {k.Pg.objgen for k in kids(element) if isinstance(k, pikepdf.Dictionary) and "/Pg" in k}


def test_a_paragraph_and_a_table_across_pages_are_one_element_each() -> None:
    words = " ".join(f"word{i}" for i in range(1400))
    rows = "".join(f"<tr><th scope='row'>Row {i}</th><td>{i}</td></tr>" for i in range(70))
    pdf = render(f"<p>{words}</p><table><caption>Numbers</caption><thead><tr>"
                 f"<th scope='col'>Name</th><th scope='col'>Value</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
    assert len(pdf.pages) >= 3
    [paragraph] = of_type(pdf, "/P")
    assert len({k.Pg.objgen for k in kids(paragraph)}) >= 2
    [table] = of_type(pdf, "/Table")
    [head] = of_type(pdf, "/THead")
    assert len([k for k in kids(head)]) == 1  # the header row repeated on later pages is not
    cells = [e for e, _ in elements(pdf) if e.S in ("/TH", "/TD")]
    assert len(cells) == 2 + 2 * 70
    scopes = Counter(str(c.A.Scope) for c in cells if c.S == "/TH")
    assert scopes == {"/Column": 2, "/Row": 70}
    ids = {str(c.ID) for c in cells if "/ID" in c}
    for cell in cells:
        if cell.S == "/TD":
            headers = [str(h) for h in cell.A.Headers]
            assert len(headers) == 2 and set(headers) <= ids, headers
    mcids, _ = content_marks(pdf)
    assert set(mcids) == set(tree_mcids(pdf))


def test_passages_with_their_own_language_carry_lang(handout: pikepdf.Pdf) -> None:
    pdf = render('<p>English, then <span lang="zh-Hans">水资源</span>.</p>'
                 '<div class="stimulus" lang="fr"><p>Un texte.</p></div>')
    langs = {str(e.S): str(e.Lang) for e, _ in elements(pdf) if "/Lang" in e}
    assert langs == {"/Span": "zh-Hans", "/Div": "fr"}
    chinese = [e for e, _ in elements(handout) if str(e.get("/Lang", "")).startswith("zh")]
    assert chinese, "the Chinese title has no /Lang in the shipped handout"


def test_decorative_images_are_artifacts_and_figures_lie_on_the_page() -> None:
    pdf = render(f'<p>Text.</p><p><img alt="A red square" src="{RED_PNG}" '
                 f'style="width: 40mm; margin-left: 100mm"></p>'
                 f'<p><img alt="decorative" src="{RED_PNG}" style="width: 20mm"></p>')
    [figure] = of_type(pdf, "/Figure")
    assert figure.Alt == "A red square"
    x1, y1, x2, y2 = (float(v) for v in figure.A.BBox)
    width, height = (float(v) for v in pdf.pages[0].MediaBox[2:])
    assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
    assert x2 - x1 == pytest.approx(40 / 25.4 * 72, abs=1)
    assert x1 == pytest.approx((20 + 100) / 25.4 * 72, abs=1)  # 20 mm page margin
    mcids, artifacts = content_marks(pdf)
    assert set(mcids) == set(tree_mcids(pdf))
    draws = [op for _, op in pikepdf.parse_content_stream(pdf.pages[0]) if str(op) == "Do"]
    assert len(draws) == 2 and artifacts[(0, "")] >= 1


def test_lists_say_how_they_are_numbered(guide: pikepdf.Pdf) -> None:
    pdf = render('<ol class="options" type="A"><li>a</li><li>b</li></ol><ul><li>x</li></ul>'
                 '<ol><li>one</li></ol><ul class="tf"><li>True</li></ul>')
    numbering = [str(e.A.ListNumbering) if "/A" in e else None for e in of_type(pdf, "/L")]
    assert numbering == ["/UpperAlpha", "/Disc", "/Decimal", None]
    for element in of_type(guide, "/L"):
        labelled = any(k.S == "/Lbl" for li in kids(element) if li.S == "/LI" for k in kids(li))
        if labelled:
            assert element.A.ListNumbering in ("/Decimal", "/UpperAlpha", "/Disc")


def test_contents_entries_are_one_link_each_named_by_their_title(tmp_path: Path) -> None:
    course = load_course(EXAMPLE)
    course.settings = course.settings.changed(reader=True)
    pdf = pikepdf.open(io.BytesIO(write_pdf(render_reader(course, READERS[0]), course.root)))
    [contents] = [e for e in of_type(pdf, "/L")
                  if any(k.S == "/Link" for li in kids(e) for b in kids(li) for k in kids(b))]
    titles = [m.data["title"] for m in course.modules]
    bodies = [b for li in kids(contents) for b in kids(li) if b.S == "/LBody"]
    assert len(bodies) == len(titles)
    for body, title in zip(bodies, titles):
        [link] = [k for k in kids(body) if isinstance(k, pikepdf.Dictionary)]
        assert link.S == "/Link"
        [annotation] = [k.Obj for k in kids(link) if isinstance(k, pikepdf.Dictionary)
                        and k.get("/Type") == "/OBJR"]
        assert annotation.Contents == title
        assert not [k for k in kids(link) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
    links = [a for a in pdf.pages[0].get("/Annots", []) if a.Subtype == "/Link"]
    assert len(links) == len(titles)


def test_reading_addresses_are_links_named_by_their_text(handout: pikepdf.Pdf) -> None:
    module = next(m for m in load_course(REPO).modules if m.id == "water-conflict")
    urls = {r["url"] for r in module.data["readings"] if r.get("url")}
    assert urls
    annotations = [a for page in handout.pages for a in page.get("/Annots", [])
                   if a.get("/Subtype") == "/Link" and "/A" in a]
    linked = {str(a.A.URI) for a in annotations}
    assert urls <= linked
    assert all(str(a.Contents) == str(a.A.URI) for a in annotations if str(a.A.URI) in urls)
    links = of_type(handout, "/Link")
    assert len(links) >= len(urls)


def marks_everywhere(pdf: pikepdf.Pdf) -> tuple[Counter[tuple[int, int]], int]:
    """The MCIDs marked in each page's content and in the form XObjects it draws (WeasyPrint
    draws content with opacity into a group of its own), and how many plain artifacts."""
    mcids: Counter[tuple[int, int]] = Counter()
    plain = 0
    for index, page in enumerate(pdf.pages):
        streams = [page] + [x for x in page.Resources.get("/XObject", {}).values()
                            if x.get("/Subtype") == "/Form"]
        for stream in streams:
            for operands, operator in pikepdf.parse_content_stream(stream):
                if str(operator) == "BMC" and operands[0] == "/Artifact":
                    plain += 1
                elif str(operator) == "BDC" and "/MCID" in operands[1]:
                    mcids[(index, int(operands[1].MCID))] += 1
    return mcids, plain


@pytest.mark.parametrize("style", ["", "opacity: 0.5"])
def test_aria_hidden_content_is_an_artifact(style: str) -> None:
    """Also when it is drawn in a group of its own (opacity): its marked content is there,
    not in the page's content stream."""
    shown = render(f'<p>Read this.</p><div style="{style}"><p>Also this.</p></div>')
    hidden = render(f'<p>Read this.</p><div style="{style}" aria-hidden="true">'
                    f"<p>Also this.</p></div>")
    (shown_mcids, shown_plain), (hidden_mcids, hidden_plain) = map(
        marks_everywhere, (shown, hidden))
    assert set(shown_mcids) == set(tree_mcids(shown))
    assert set(hidden_mcids) == set(tree_mcids(hidden))
    assert len(hidden_mcids) == len(shown_mcids) - 1
    assert hidden_plain == shown_plain + 1
    assert [str(e.S) for e, _ in elements(hidden)].count("/P") == 1


def test_radio_groups_are_named_by_what_their_buttons_share() -> None:
    pdf = render("<form><p>" + "".join(
        f'<input type="radio" name="q3" value="{v}" title="Question 3: {v}">' for v in "ABC")
        + '</p><p><input type="radio" name="q4" value="A" title="Question 4: A"></p></form>')
    groups = [f for f in pdf.Root.AcroForm.Fields if "/Kids" in f]
    assert {str(g.T): str(g.TU) for g in groups} == {"q3": "Question 3", "q4": "Question 4: A"}
    buttons = [str(k.TU) for g in groups if g.T == "q3" for k in g.Kids]
    assert buttons == ["Question 3: A", "Question 3: B", "Question 3: C"]


def test_the_same_document_gives_the_same_bytes_and_file_identifier() -> None:
    """The corrections leave no trace of the run (object numbers, dictionary order), and the
    file /ID is a hash of the content: the same for the same document, another for another."""
    body = ("<main><h1>Title</h1><p>Text.</p><table><thead><tr><th>A</th></tr></thead>"
            "<tbody><tr><td>1</td></tr></tbody></table></main>")
    html = (f'<!DOCTYPE html><html lang="en"><head><title>t</title><style>{CSS}</style>'
            f"</head><body>{body}</body></html>")
    first, second = write_pdf(html, REPO), write_pdf(html, REPO)
    other = write_pdf(html.replace("Text.", "Other text."), REPO)
    assert first == second
    ids = [pikepdf.open(io.BytesIO(data)).trailer.ID for data in (first, other)]
    assert all(len(i) == 2 for i in ids) and ids[0] != ids[1]


@pytest.mark.parametrize("compress", [True, False])
def test_the_file_identifier_goes_into_either_kind_of_trailer(compress: bool) -> None:
    """with_identifier finds the trailer dictionary of a cross-reference stream (what
    WeasyPrint writes) and of a classic cross-reference table, and moves no object."""
    import pydyf

    document, out = pydyf.PDF(), io.BytesIO()
    document.write(out, version=b"1.7", compress=compress)
    marked = with_identifier(out.getvalue())
    with pikepdf.open(io.BytesIO(marked)) as pdf:
        assert len(pdf.trailer.ID) == 2 and pdf.trailer.ID[0] == pdf.trailer.ID[1]
        assert len(pdf.pages) == 0 and "/Pages" in pdf.Root
    assert marked.replace(marked[marked.index(b"/ID ["):marked.index(b"]", marked.index(
        b"/ID [")) + 1], b"") == out.getvalue()
