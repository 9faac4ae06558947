"""Answer sheets: the layout is computed once, and the rendered PDF puts every marker, bubble
and the QR code where the layout says."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import zxingcpp

from hscourse.assess.sheets import layout, parse_qr, qr_payload, sheets_for_quiz
from hscourse.course.model import LETTERS
from hscourse.course.resolve import load_resolved
from hscourse.output import Output
from hscourse.render.documents import data_files, documents
from hscourse.render.leakcheck import find_leaks
from hscourse.render.secrets import needles_for

from conftest import REPO
from scansim import rasterise, render_sheets, synthetic_sheet

DPI = 150


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("sheets") / "course"
    shutil.copytree(REPO / "modules", root / "modules")
    shutil.copy2(REPO / "course.yaml", root / "course.yaml")
    with (root / "course.yaml").open("a", encoding="utf-8") as handle:
        handle.write("versions: 3\nanswer_sheets: true\n")
    return load_resolved(root)


@pytest.fixture(scope="module")
def rendered(course):
    sheet = sheets_for_quiz(course, "tibet")[1]
    geometry, pdf = render_sheets(course, [sheet])[sheet.form]
    return sheet, geometry, pdf


def ring(image: np.ndarray, x: float, y: float, radius: float) -> np.ndarray:
    """Pixel values on a circle (points) around (x, y) in a DPI raster."""
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    k = DPI / 72
    xs = np.round((x + radius * np.cos(angles)) * k).astype(int)
    ys = np.round((y + radius * np.sin(angles)) * k).astype(int)
    return image[ys, xs].astype(float)


def test_markers_and_bubbles_are_where_the_layout_says(rendered) -> None:
    sheet, geometry, pdf = rendered
    image = rasterise(pdf, DPI)[0]
    page = geometry["pages"][0]
    size = np.array([page["height"], page["width"]]) * DPI / 72
    assert np.abs(np.array(image.shape) - size).max() <= 1
    for marker in page["markers"]:
        assert ring(image, marker["x"], marker["y"], 0.6 * marker["r"]).max() < 60
        assert ring(image, marker["x"], marker["y"], marker["r"] + 2.5).min() > 235
    circles = page["bubbles"] + page["id_bubbles"]
    outline = [ring(image, c["x"], c["y"], c["r"]).mean() for c in circles]
    outside = [ring(image, c["x"], c["y"], c["r"] + 2.2).min() for c in circles]
    print(f"\n{len(circles)} bubbles: outline mean {np.mean(outline):.0f}, paper just outside "
          f"min {np.min(outside):.0f} (0 black, 255 white)")
    assert max(outline) < 225 and min(outside) > 235
    assert len(page["bubbles"]) == sum(len(q.options) for q in sheet.questions)


def test_the_qr_code_says_which_sheet_and_page(rendered) -> None:
    sheet, geometry, pdf = rendered
    image = rasterise(pdf, DPI)[0]
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [c.text for c in codes] == [qr_payload(sheet, 1)]
    data = parse_qr(codes[0].text)
    assert data["quiz"] == "tibet" and data["form"] == sheet.form == "B" and data["page"] == 1
    qr = geometry["pages"][0]["qr"]
    left = codes[0].position.top_left
    assert abs(left.x * 72 / DPI - qr["x"]) < 1.5 and abs(left.y * 72 / DPI - qr["y"]) < 1.5


def test_questions_follow_the_forms_printed_order(course) -> None:
    from hscourse.course.forms import forms_for
    from hscourse.course.model import module_view

    module = course.module("tibet")
    forms = forms_for(course, module)
    for sheet, form in zip(sheets_for_quiz(course, "tibet"), forms):
        items = module_view(form.module, "student", form.seed)["quiz"]
        assert sheet.form == form.letter
        assert [q.type for q in sheet.questions] == [i["type"] for i in items]
        for question, item in zip(sheet.questions, items):
            if item["type"] in ("single_choice", "multiple_answer"):
                assert len(question.options) == len(item["options"])
            elif item["type"] == "true_false":
                assert question.options == ("T", "F")
            else:
                assert question.options == ()


def test_long_quizzes_continue_on_more_pages() -> None:
    geometry = layout(synthetic_sheet("A", questions=150))
    assert len(geometry["pages"]) == 2
    numbers = [row["question"] for page in geometry["pages"] for row in page["rows"]]
    assert numbers == list(range(1, 151))
    for page in geometry["pages"]:
        circles = page["bubbles"] + page["id_bubbles"] + page["markers"]
        xy = np.array([[c["x"], c["y"]] for c in circles])
        r = np.array([c["r"] for c in circles])
        assert (xy - r[:, None] > 0).all() and (xy[:, 0] + r < page["width"]).all()
        assert (xy[:, 1] + r < page["height"]).all()
        gaps = np.linalg.norm(xy[:, None] - xy[None], axis=2) - r[:, None] - r[None]
        np.fill_diagonal(gaps, np.inf)
        assert gaps.min() > 2  # no two circles touch


def test_the_build_lists_sheets_and_layouts_as_student_outputs(course, rendered) -> None:
    docs = [d for d in documents(course) if d.entry.kind == "answer-sheet"]
    assert {d.entry.path for d in docs} == {
        f"student/answer-sheets/{m}-{f}.pdf" for m in (m.id for m in course.modules)
        for f in "ABC"} | {  # the shipped exams, in their own number of forms
        f"student/answer-sheets/{e.module.id}-{LETTERS[i]}.pdf" for e in course.exams
        for i in range(e.settings["versions"])}
    assert {d.entry.audience for d in docs} == {"student"}
    files = {o.path: data for o, data in data_files(course).items()
             if o.kind == "answer-sheet-layout"}
    _, geometry, pdf = rendered
    assert json.loads(files["student/answer-sheets/tibet-B-layout.json"]) == geometry
    assert find_leaks(needles_for(course), {Output("student/answer-sheets/tibet-B.pdf", "student",
                                      "answer-sheet", "tibet", ""): pdf}) == []


def test_personalised_class_pdf_deals_forms_and_pads_for_duplex(course) -> None:
    from hscourse.assess.scan import read_page
    from hscourse.assess.sheets import class_html
    from hscourse.render.pdf import write_pdf

    sheets = sheets_for_quiz(course, "tibet")[:2]
    roster = [{"student_id": f"2027{n:04d}", "name": f"Student {n}"} for n in (7, 8, 9)]
    pdf = write_pdf(class_html(course, sheets, roster), course.root)
    images = rasterise(pdf, DPI)
    assert len(images) == 6  # three one-page sheets, each padded to two pages
    assert all(image.min() > 250 for image in images[1::2])
    layouts = {s.form: layout(s) for s in sheets}
    for image, student, form in zip(images[::2], roster, "ABA"):
        codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        data = parse_qr(codes[0].text)
        assert (data["student"], data["form"]) == (student["student_id"], form)
        read = read_page(image, layouts, "class.pdf", 1)
        assert read.student_id == student["student_id"] and not read.flags
