"""Labels in the course's language: catalogues, overrides, local dates and numbers, scripts."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from hscourse.build import build, check_course
from hscourse.cli import main
from hscourse.course.resolve import load_resolved
from hscourse.errors import ContentError
from hscourse.options import Options
from hscourse.render.html import EDITIONS, render_edition
from hscourse.render.language import (
    PLACEHOLDER,
    Language,
    catalogue_languages,
    css_string,
    message_ids,
    messages,
    template_catalogue,
)

from conftest import EXAMPLE, REPO, copy_course, pdf_text, replace_once

SHIPPED = {"fr", "es", "de", "zh_Hans", "zh_Hant", "ar"}


def extracted_ids() -> set[object]:
    spec = importlib.util.spec_from_file_location("messages", REPO / "scripts" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {m.id for m in module.extracted() if m.id}


def test_the_catalogue_template_lists_exactly_the_messages_in_use() -> None:
    assert extracted_ids() == {m.id for m in template_catalogue() if m.id}, (
        "src/hscourse/locales/hscourse.pot is out of date: run `make messages`")


def test_the_shipped_languages_are_the_seven() -> None:
    assert set(catalogue_languages()) == {"en"} | {f.replace("_", "-") for f in SHIPPED}


def test_dates_and_numbers_follow_the_locale() -> None:
    assert Language("en").date("2027-01-11") == "11 January 2027"
    assert Language("en-US").date("2027-01-11") == "January 11, 2027"
    assert Language("fr").date("2027-01-11") == "11 janvier 2027"
    assert Language("zh-Hans").date("2027-01-11") == "2027年1月11日"
    assert Language("fr").number(1.5) == "1,5" and Language("en").number(2.0) == "2"
    assert Language("ar").direction == "rtl" and Language("fr").direction == "ltr"


def test_plurals_follow_the_language_rules() -> None:
    assert Language("en").ngettext("%(num)s point", "%(num)s points", 1) == "%(num)s point"
    assert Language("en").ngettext("%(num)s point", "%(num)s points", 1.5) == "%(num)s points"
    assert Language("fr").ngettext("%(num)s point", "%(num)s points", 1) != (
        Language("fr").ngettext("%(num)s point", "%(num)s points", 5))


def test_a_label_text_becomes_a_css_string_that_cannot_close_its_style() -> None:
    counters = {"page": "counter(page)", "pages": "counter(pages)"}
    assert css_string("Page %(page)s of %(pages)s", counters) == (
        '"Page " counter(page) " of " counter(pages)')
    assert css_string('第 %(page)s 页 "</style>', counters) == (
        '"第 " counter(page) " 页 \\"\\3c /style>"')


def with_language(tmp_path: Path, language: str, extra: str = "") -> Path:
    root = copy_course(EXAMPLE, tmp_path / "course")
    replace_once(root / "course.yaml", "language: en", f"language: {language}{extra}")
    return root


def test_labels_override_any_message(tmp_path: Path) -> None:
    root = with_language(tmp_path, "en", '\nlabels: {"Quiz": "Test", "Question %(number)s": '
                                         '"Item %(number)s"}')
    course = load_resolved(root)
    quiz = next(e for e in EDITIONS if e.kind == "quiz")
    html = render_edition(course, course.modules[0], quiz)
    assert "Item 1" in html and "Question 1" not in html
    assert re.search(r"<title>[^<]*— Test</title>", html)


def test_an_unknown_label_is_an_error_naming_its_line(tmp_path: Path) -> None:
    root = with_language(tmp_path, "en", '\nlabels: {"Quizz": "Test"}')
    with pytest.raises(ContentError) as caught:
        check_course(root, None)
    assert [str(d) for d in caught.value.diagnostics] == [
        "course.yaml:7:10: labels.Quizz: no label 'Quizz'; did you mean 'Quiz'? (labels are "
        "named by their English text, as listed in src/hscourse/locales/hscourse.pot)"]


def test_a_language_without_a_catalogue_prints_english_and_check_says_what(
        tmp_path: Path) -> None:
    root = with_language(tmp_path, "ja")
    result = CliRunner().invoke(main, ["check", "-p", str(root)])
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.stderr.splitlines() if "catalogue" in line)
    assert warning.startswith("warning: course.yaml:6:11: language: hscourse has no complete "
                              f"catalogue for 'ja', so {len(messages())} labels print in "
                              "English ('A strong answer covers'; 'Accepted answers:'; 'Activity'; ")


def test_labels_can_complete_a_language(tmp_path: Path) -> None:
    every = ", ".join(f'"{m}": "x"' for m in sorted(message_ids()))
    root = with_language(tmp_path, "ja", "\nlabels: {" + every + "}")
    assert not [w for w in check_course(root, None)[1] if "catalogue" in w.message]


ENGLISH_WORDS = re.compile(r"[A-Za-z][A-Za-z ,.;:()/–-]{5,}")


def english_fragments(content: str, language: Language) -> set[str]:
    """The English label texts (placeholders cut out) that neither the course's own text nor
    the language's own labels contain ("Question" is French too)."""
    translated = " ".join(language.gettext(m) for m in message_ids())
    out = set()
    for message in message_ids():
        for part in PLACEHOLDER.split(message):
            for words in ENGLISH_WORDS.findall(part):
                words = words.strip(" ,.;:()")
                if (len(words) >= 6 and words.lower() not in content
                        and words not in translated):
                    out.add(words)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fr", "zh-Hans", "ar"])
def test_a_course_in_another_language_prints_no_english_label(tmp_path: Path,
                                                               language: str) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    term = root / "terms" / "2027-spring.yaml"
    term.write_text(term.read_text(encoding="utf-8") + f"language: {language}\n",
                    encoding="utf-8")
    content = " ".join(p.read_text(encoding="utf-8").lower() for p in root.rglob("*.yaml"))
    result = build(root, term=term, options=Options(leak_check=False))
    fragments = english_fragments(content, Language(language))
    assert len(fragments) > 40
    for entry in result.outputs:
        if entry.path.endswith(".pdf"):
            text = pdf_text(result.dist / entry.path)
            left = sorted(f for f in fragments if f in text)
            assert not left, f"{entry.path} ({language}) prints English: {left}"
    handout = " ".join(pdf_text(result.dist / "student/example-handout.pdf").split())
    assert Language(language).date("2027-01-18") in handout  # the schedule line's date
    fonts = subprocess.run(["pdffonts", str(result.dist / "student/example-quiz.pdf")],
                           capture_output=True, text=True, check=True).stdout
    assert {"fr": "+Noto-Serif", "zh-Hans": "CJK-SC", "ar": "+Noto-Naskh-Arabic"}[language] in fonts


def test_right_to_left_pages_flip_direction_and_running_heads(tmp_path: Path) -> None:
    course = load_resolved(with_language(tmp_path, "ar"))
    quiz = next(e for e in EDITIONS if e.kind == "quiz")
    html = render_edition(course, course.modules[0], quiz)
    assert '<html lang="ar" dir="rtl">' in html
    assert "@page { @top-left { content: element(rh-module); } @top-right { content: element(rh-course); } }" in html
    english = render_edition(load_resolved(EXAMPLE), load_resolved(EXAMPLE).modules[0], quiz)
    assert 'dir="ltr"' in english and "element(rh-module); } @top-right" not in english
