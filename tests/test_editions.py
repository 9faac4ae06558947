"""The PDFs as a reader sees them: every prompt in both editions, no answer in a student's."""

from __future__ import annotations

import base64
import json
from io import BytesIO
from pathlib import Path

import pytest
from markupsafe import Markup
from pypdf import PdfReader

from hscourse.build import BuildResult
from hscourse.course.model import LETTERS, instructor_only_texts, secret_texts
from hscourse.course.project import load_course
from hscourse.course.resolve import load_resolved
from hscourse.render.html import EDITIONS, render_edition
from hscourse.render.markdown import render_inline
from hscourse.render.pdf import write_pdf

from conftest import EXAMPLE, REPO, body_text, pdf_text, squash


def plain(markdown: str) -> str:
    """The text a reader sees for a Markdown field (markup and entities removed)."""
    return squash(Markup(render_inline(markdown)).striptags())


def texts_by_module(result: BuildResult) -> dict[tuple[str, str], str]:
    return {(o.module, o.kind): squash(pdf_text(result.dist / o.path)) for o in result.outputs
            if o.path.endswith(".pdf")}


@pytest.fixture(scope="module", params=["example", "shipped"])
def case(request: pytest.FixtureRequest) -> tuple[Path, BuildResult, dict[tuple[str, str], str]]:
    result = request.getfixturevalue(f"{request.param}_build")
    root = EXAMPLE if request.param == "example" else REPO
    return root, result, texts_by_module(result)


def exam_outputs(root: Path) -> list[str]:
    """What each exam of the course adds (docs/exams.md): per form, the exam, its key (PDF and
    CSV), a responses template and, when asked for, an answer sheet and its layout."""
    out = []
    for exam in load_resolved(root).exams:
        name, versions = exam.module.id, exam.settings.get("versions", 1)
        forms = [LETTERS[i] for i in range(versions)] if versions > 1 else [""]
        for form in forms:
            suffix = f"-{form}" if form else ""
            out += [f"student/{name}{suffix}.pdf", f"instructor/{name}-key{suffix}.pdf",
                    f"instructor/{name}-key{suffix}.csv",
                    f"instructor/{name}-responses-template{suffix}.csv"]
            if exam.settings.get("answer_sheets"):
                out += [f"student/answer-sheets/{name}{suffix}{ext}"
                        for ext in (".pdf", "-layout.json")]
        if versions > 1:
            out.append(f"instructor/{name}-versions.csv")
    return out


def test_outputs_and_manifest(case: tuple[Path, BuildResult, dict]) -> None:
    root, result, _ = case
    course = load_course(root)
    expected = sorted(f"{folder}/{m.id}-{kind}.pdf" for m in course.modules
                      for folder, kind in (("student", "handout"), ("student", "quiz"),
                                           ("instructor", "guide")))
    expected += [f"instructor/{m.id}-responses-template.csv" for m in course.modules]
    expected += exam_outputs(root)
    manifest = json.loads((result.dist / "manifest.json").read_text())
    assert [e["path"] for e in manifest["outputs"]] == sorted(expected)
    for entry in (e for e in manifest["outputs"] if e["path"].endswith(".pdf")):
        student = entry["audience"] == "student"  # student PDFs record the leak check they passed
        assert set(entry) == {"path", "audience", "kind", "module", "sha256", "input"} | (
            {"checked"} if student else set()) | ({"version"} if "version" in entry else set())
        assert entry.get("checked") is (True if student else None)
        assert entry["audience"] == entry["path"].split("/")[0]
        assert (result.dist / entry["path"]).read_bytes()[:5] == b"%PDF-"


def test_every_prompt_is_in_the_quiz_and_the_guide(case: tuple[Path, BuildResult, dict]) -> None:
    root, _, texts = case
    for module in load_course(root).modules:
        for item in module.data.get("quiz", []):
            for kind in ("quiz", "guide"):
                assert plain(item["prompt"]) in texts[module.id, kind], (item["id"], kind)
        for question in module.data.get("discussion", []):
            for kind in ("handout", "guide"):
                assert plain(question["prompt"]) in texts[module.id, kind]


def test_no_instructor_only_text_in_any_student_pdf(case: tuple[Path, BuildResult, dict]) -> None:
    root, _, texts = case
    for module in load_course(root).modules:
        checked = 0
        for secret in sorted(plain(t) for t in secret_texts(module)):
            if len(secret) < 12:
                continue  # too short to be distinctive ("True", a number)
            for kind in ("handout", "quiz"):
                assert secret not in texts[module.id, kind], (module.id, kind, secret)
            checked += 1
        assert checked > 10


def test_every_instructor_only_text_is_in_the_guide(case: tuple[Path, BuildResult, dict]) -> None:
    root, result, _ = case
    for module in load_course(root).modules:
        guide = squash(body_text(result.dist / f"instructor/{module.id}-guide.pdf"))
        for secret in instructor_only_texts(module.data):
            assert plain(secret) in guide, (module.id, secret)


def test_example_markers_appear_only_in_the_guide(example_build: BuildResult) -> None:
    texts = texts_by_module(example_build)
    markers = ["EXPLANATION-Q1", "FEEDBACK-Q1-WRONG", "ACCEPTED-World Bank", "MODEL-ANSWER",
               "RUBRIC-names", "STRONG-ANSWER", "MISCONCEPTION", "FACILITATION-start",
               "SESSION-PLAN-mini", "INSTRUCTOR-NOTES", "INSTRUCTOR-READING-NOTE"]
    for marker in markers:
        assert squash(marker) in texts["example", "guide"], marker
        assert squash(marker) not in texts["example", "handout"], marker
        assert squash(marker) not in texts["example", "quiz"], marker


def test_guide_has_answer_key_with_total(example_build: BuildResult) -> None:
    guide = texts_by_module(example_build)["example", "guide"]
    assert squash("Answer key") in guide
    assert squash("Total 14") in guide  # 1 + 2 + 1 + 1 + 4 + 3 + 2 points
    assert squash("ex-q1 single choice A 1") in guide


def test_raw_html_in_content_is_shown_as_text(example_build: BuildResult) -> None:
    handout = texts_by_module(example_build)["example", "handout"]
    assert squash("<b>raw HTML</b>") in handout


def test_chinese_title_is_extractable(example_build: BuildResult) -> None:
    assert "中国应对气候变化的政策与行动" in texts_by_module(example_build)["example", "handout"]


RED_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMAAABkWAgIrqhPIAAAAAElFTkSuQmCC")


def test_an_image_beside_module_yaml_is_drawn(example_course: Path) -> None:
    (example_course / "modules/example/red.png").write_bytes(RED_PNG)
    module = example_course / "modules/example/module.yaml"
    module.write_text(module.read_text().replace(
        "  and shows that <b>raw HTML</b> stays text.",
        "  and shows that <b>raw HTML</b> stays text. ![A red square](red.png)"))
    course = load_course(example_course)
    handout = next(e for e in EDITIONS if e.kind == "handout")
    html = render_edition(course, course.modules[0], handout)
    assert 'src="modules/example/red.png" alt="A red square"' in html
    page = PdfReader(BytesIO(write_pdf(html, course.root))).pages[0]
    assert len(page.images) == 1


def test_the_example_quiz_takes_one_page_as_the_exam_class_sets_it(example_build: BuildResult
                                                                   ) -> None:
    """Issue 23's page target on the example course: LaTeX's exam class sets its seven items
    on one page (scripts/density.py), and so does the quiz, with the title block, the content
    advisory, the name line and the instructions above them."""
    pages = len(PdfReader(example_build.dist / "student/example-quiz.pdf").pages)
    assert pages == 1, f"the example quiz takes {pages} pages; see docs/performance.md"


@pytest.mark.parametrize("lengths, columns", [
    ((21, 7, 17), "cols-3"),       # three short options: one line, as the example's first item
    ((21, 7, 17, 12), "cols-2"),   # four of them: two lines of two (three columns leave one alone)
    ((15, 7, 17, 12), "cols-4"),   # short enough for four
    ((25, 7, 17), "cols-2"),       # one too long for a third of the line
    ((37, 7), ""),                 # one too long for half: a line each
])
def test_short_options_share_a_line_in_as_many_columns_as_fit(lengths: tuple[int, ...],
                                                              columns: str) -> None:
    course = load_course(EXAMPLE)
    module = course.modules[0]
    item = module.data["quiz"][0]
    assert item["type"] == "single_choice"
    item["options"] = [{"text": chr(ord("a") + i) * n, **({"correct": True} if i == 0 else {})}
                       for i, n in enumerate(lengths)]
    html = render_edition(course, module, EDITIONS[1])
    first = html[html.index('<section class="item'):]
    first = first[:first.index("</section>")]
    expected = f"options {columns}" if columns else "options"
    assert f'<ol class="{expected}" type="A">' in first
