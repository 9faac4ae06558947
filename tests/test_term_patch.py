"""Term patches: fix an item, an option or a reading for one term without editing the module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hscourse.cli import main
from hscourse.course.compare import differences
from hscourse.course.load import warnings_of
from hscourse.course.model import Course, module_view
from hscourse.course.resolve import load_resolved
from hscourse.errors import ContentError

from conftest import EXAMPLE, copy_course, replace_once

TERM = "terms/2027-spring.yaml"
PATCH = """
    patch:
      ex-q1:
        prompt: When, roughly, was the last war between states over water?
        options: {b: {text: In 1960 (the Indus Waters Treaty), feedback: PATCHED-FEEDBACK}}
      postel-wolf-2001:
        notes: PATCHED-NOTES the last water war was about 4,500 years ago.
      ex-d1:
        minutes: 25
"""


def with_term(tmp_path: Path, extra: str) -> Path:
    root = copy_course(EXAMPLE, tmp_path / "course")
    term = root / TERM
    term.write_text(term.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_resolved(root, root / TERM)
    return [str(d) for d in caught.value.diagnostics]


def line_of(root: Path, text: str) -> int:
    lines = (root / TERM).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_a_patch_changes_item_option_reading_and_question_for_this_term_only(
        tmp_path: Path) -> None:
    root = with_term(tmp_path, PATCH)
    module_file = (root / "modules/example/module.yaml").read_bytes()
    course = load_resolved(root, root / TERM)
    data = course.modules[0].data
    item = next(i for i in data["quiz"] if i["id"] == "ex-q1")
    assert item["prompt"].startswith("When, roughly")
    assert item["options"][1] == {"text": "In 1960 (the Indus Waters Treaty)",
                                  "feedback": "PATCHED-FEEDBACK"}
    assert item["options"][0]["correct"] is True  # option A untouched
    assert data["readings"][0]["notes"].startswith("PATCHED-NOTES")
    assert data["discussion"][0]["minutes"] == 25
    assert (root / "modules/example/module.yaml").read_bytes() == module_file
    student = module_view(course.modules[0], "student", "seed")
    shown = next(i for i in student["quiz"] if i["id"] == "ex-q1")
    assert "PATCHED-FEEDBACK" not in str(shown)  # feedback stays instructor-only
    explained = {name: origin for name, _, origin in course.origins}
    assert explained["example.patch.ex-q1.prompt"] == f"{TERM}:{line_of(root, '      ex-q1:')}"
    plain = load_resolved(root)
    assert "example: quiz item ex-q1 differs in options, prompt" in differences(plain, course)
    assert "example: reading postel-wolf-2001 differs in notes" in differences(plain, course)


def test_patch_mistakes_are_reported_at_the_patch_line(tmp_path: Path) -> None:
    root = with_term(tmp_path, """
    patch:
      ex-qq1: {prompt: A question}
      ex-q1:
        type: essay
        points: ten
        options: {Z: {text: Far away}, a: {correct: false}}
""")
    found = problems(root)
    at = {text: line_of(root, text) for text in ("ex-qq1", "type: essay", "points: ten",
                                                 "options:")}
    assert (f"{TERM}:{at['ex-qq1']}:7: modules.example.patch.ex-qq1: module 'example' has no "
            f"quiz item, discussion question or reading 'ex-qq1' this term; did you mean 'ex-q1' or "
            f"'ex-q7' or 'ex-q6'?"
            in found)
    assert (f"{TERM}:{at['type: essay']}:9: modules.example.patch.ex-q1.type: a patch cannot "
            f"change an entry's type: exclude it and add a new one in an overlay file instead"
            in found)
    assert (f"{TERM}:{at['points: ten']}:17: modules.example.patch.ex-q1.points: expected a "
            f"number, got 'ten'" in found)
    assert (f"{TERM}:{at['options:']}:19: modules.example.patch.ex-q1.options.Z: no option 'Z': "
            f"the options are A to C" in found)
    assert (f"{TERM}:{at['options:']}:18: modules.example.patch.ex-q1.options: a single_choice "
            f"item needs exactly one correct option, found 0" in found)


def essay_worth_ten(root: Path) -> tuple[Course, dict[str, Any]]:
    """The term gives the essay ex-q5 (4 points, rubric 2 + 2) 10 points: the course, the essay."""
    replace_once(root / TERM, "points: {ex-q1: 5}", "points: {ex-q1: 5, ex-q5: 10}")
    course = load_resolved(root, root / TERM)
    return course, next(i for i in course.modules[0].data["quiz"] if i["id"] == "ex-q5")


def test_an_essay_points_change_rescales_its_rubric_and_says_exactly_how(
        tmp_path: Path) -> None:
    root = with_term(tmp_path, "")
    course, essay = essay_worth_ten(root)
    assert [c["points"] for c in essay["rubric"]] == [5, 5]
    messages = [w.message for w in warnings_of(course.sources)]
    assert ("essay 'ex-q5' goes from 4 to 10 points, so its rubric was rescaled (2 -> 5, "
            "2 -> 5); to set the rubric yourself, restate it under patch: ex-q5: rubric:"
            in messages)


def test_a_restated_rubric_is_used_as_written_and_must_add_up(tmp_path: Path) -> None:
    rubric = """
    patch:
      ex-q5:
        rubric:
          - {criterion: Names the war, points: 4}
          - {criterion: Explains it, points: %s}
"""
    root = with_term(tmp_path, rubric % "6")
    course, essay = essay_worth_ten(root)
    assert [c["points"] for c in essay["rubric"]] == [4, 6]
    assert not [w for w in warnings_of(course.sources) if "rescaled" in w.message]
    replace_once(root / TERM, "points: 6}", "points: 5}")
    assert any("patch.ex-q5.rubric: rubric points add up to 9, but the item is worth 10" in p
               for p in problems(root))


def test_check_reports_a_patch_mistake_with_its_line_through_the_cli(tmp_path: Path) -> None:
    root = with_term(tmp_path, "\n    patch:\n      ex-q1: {points: -1}\n")
    result = CliRunner().invoke(main, ["check", "-p", str(root), "-t", "2027-spring"])
    assert result.exit_code == 1
    assert (f"{TERM}:{line_of(root, 'points: -1')}:23: modules.example.patch.ex-q1.points: "
            f"expected a number greater than 0, got -1") in result.stderr
