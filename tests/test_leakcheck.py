"""The leak check's matching rules, on plain-text and zip artefacts (no rendering needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hscourse.course.project import load_course
from hscourse.output import Output, zip_bytes
from hscourse.render.leakcheck import find_leaks, words
from hscourse.render.secrets import needles_for

EXAMPLE = Path(__file__).parent / "fixtures" / "course"


@pytest.fixture(scope="module")
def course():  # type: ignore[no-untyped-def]
    return load_course(EXAMPLE)


def student(path: str = "student/example-notes.txt") -> Output:
    return Output(path, "student", "notes", "example", "0" * 64)


def leaks(course, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.field for d in find_leaks(needles_for(course), {student(): text.encode()})]


def test_words_fold_case_punctuation_and_compatibility_forms() -> None:
    assert words("ＥＸＰＬＡＮＡＴＩＯＮ-Q1 “the  ﬁle”\u00ad") == ("explanationq1", "the", "file")
    assert words("non-refoulement non\u2011refoulement ｎｏｎ－ｒｅｆｏｕｌｅｍｅｎｔ non\u00adrefoulement") \
        == ("nonrefoulement",) * 4
    assert words("中国 应对") == ("中", "国", "应", "对")


def test_short_secret_found_whole_despite_layout(course) -> None:  # type: ignore[no-untyped-def]
    assert leaks(course, "... (accepted-WORLD\n  bank) ...") == ["quiz[3].accepted_answers[0]"]


def test_long_secret_found_by_a_piece_across_a_page_break(course) -> None:  # type: ignore[no-untyped-def]
    text = "Explanation-Q1 the notes on Postel and\nPage 1 of 2\nEX 101\nWolf say about"
    assert leaks(course, text) == ["quiz[0].explanation"]


def test_hyphenated_line_end_is_joined(course) -> None:  # type: ignore[no-untyped-def]
    assert leaks(course, "MODEL-ANSWER-unlike-\nly between states") == ["quiz[4].model_answer"]


def test_instructor_files_are_not_checked(course) -> None:  # type: ignore[no-untyped-def]
    guide = Output("instructor/x.txt", "instructor", "guide", "example", "0" * 64)
    assert find_leaks(needles_for(course), {guide: b"MODEL-ANSWER-unlikely between states."}) == []


def test_no_false_alarm_for_short_or_student_visible_text(course) -> None:  # type: ignore[no-untyped-def]
    """Answers like True, the matching pairs and ordering entries students see shuffled, and
    visible fields printed one after another are not leaks."""
    needles = needles_for(course)
    visible = ("True False World Bank Lagash Umma MATCH-RIGHT-mediator "
               "Lagash–Umma war Indus Waters Treaty Three Gorges Dam completed "
               "About 4,500 years ago In 1960 None of the above")
    assert leaks(course, visible) == []
    assert not needles.whole.keys() & {" true ", " world bank "}


def test_zip_members_are_searched(course) -> None:  # type: ignore[no-untyped-def]
    archive = zip_bytes({"a/clean.txt": b"nothing here", "b/notes.txt": b"FEEDBACK-Q1-RIGHT well done."})
    found = find_leaks(needles_for(course), {student("student/pack.zip"): archive})
    assert [d.field for d in found] == ["quiz[0].options[0].feedback"]
    assert "b/notes.txt: file text" in found[0].message


def test_unreadable_artefact_is_a_clean_problem(course) -> None:  # type: ignore[no-untyped-def]
    found = find_leaks(needles_for(course), {student("student/bad.pdf"): b"%PDF-1.7 truncated"})
    assert len(found) == 1 and "could not read" in found[0].message


# Labelled cases: text as PDF extractors give it (measured on WeasyPrint's PDFs: a hyphen at a
# line end is kept by both engines; in text set in a CJK font poppler drops the hyphen and PDFium
# gives U+FFFE for it; a soft hyphen shows only where the line breaks).
NOTES_EN = "The principle of non-refoulement binds every state."
NOTES_ZH = "不驱回原则（non-refoulement）是国际难民法的基石。"
SECRET_EN = "EXPLANATION-Q8 the principle of non-refoulement is customary international law."
SECRET_ZH = "讲解时强调：不驱回原则是习惯国际法，任何国家不得把难民送回危险之地。"

BENIGN = {  # student-visible text written or extracted differently: never a leak
    "author's hyphen at a line end": "The principle of non-\nrefoulement binds every state.",
    "hyphen dropped (poppler, CJK font)": "The principle of nonrefoulement binds every state.",
    "hyphen as U+FFFE (PDFium, CJK font)": "The principle of non\ufffeRefoulement binds every state.",
    "full-width forms": "Ｔｈｅ ｐｒｉｎｃｉｐｌｅ ｏｆ ｎｏｎ－ｒｅｆｏｕｌｅｍｅｎｔ ｂｉｎｄｓ ｅｖｅｒｙ ｓｔａｔｅ．",
    "soft hyphens": "The prin\u00adci\u00adple of non\u00adre\u00adfoule\u00adment binds every state.",
    "non-breaking hyphen": "The principle of non\u2011refoulement binds every state.",
    "layout hyphenation": "The principle of non-refoule\u2010\nment binds every state.",
    "zh, hyphen dropped": "不驱回原则（nonrefoulement）是国际难民法的基石。",
    "zh, half-width brackets, line breaks": "不驱回原\n则(non-\nrefoulement)是国际\n难民法的基石.",
    "zh, spaces between characters": "不 驱 回 原 则 （non-refoulement） 是 国 际 难 民 法 的 基 石 。",
    "accepted answer in other spelling": "nonrefoulement non-refoulement NON REFOULEMENT",
    "fields printed one after another": NOTES_EN + "\n" + NOTES_ZH + "\nnon-refoulement",
}
PLANTED = {  # an instructor-only text printed for students: always a leak
    "as written": SECRET_EN,
    "hyphens broken at line ends": "EXPLANATION-Q8 the principle of non-\nrefoulement is cus-"
                                   "\ntomary inter\u2010\nnational law.",
    "hyphen dropped (poppler, CJK font)": SECRET_EN.replace("non-", "non"),
    "hyphen as U+FFFE (PDFium, CJK font)": SECRET_EN.replace("non-", "non\ufffe"),
    "full-width forms": "ＥＸＰＬＡＮＡＴＩＯＮ－Ｑ８ ｔｈｅ ｐｒｉｎｃｉｐｌｅ ｏｆ ｎｏｎ－ｒｅｆｏｕｌｅｍｅｎｔ ｉｓ",
    "soft hyphens": "EXPLANATION-Q8 the prin\u00adci\u00adple of non-re\u00adfoule\u00adment is "
                    "cus\u00adto\u00admary",
    "upper case, ligature": "explanation-q8 THE PRINCIPLE OF NON-REFOULEMENT IS CUSTOMARY",
    "a piece before a page break": "the principle of non-refoulement is customary\n\fPage 2\n",
    "a piece after a page break": "Page 1\n\fof non-refoulement is customary international law.",
    "zh as written": SECRET_ZH,
    "zh, line breaks and spaces": "讲解时\n强调 : 不驱回原 则是习惯国际\n法",
    "zh, full-width to half-width punctuation": "强调:不驱回原则是习惯国际法,任何国家",
    "zh, tail only": "任何国家不得把难民送回危险之地",
}


@pytest.fixture(scope="module")
def refoulement(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The example course with non-refoulement in student notes (English and Chinese), a short
    answer accepting both spellings, and instructor-only texts that use the word."""
    from conftest import copy_course, replace_once

    root = copy_course(EXAMPLE, tmp_path_factory.mktemp("refoulement") / "course")
    module = root / "modules" / "example" / "module.yaml"
    replace_once(module, "    notes: A white paper published in Beijing.",
                 f"    notes: |\n      {NOTES_EN}\n\n      {NOTES_ZH}\n"
                 f"    instructor_notes: {SECRET_ZH}")
    replace_once(module, "instructor_notes:\n  session_plan:", f"""  - id: ex-q8
    type: short_answer
    prompt: Which principle forbids sending refugees back to danger?
    accepted_answers: [nonrefoulement, non-refoulement]
    answer_lines: 1
    points: 1
    explanation: {SECRET_EN}
instructor_notes:
  session_plan:""")
    return load_course(root)


def test_labelled_near_matches_and_planted_leaks(refoulement) -> None:  # type: ignore[no-untyped-def]
    false_alarms = [name for name, text in BENIGN.items() if leaks(refoulement, text)]
    caught = [name for name, text in PLANTED.items() if leaks(refoulement, text)]
    print(f"\nleak check: {len(caught)}/{len(PLANTED)} planted leaks caught, "
          f"{len(false_alarms)}/{len(BENIGN)} benign near-matches flagged")
    assert false_alarms == []
    assert sorted(set(PLANTED) - set(caught)) == []
    assert leaks(refoulement, SECRET_ZH) == ["readings[1].instructor_notes"]
    assert leaks(refoulement, SECRET_EN) == ["quiz[7].explanation"]


def test_a_chinese_handout_with_a_hyphenated_word_is_not_a_leak(refoulement) -> None:  # type: ignore[no-untyped-def]
    """The reported case, rendered: a zh-Hans course whose notes say non-refoulement (set in
    the CJK font, whose hyphen poppler drops and PDFium reads as U+FFFE, in a narrow column
    that breaks lines around it) and whose short answer accepts nonrefoulement."""
    from hscourse.render.html import EDITIONS, render_edition
    from hscourse.render.leakcheck import PAGE_TEXTS, artefact_channels
    from hscourse.render.pdf import write_pdf

    from conftest import replace_once

    root = refoulement.root
    replace_once(root / "course.yaml", "language: en", "language: zh-Hans\nextra_css: narrow.css")
    (root / "templates").mkdir()
    (root / "templates" / "narrow.css").write_text(".notes p { width: 24mm; }\n")
    course = load_course(root)
    handout = next(e for e in EDITIONS if e.kind == "handout")
    pdf = write_pdf(render_edition(course, course.modules[0], handout), course.root)
    channels = artefact_channels("handout.pdf", pdf)
    # How the two engines read it: not as written (the reported case)
    assert [re.search(r"non\W*refoulement", channels[c])[0] for c in PAGE_TEXTS] \
        == ["non\ufffe" + "refoulement", "nonrefoulement"]
    entry = Output("student/example-handout.pdf", "student", "handout", "example", "")
    assert find_leaks(needles_for(course), {entry: pdf}) == []
