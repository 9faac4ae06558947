"""Schema and course rules: every mistake reported at once, with file, line, field and remedy."""

from __future__ import annotations

from pathlib import Path

import pytest

from hscourse.course.project import load_course
from hscourse.errors import ContentError

from conftest import REPO, replace_once

BROKEN = REPO / "tests" / "fixtures" / "broken"
MODULE = "modules/example/module.yaml"


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_course(root)
    return [str(d) for d in caught.value.diagnostics]


def edit(course: Path, old: str, new: str, file: str = MODULE) -> None:
    replace_once(course / file, old, new)


def test_five_planted_mistakes_are_all_reported_with_their_lines() -> None:
    assert problems(BROKEN) == [
        "modules/broken/module.yaml:22:18: quiz[0].options[1].correct: "
        "expected true or false, got 'yes'; write true or false (unquoted, lowercase), e.g. true",
        "modules/broken/module.yaml:28:5: quiz[1].explantion: "
        "unknown field 'explantion'; did you mean 'explanation'?",
        "modules/broken/module.yaml:33:13: quiz[2].points: expected a number greater than 0, got 0",
        "modules/broken/module.yaml:41:7: quiz[3].options: "
        "a single_choice item needs exactly one correct option, found 2",
        "modules/broken/module.yaml:48:14: quiz[4].reading: "
        "no reading 'real-reeding' in this module; did you mean 'real-reading'?",
    ]


def test_the_example_and_shipped_courses_are_valid() -> None:
    assert [m.id for m in load_course(REPO / "tests/fixtures/course").modules] == ["example"]
    assert len(load_course(REPO).modules) == 5


def test_missing_required_field(example_course: Path) -> None:
    edit(example_course, "    explanation: EXPLANATION-Q3 most are within states.\n", "")
    assert problems(example_course) == [
        f"{MODULE}:63:5: quiz[2]: missing required field 'explanation'"]


def test_wrong_item_type_suggests_the_right_one(example_course: Path) -> None:
    edit(example_course, "type: true_false", "type: true_or_false")
    assert problems(example_course) == [
        f"{MODULE}:65:11: quiz[2].type: expected one of single_choice, multiple_answer, "
        "true_false, short_answer, essay, matching, ordering; got 'true_or_false'; "
        "did you mean 'true_false'?"]


def test_fields_of_another_item_type_are_unknown(example_course: Path) -> None:
    edit(example_course, "    answer: false\n", "    answer: false\n    accepted_answers: [x]\n")
    assert problems(example_course) == [
        f"{MODULE}:68:5: quiz[2].accepted_answers: unknown field 'accepted_answers'"]


def test_quoted_number_is_not_a_number(example_course: Path) -> None:
    edit(example_course, "    points: 4\n", "    points: '4'\n")
    assert problems(example_course) == [f"{MODULE}:86:13: quiz[4].points: expected a number, "
                                        "got '4'; write the number without quotes: 4"]


def test_module_id_must_match_its_folder(example_course: Path) -> None:
    edit(example_course, "id: example\n", "id: other\n")
    assert problems(example_course) == [
        f"{MODULE}:1:5: id: the id must match the folder name 'example', got 'other'"]


def test_ids_must_be_unique_across_the_course(example_course: Path) -> None:
    edit(example_course, "  - id: ex-q2\n", "  - id: ex-q1\n")
    assert problems(example_course) == [
        f"{MODULE}:53:9: quiz[1].id: id 'ex-q1' is already used at {MODULE}:39"]


def test_unknown_module_in_course_yaml(example_course: Path) -> None:
    edit(example_course, "  - example\n", "  - example\n  - exmple\n", file="course.yaml")
    assert problems(example_course) == [
        "course.yaml:11:5: modules[1]: no module file modules/exmple/module.yaml; "
        "did you mean 'example'?"]


def test_module_ids_cannot_leave_the_modules_folder(example_course: Path) -> None:
    edit(example_course, "  - example\n", "  - example\n  - ../secret\n", file="course.yaml")
    assert problems(example_course) == [
        "course.yaml:11:5: modules[1]: expected an id of lowercase letters, digits and hyphens "
        "(e.g. water-conflict), at most 64, and not a name Windows reserves (con, prn, aux, nul, "
        "com1, lpt1...), got '../secret'"]


def test_rubric_must_add_up(example_course: Path) -> None:
    edit(example_course, "RUBRIC-explains intra-state conflict, points: 2",
         "RUBRIC-explains intra-state conflict, points: 1")
    assert problems(example_course) == [
        f"{MODULE}:83:7: quiz[4].rubric: rubric points add up to 3, but the item is worth 4"]


def test_matching_values_must_be_distinct(example_course: Path) -> None:
    edit(example_course, "right: MATCH-RIGHT-mediator", "right: MATCH-RIGHT-city-state at war")
    assert problems(example_course) == [
        f"{MODULE}:92:7: quiz[5].pairs: right value 'MATCH-RIGHT-city-state at war' appears twice"]


def test_multiple_answer_needs_a_correct_option(example_course: Path) -> None:
    edit(example_course, "{text: Lagash, correct: true}", "{text: Lagash}")
    edit(example_course, "{text: Umma, correct: true}", "{text: Umma}")
    assert problems(example_course) == [
        f"{MODULE}:60:7: quiz[1].options: a multiple_answer item needs at least one correct option"]


def test_original_title_needs_its_language(example_course: Path) -> None:
    edit(example_course, "    original_lang: zh-Hans\n", "")
    assert problems(example_course) == [
        f"{MODULE}:26:5: readings[1].original_title: needs 'original_lang' as well"]


def test_errors_in_several_files_are_reported_together(example_course: Path) -> None:
    edit(example_course, "paper: Letter", "paper: Legal", file="course.yaml")
    edit(example_course, "    points: 2\n    explanation: EXPLANATION-Q2",
         "    points: -2\n    explanation: EXPLANATION-Q2")
    assert problems(example_course) == [
        "course.yaml:7:8: paper: expected one of A4, Letter; got 'Legal'",
        f"{MODULE}:57:13: quiz[1].points: expected a number greater than 0, got -2",
    ]


def test_markdown_headings_are_refused(example_course: Path) -> None:
    edit(example_course, "    notes: A white paper published in Beijing.\n",
         "    notes: |\n      # A big heading\n      A white paper published in Beijing.\n")
    assert problems(example_course) == [
        f"{MODULE}:29:12: readings[1].notes: Markdown headings (# or underlined) would break "
        "the document's heading order; use **bold text** instead"]


def test_update_and_as_of_dates_must_be_on_the_calendar(example_course: Path) -> None:
    edit(example_course, '  - date: "2026-10-15"', '  - date: "2026-02-30"')
    edit(example_course, 'as_of: "2026-11-01"', 'as_of: "2026-13-01"')
    assert problems(example_course) == [
        f"{MODULE}:108:8: as_of: '2026-13-01' is not a date on the calendar",
        f"{MODULE}:110:11: updates[0].date: '2026-02-30' is not a date on the calendar"]
