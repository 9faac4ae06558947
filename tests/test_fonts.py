"""Issue 8: named font stacks per script, and the check that every character has a font."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hscourse.course.project import load_course
from hscourse.errors import ContentError
from hscourse.render import fonts

from conftest import REPO

MODULE = "modules/example/module.yaml"


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """Tests that fake fontconfig must not leave their answers in the process-wide cache."""
    for cached in (fonts.coverage, fonts.covered_points, fonts._fc_list):
        cached.cache_clear()
    yield
    for cached in (fonts.coverage, fonts.covered_points, fonts._fc_list):
        cached.cache_clear()


def plant(course: Path, text: str) -> int:
    """Put text into the last line of the example's overview; return that line's number."""
    path = course / MODULE
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "shows that <b>raw HTML" in line)
    lines[number - 1] += f" {text}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return number


def test_the_shipped_course_has_a_font_for_every_character() -> None:
    assert fonts.coverage_errors(load_course(REPO)) == []


def test_every_configured_font_is_installed() -> None:
    missing = [f.family for f in fonts.configured_fonts() if not fonts.coverage(f.family)]
    assert not missing, f"run `make setup` (scripts/setup.sh installs them): {missing}"


def test_simplified_chinese_comes_before_any_fallback_for_latin_and_zh_hans() -> None:
    stacks = fonts.template_fonts()
    assert stacks["base"]["serif"].startswith("Noto Serif, Noto Serif CJK SC,")
    assert stacks["base"]["sans"].startswith("Noto Sans, Noto Sans CJK SC,")
    scripts = dict(stacks["scripts"])
    assert scripts[fonts.script_class("zh-Hans")]["serif"].startswith("Noto Serif CJK SC,")
    assert scripts[fonts.script_class("zh-Hant")]["sans"].startswith("Noto Sans CJK TC,")
    assert fonts.template_fonts("zh-Hant-TW")["base"]["serif"].startswith("Noto Serif CJK TC,")


@pytest.mark.parametrize(("lang", "stack"), [
    ("zh", "han-simplified"), ("zh-Hant-TW", "han-traditional"), ("zh-tw", "han-traditional"),
    ("zh-CN", "han-simplified"), ("ar-EG", "arabic"), ("ja", "japanese"), ("en-GB", "latin"),
    ("fr", "latin"), ("zhx", "latin")])
def test_a_language_tag_takes_the_stack_of_its_longest_listed_prefix(lang: str, stack: str
                                                                     ) -> None:
    assert fonts.stack_name(lang) == stack
    for font in fonts.configured_fonts():  # written into CSS unquoted, so plain words only
        assert re.fullmatch(r"[A-Za-z]+( [A-Za-z]+)*", font.family)


def test_parse_charset_reads_fontconfig_ranges() -> None:
    assert fonts.parse_charset("20-22 a0\n4e00-4e01") == {0x20, 0x21, 0x22, 0xA0, 0x4E00, 0x4E01}


@pytest.mark.parametrize(("char", "advice"), [
    ("\ue000", "private-use character"),
    ("\U00010480", "fonts-noto-core"),
])
def test_a_character_no_font_covers_is_an_error_with_file_line_and_package(
        example_course: Path, char: str, advice: str) -> None:
    line = plant(example_course, f"x{char}y")
    course = load_course(example_course)
    with pytest.raises(ContentError) as caught:
        fonts.check_coverage(course)
    [problem] = caught.value.diagnostics
    assert (problem.file, problem.line, problem.field) == (MODULE, line, "overview")
    source = (example_course / MODULE).read_text(encoding="utf-8").splitlines()[line - 1]
    assert source[problem.column - 1] == char
    assert f"U+{ord(char):04X}" in problem.message and advice in problem.message


def test_without_cjk_fonts_chinese_text_asks_for_fonts_noto_cjk(
        fresh_cache: None, monkeypatch: pytest.MonkeyPatch) -> None:
    real = fonts.coverage.__wrapped__
    monkeypatch.setattr(fonts, "coverage",
                        lambda family: fonts.CodePoints([]) if "CJK" in family else real(family))
    problems = fonts.coverage_errors(load_course(REPO))
    chinese = {"中", "国", "应", "对"}
    assert chinese <= {p.message.split("'")[1] for p in problems}
    assert all("sudo apt-get install fonts-noto-cjk" in p.message for p in problems)
    with_chinese = {f"modules/{m.id}/module.yaml" for m in load_course(REPO).modules
                    if any("\u4e00" <= ch <= "\u9fff" for ch in str(m.data))}
    assert "modules/water-conflict/module.yaml" in with_chinese
    assert {p.file for p in problems} == with_chinese


def test_without_fc_list_the_check_says_what_to_install(
        fresh_cache: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)
    [problem] = fonts.coverage_errors(load_course(REPO))
    assert "install the Debian package fontconfig" in problem.message


def test_the_check_reads_only_the_fonts_it_needs(fresh_cache: None, example_course: Path
                                                 ) -> None:
    """The example's text is Latin and Simplified Chinese (and line breaks, which no font
    has but none needs): the first two fonts cover it, and the other twelve are not read."""
    assert fonts.coverage_errors(load_course(example_course)) == []
    families = list(dict.fromkeys(f.family for f in fonts.configured_fonts()))
    assert families[:2] == ["Noto Serif", "Noto Serif CJK SC"]
    assert fonts.coverage.cache_info().currsize == 2
