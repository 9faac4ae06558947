"""Moodle XML export, read back by lxml and checked against Moodle's import rules."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from lxml import etree

from hscourse.course.project import load_course
from hscourse.formats.common import multiple_answer_fractions
from hscourse.formats.moodle.write import export_moodle

from lms.courses import EXAMPLE, PNG_1PX, REPO, edited_example
from lms.readers import moodle_problems

ALLOWED = {100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
           14.28571, 12.5, 11.11111, 10, 5}


def questions(xml: bytes) -> dict[str, etree._Element]:
    root = etree.fromstring(xml)
    return {q.findtext("name/text"): q for q in root.iter("question")
            if q.get("type") != "category"}


def test_shipped_course_passes_moodle_import_rules() -> None:
    xml, warnings = export_moodle(load_course(REPO))
    assert moodle_problems(xml) == []
    course = load_course(REPO)
    assert set(questions(xml)) == {i["id"] for m in course.modules for i in m.data["quiz"]}
    assert warnings == []


def test_categories_per_course_term_and_module() -> None:
    root = etree.fromstring(export_moodle(load_course(EXAMPLE))[0])
    categories = [q.findtext("category/text") for q in root.iter("question")
                  if q.get("type") == "category"]
    assert categories == ["$course$/top/EX 101 Example Course/Autumn 2026/An Example Module"]


def test_every_type_and_its_feedback() -> None:
    found = questions(export_moodle(load_course(EXAMPLE))[0])
    assert {k: q.get("type") for k, q in found.items()} == {
        "ex-q1": "multichoice", "ex-q2": "multichoice", "ex-q3": "truefalse",
        "ex-q4": "shortanswer", "ex-q5": "essay", "ex-q6": "matching", "ex-q7": "ordering"}
    q1 = found["ex-q1"]
    assert q1.findtext("single") == "true"
    assert "EXPLANATION-Q1" in q1.findtext("generalfeedback/text")
    assert [a.findtext("feedback/text") for a in q1.findall("answer")][:2] == [
        "<p>FEEDBACK-Q1-RIGHT well done.</p>", "<p>FEEDBACK-Q1-WRONG the treaty year.</p>"]
    assert [a.get("fraction") for a in found["ex-q2"].findall("answer")] == ["50", "50", "-100"]
    assert [a.findtext("text") for a in found["ex-q3"].findall("answer")
            if a.get("fraction") == "100"] == ["false"]
    info = found["ex-q5"].findtext("graderinfo/text")
    assert "MODEL-ANSWER" in info and "RUBRIC-names the Lagash" in info
    assert found["ex-q5"].findtext("defaultgrade") == "4"
    assert [s.findtext("answer/text") for s in found["ex-q6"].findall("subquestion")][0] == \
        "MATCH-RIGHT-city-state at war"


@pytest.mark.parametrize("k, n, expected", [(1, 3, [100]), (2, 4, [50, 50]),
                                            (3, 5, [33.33333] * 3), (4, 4, [25] * 4),
                                            (6, 7, [16.66667] * 6)])
def test_multiple_answer_grades_come_from_the_allowed_list(k: int, n: int,
                                                           expected: list[float]) -> None:
    rights, wrong = multiple_answer_fractions(k, n)
    assert rights == expected
    assert (wrong < 0 and -wrong in ALLOWED) or (k == n and wrong == 0)


@pytest.mark.parametrize("k", range(1, 21))
def test_any_number_of_correct_options_adds_up_to_100(k: int) -> None:
    rights, _ = multiple_answer_fractions(k, k + 1)
    assert len(rights) == k and set(rights) <= ALLOWED and round(sum(rights), 2) == 100


def test_markdown_becomes_html_and_text_is_escaped(tmp_path: Path) -> None:
    course = edited_example(tmp_path, {"prompt": "Is *this* <script>alert(1)</script> & so?"})
    xml = export_moodle(load_course(course))[0]
    assert b"<script>" not in xml
    text = questions(xml)["ex-q1"].findtext("questiontext/text")
    assert text == "<p>Is <em>this</em> &lt;script&gt;alert(1)&lt;/script&gt; &amp; so?</p>"


def test_images_are_embedded_as_files(tmp_path: Path) -> None:
    png = PNG_1PX
    course = edited_example(tmp_path, {"prompt": "Look: ![A map](map.png)"}, png)
    q1 = questions(export_moodle(load_course(course))[0])["ex-q1"]
    assert '<img src="@@PLUGINFILE@@/map.png" alt="A map"' in q1.findtext("questiontext/text")
    file = q1.find("questiontext/file")
    assert file.get("name") == "map.png" and base64.b64decode(file.text) == png


def test_an_item_carries_its_stimulus(tmp_path: Path) -> None:
    course = edited_example(tmp_path, {"stimulus": "source-a"}, module={"stimuli": [
        {"id": "source-a", "title": "Source A", "text": "STIMULUS-TEXT about the Juhe."}]})
    text = questions(export_moodle(load_course(course))[0])["ex-q1"].findtext("questiontext/text")
    assert text.startswith("<p><strong>Source A</strong></p>\n<p>STIMULUS-TEXT about the Juhe.</p>")
    assert text.endswith("<p>When was the last recorded war between states over water?</p>")
