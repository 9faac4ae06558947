"""The leak check's matching rules, on plain-text and zip artefacts (no rendering needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hscourse.course.project import load_course
from hscourse.output import Output, zip_bytes
from hscourse.render.leakcheck import Needles, find_leaks, words

EXAMPLE = Path(__file__).parent / "fixtures" / "course"


@pytest.fixture(scope="module")
def course():  # type: ignore[no-untyped-def]
    return load_course(EXAMPLE)


def student(path: str = "student/example-notes.txt") -> Output:
    return Output(path, "student", "notes", "example", "0" * 64)


def leaks(course, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.field for d in find_leaks(course, {student(): text.encode()})]


def test_words_fold_case_punctuation_and_compatibility_forms() -> None:
    assert words("ＥＸＰＬＡＮＡＴＩＯＮ-Q1 “the  ﬁle”\u00ad") == ("explanation", "q1", "the", "file")
    assert words("中国 应对") == ("中", "国", "应", "对")


def test_short_secret_found_whole_despite_layout(course) -> None:  # type: ignore[no-untyped-def]
    assert leaks(course, "... (accepted-WORLD\n  bank) ...") == ["quiz[3].accepted_answers[0]"]


def test_long_secret_found_by_a_piece_across_a_page_break(course) -> None:  # type: ignore[no-untyped-def]
    text = "Explanation-Q1 the notes on Postel\nPage 1 of 2\nEX 101\nand Wolf say about"
    assert leaks(course, text) == ["quiz[0].explanation"]


def test_hyphenated_line_end_is_joined(course) -> None:  # type: ignore[no-untyped-def]
    assert leaks(course, "MODEL-ANSWER-unlike-\nly between states") == ["quiz[4].model_answer"]


def test_instructor_files_are_not_checked(course) -> None:  # type: ignore[no-untyped-def]
    guide = Output("instructor/x.txt", "instructor", "guide", "example", "0" * 64)
    assert find_leaks(course, {guide: b"MODEL-ANSWER-unlikely between states."}) == []


def test_no_false_alarm_for_short_or_student_visible_text(course) -> None:  # type: ignore[no-untyped-def]
    """Answers like True, the matching pairs and ordering entries students see shuffled, and
    visible fields printed one after another are not leaks."""
    needles = Needles(course)
    visible = ("True False World Bank Lagash Umma MATCH-RIGHT-mediator "
               "Lagash–Umma war Indus Waters Treaty Three Gorges Dam completed "
               "About 4,500 years ago In 1960 None of the above")
    assert leaks(course, visible) == []
    assert not needles.whole.keys() & {" true ", " world bank "}


def test_zip_members_are_searched(course) -> None:  # type: ignore[no-untyped-def]
    archive = zip_bytes({"a/clean.txt": b"nothing here", "b/notes.txt": b"FEEDBACK-Q1-RIGHT well done."})
    found = find_leaks(course, {student("student/pack.zip"): archive})
    assert [d.field for d in found] == ["quiz[0].options[0].feedback"]
    assert "b/notes.txt: file text" in found[0].message


def test_unreadable_artefact_is_a_clean_problem(course) -> None:  # type: ignore[no-untyped-def]
    found = find_leaks(course, {student("student/bad.pdf"): b"%PDF-1.7 truncated"})
    assert len(found) == 1 and "could not read" in found[0].message
