"""Findings 3, 7, 8, 9 and 14 of the second security pass: what a build writes, and where.

Reused PDFs carry the leak check they passed; two builds never interleave in one dist/; a no-op
build verifies every output against the manifest; a module with only its required fields
builds; term names cannot climb out of dist/ or into its folders; instructor files are private;
links inside dist/ are refused with a message.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from hscourse.build import Options, build
from hscourse.cli import main
from hscourse.errors import ContentError
from hscourse.output import TEMP_PREFIX, TEMP_SUFFIX, dist_lock

from conftest import EXAMPLE, copy_built, copy_course, prebuilt, prebuilt_example, replace_once

ONE_JOB = Options(jobs=1)
SECRET_TEXT = "EXPLANATION-Q1 the notes on Postel and Wolf say about 4,500 years ago."


def test_a_pdf_built_without_the_leak_check_is_checked_before_it_is_reused(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """On a copy of the example course built once per run: only the quiz renders again."""
    root = copy_built(prebuilt_example(tmp_path_factory), tmp_path / "course")
    (root / "templates").mkdir()
    (root / "templates/quiz.html.j2").write_text(  # typed in by hand: only the check sees it
        '{% extends "builtin/quiz.html.j2" %}{% block title_block %}{{ super() }}<p>'
        + SECRET_TEXT + "</p>{% endblock %}", encoding="utf-8")
    build(root, options=Options(jobs=1, leak_check=False))
    with pytest.raises(ContentError, match="appears in student/example-quiz.pdf"):
        build(root, options=ONE_JOB)


def test_a_second_build_into_the_same_folder_stops_with_a_message(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    with dist_lock((root / "dist").resolve()):
        with pytest.raises(ContentError, match="another hscourse build is writing to .*dist; "
                                               "wait for it to finish"):
            build(root, options=ONE_JOB)


def make_two_forms(root: Path) -> Path:
    copy_course(EXAMPLE, root)
    replace_once(root / "course.yaml", "paper: Letter", "paper: Letter\nversions: 2")
    return root


@pytest.fixture
def built(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example course with two forms, built (a copy of one built once per worker)."""
    return copy_built(prebuilt(tmp_path_factory, "two-forms", make_two_forms, ONE_JOB),
                      tmp_path / "course")


@pytest.mark.parametrize("damage", ["truncate a PDF", "delete a CSV", "replace a key CSV"])
def test_a_no_op_build_repairs_damaged_outputs(built: Path, damage: str) -> None:
    dist = built / "dist"
    target = {"truncate a PDF": dist / "student/example-quiz-A.pdf",
              "delete a CSV": dist / "instructor/example-key-B.csv",
              "replace a key CSV": dist / "instructor/example-key-A.csv"}[damage]
    original = target.read_bytes()
    if damage == "truncate a PDF":
        target.write_bytes(original[:100])
    elif damage == "delete a CSV":
        target.unlink()
    else:
        target.write_bytes(original.replace(b"A", b"B"))
    leftover = dist / "student" / f"{TEMP_PREFIX}x.pdf.1{TEMP_SUFFIX}"
    leftover.write_bytes(b"from a killed build")
    result = build(built, options=ONE_JOB)
    assert target.read_bytes() == original
    assert not leftover.exists()
    assert result.rendered == (["student/example-quiz-A.pdf"] if damage == "truncate a PDF"
                               else [])


def test_a_no_op_build_removes_temporaries_too(built: Path) -> None:
    leftover = built / "dist" / "instructor" / f"{TEMP_PREFIX}y.csv.2{TEMP_SUFFIX}"
    leftover.write_bytes(b"x")
    assert build(built, options=ONE_JOB).rendered == []
    assert not leftover.exists()


def test_instructor_outputs_are_private(built: Path) -> None:
    dist = built / "dist"
    assert stat.S_IMODE((dist / "instructor").stat().st_mode) == 0o700
    for path in (dist / "instructor").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in (dist / "student").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_a_link_inside_dist_is_refused_with_a_message(built: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    student = built / "dist/student"
    for path in student.iterdir():
        path.unlink()
    student.rmdir()
    student.symlink_to(elsewhere)
    result = CliRunner().invoke(main, ["build", "-q", "-p", str(built), "--jobs", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "dist/student is a symbolic link; hscourse writes only into real folders" \
        in result.output
    assert list(elsewhere.iterdir()) == []


def test_a_module_with_only_its_required_fields_builds(tmp_path: Path) -> None:
    root = tmp_path / "course"
    (root / "modules/bare").mkdir(parents=True)
    (root / "course.yaml").write_text(
        "title: Bare\ncode: B 1\nlanguage: en\npaper: A4\nmodules: [bare]\n", encoding="utf-8")
    (root / "modules/bare/module.yaml").write_text(
        "id: bare\ntitle: Bare\noverview: Only what is required.\nobjectives: [Read.]\n"
        "readings:\n  - id: r\n    authors: [A. Author]\n    title: A Text\n    date: '2020'\n"
        "    notes: Notes.\n", encoding="utf-8")
    result = build(root, options=ONE_JOB)
    assert {o.path for o in result.outputs} == {"student/bare-handout.pdf", "instructor/bare-guide.pdf"}


@pytest.mark.parametrize("name, message", [
    ("...yaml", "the term file's name '...yaml' must be an id"),
    ("student.yaml", "a term cannot be called 'student': dist/student/ holds other outputs"),
    ("Spring 2027.yaml", "the term file's name 'Spring 2027.yaml' must be an id"),
])
def test_term_names_cannot_leave_or_enter_dist_folders(tmp_path: Path, name: str,
                                                       message: str) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    term = root / "terms" / name
    term.write_text("term: Spring 2027\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "-q", "-p", str(root), "-t", str(term)])
    assert result.exit_code == 1 and message in result.output
    assert not (root / "dist").exists() and not (root / "student").exists()


@pytest.mark.parametrize("args, mode", [(["--format", "moodle"], 0o600),
                                        (["--format", "json", "--audience", "student"], 0o640)])
def test_export_files_follow_the_umask_and_keep_answers_private(tmp_path: Path, args: list[str],
                                                                mode: int) -> None:
    import os

    old = os.umask(0o027)
    try:
        out = tmp_path / "bank.out"
        result = CliRunner().invoke(main, ["export", "-p", str(EXAMPLE), *args, "-o", str(out)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_export_to_standard_output_works(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", "-p", str(EXAMPLE), "--format", "gift"])
    assert result.exit_code == 0 and "::ex-q1::" in result.output
