"""Authoring without surprises: `check` refuses what `build` would, and finds the course and
its terms the way an instructor names them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from hscourse.build import Options, build
from hscourse.cli import main
from hscourse.errors import ContentError

from conftest import EXAMPLE, copy_course, replace_once

MODULE = "modules/example/module.yaml"


def run(args: list[str], cwd: Path | None = None):
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(old)


def test_a_term_is_found_by_its_name(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    result = run(["config", "-p", str(root), "-t", "2027-spring"])
    assert result.exit_code == 0 and "Spring 2027" in result.output


def test_an_unknown_term_is_a_usage_error_naming_the_terms(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    result = run(["check", "-p", str(root), "-t", "2027-sprung"])
    assert result.exit_code == 2
    assert ("no term '2027-sprung': neither 2027-sprung nor terms/2027-sprung.yaml exists; "
            "terms here: 2027-autumn, 2027-spring") in result.output


def test_the_course_is_found_from_a_subfolder(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    result = run(["check"], cwd=root / "modules" / "example")
    assert result.exit_code == 0 and "OK: 1 module" in result.output


def test_a_placeholder_in_a_setting_is_refused_by_check_and_build(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    replace_once(root / "course.yaml", "instructor: Dr. Example", "instructor: Your Name")
    result = run(["check", "-p", str(root)])
    assert result.exit_code == 1
    assert "course.yaml:4: instructor: 'Your Name' is a placeholder" in result.output
    with pytest.raises(ContentError, match="'Your Name' is a placeholder"):
        build(root, options=Options(jobs=1))


def test_placeholders_in_a_draft_module_are_warnings_and_build(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    replace_once(root / MODULE, "credit: Written for the hscourse tests.",
                 "credit: TO DO write the credit line\ndraft: true")
    result = run(["check", "-p", str(root)])
    assert result.exit_code == 0, result.output
    assert "warning: modules/example/module.yaml" in result.output and "1 warning" in result.output
    replace_once(root / MODULE, "draft: true", "draft: false")
    assert run(["check", "-p", str(root)]).exit_code == 1
    with pytest.raises(ContentError, match="is a placeholder"):
        build(root, options=Options(jobs=1))


def test_check_runs_the_font_coverage_check(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    replace_once(root / MODULE, "credit: Written for the hscourse tests.",
                 "credit: Written for the hscourse tests \ue000.")
    result = run(["check", "-p", str(root)])
    assert result.exit_code == 1 and "U+E000" in result.output


def test_an_imported_bank_is_a_draft_that_builds_with_warnings(tmp_path: Path) -> None:
    from lms.readers import FIXTURES

    root = copy_course(EXAMPLE, tmp_path / "course")
    result = run(["import", str(FIXTURES / "gift/gift-pegjs/mc1.gift"), "-o",
                  str(root / "modules/imported")])
    assert result.exit_code == 0 and "then remove `draft: true`" in result.output
    replace_once(root / "course.yaml", "  - example\n", "  - example\n  - imported\n")
    checked = run(["check", "-p", str(root)])
    assert checked.exit_code == 0 and "is a placeholder" in checked.output, checked.output
    from hscourse.course.resolve import load_resolved
    from hscourse.render.html import EDITIONS, render_edition

    course = load_resolved(root)
    html = render_edition(course, course.module("imported"), EDITIONS[0])
    assert '<strong class="draft">Draft</strong>' in html


def test_choices_are_read_in_any_case(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    replace_once(root / "course.yaml", "paper: Letter", "paper: letter")
    replace_once(root / MODULE, "type: single_choice", "type: Single_Choice")
    from hscourse.course.project import load_course

    course = load_course(root)
    assert course.settings.paper == "Letter"
    assert course.modules[0].data["quiz"][0]["type"] == "single_choice"
    replace_once(root / "course.yaml", "paper: letter", "paper: letterr")
    result = run(["check", "-p", str(root)])
    assert result.exit_code == 1 and "expected one of A4, Letter; got 'letterr'" in result.output
