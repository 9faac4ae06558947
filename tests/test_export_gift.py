"""GIFT export, read back by an independent parser (the npm package gift-pegjs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hscourse.course.project import load_course
from hscourse.errors import ContentError
from hscourse.formats.gift.write import export_gift

from lms.courses import EXAMPLE, PNG_1PX, REPO, edited_example
from lms.readers import parse_gift

PEG_TYPES = {"single_choice": "MC", "multiple_answer": "MC", "true_false": "TF",
             "short_answer": "Short", "essay": "Essay", "matching": "Matching"}


def test_shipped_course_parses_with_gift_pegjs() -> None:
    course = load_course(REPO)
    parsed = parse_gift(export_gift(course)[0].decode())
    categories = [q["title"] for q in parsed if q["type"] == "Category"]
    assert len(categories) == len(course.modules)
    assert all(c.startswith("$course$/top/HSC 210 ") for c in categories)
    expected = [(i["id"], PEG_TYPES[i["type"]], i["prompt"].strip())
                for m in course.modules for i in m.data["quiz"] if i["type"] != "ordering"]
    got = [(q["title"], q["type"], q["stem"]["text"]) for q in parsed if q["type"] != "Category"]
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    for (_, _, stem), (item, _, prompt) in zip(got, expected):  # a stimulus comes first
        assert stem.endswith(prompt), item


def test_every_type_with_feedback_and_weights() -> None:
    parsed = {q["title"]: q for q in parse_gift(export_gift(load_course(EXAMPLE))[0].decode())
              if q["type"] != "Category"}
    q1 = parsed["ex-q1"]
    assert [(c["isCorrect"], c["text"]["text"]) for c in q1["choices"]] == [
        (True, "About 4,500 years ago"), (False, "In 1960"), (False, "None of the above")]
    assert q1["choices"][0]["feedback"]["text"] == "FEEDBACK-Q1-RIGHT well done."
    assert q1["globalFeedback"]["text"].startswith("EXPLANATION-Q1")
    assert q1["stem"]["format"] == "markdown"
    assert [c["weight"] for c in parsed["ex-q2"]["choices"]] == [50, 50, -100]
    assert parsed["ex-q3"]["isTrue"] is False
    assert [c["text"]["text"] for c in parsed["ex-q4"]["choices"]] == [
        "ACCEPTED-World Bank", "ACCEPTED-the World Bank"]
    assert parsed["ex-q5"]["type"] == "Essay"
    assert [(p["subquestion"]["text"], p["subanswer"]) for p in parsed["ex-q6"]["matchPairs"]][1] \
        == ("World Bank", "MATCH-RIGHT-mediator")
    assert "ex-q7" not in parsed


def test_control_characters_and_newlines_survive(tmp_path: Path) -> None:
    nasty = "Escape ~ = # { } : and \\ here.\n\nA second paragraph // not a comment"
    course = edited_example(tmp_path, {
        "prompt": nasty, "explanation": "Why: {because} #1 = ~right~",
        "options": [{"text": "a = b", "correct": True, "feedback": "yes: #1 {x}"},
                    {"text": "~c~ \\ d"}]})
    parsed = parse_gift(export_gift(load_course(course))[0].decode())
    q1 = next(q for q in parsed if q.get("title") == "ex-q1")
    assert q1["stem"]["text"] == nasty
    assert q1["globalFeedback"]["text"] == "Why: {because} #1 = ~right~"
    assert [(c["text"]["text"], (c["feedback"] or {}).get("text")) for c in q1["choices"]] == [
        ("a = b", "yes: #1 {x}"), ("~c~ \\ d", None)]


def test_what_gift_cannot_carry_is_named_and_strict_refuses() -> None:
    course = load_course(EXAMPLE)
    _, warnings = export_gift(course)
    messages = [w.message for w in warnings]
    assert any("'ex-q7' (ordering) skipped" in m for m in messages)
    assert any("'ex-q5' (essay) exported without its rubric and model answer" in m
               for m in messages)
    assert all(w.file == "modules/example/module.yaml" and w.line > 0 for w in warnings)
    with pytest.raises(ContentError, match="ex-q7"):
        export_gift(course, strict=True)


def test_items_with_images_are_skipped(tmp_path: Path) -> None:
    course = edited_example(tmp_path, {"prompt": "![A map](map.png)"}, PNG_1PX)
    text, warnings = export_gift(load_course(course))
    assert "ex-q1" not in text.decode()
    assert any("'ex-q1' (single_choice) skipped: GIFT cannot carry images" in w.message
               for w in warnings)
