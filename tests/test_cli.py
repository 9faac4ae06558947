"""The command line, through Click's test runner: output, exit codes, help."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hscourse import __version__
from hscourse.cli import main

from conftest import EXAMPLE, REPO


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    assert run("--version") == (0, f"hscourse, version {__version__}\n", "")


def test_help_on_every_command() -> None:
    code, out, _ = run("--help")
    assert code == 0
    commands = [line.split()[0] for line in out.split("Commands:")[1].strip().splitlines()]
    assert {"build", "check", "schema", "export"} <= set(commands)
    for command in commands:
        code, text, _ = run(command, "--help")
        assert code == 0 and "Usage: " in text, command


def test_check_ok() -> None:
    assert run("check", "--project", str(EXAMPLE)) == (
        0, "OK: 1 module, 7 quiz items, no problems found.\n", "")


def test_check_reports_every_error_and_exits_1() -> None:
    code, out, err = run("check", "-p", str(REPO / "tests/fixtures/broken"))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert len(lines) == 6 and lines[-1] == "5 problems found; nothing was written."
    assert all(line.startswith("error: modules/broken/module.yaml:") for line in lines[:5])
    assert "Traceback" not in err


def test_missing_course_file_is_a_clean_error(tmp_path: Path) -> None:
    code, _, err = run("check", "-p", str(tmp_path))
    assert code == 1
    assert err.startswith(f"error: course.yaml: no course.yaml in {tmp_path.resolve()}: run "
                          "hscourse in a course folder, give one with --project, or start one "
                          "with `hscourse init DIR`")


def test_usage_error_exits_2() -> None:
    assert run("build", "--no-such-option")[0] == 2
    assert run("schema", "nonsense")[0] == 2


def test_schema_marks_instructor_only_fields() -> None:
    code, out, _ = run("schema", "module")
    schema = json.loads(out)
    assert code == 0 and schema["$schema"].endswith("2020-12/schema")
    reading = schema["properties"]["readings"]["items"]["properties"]
    assert reading["instructor_notes"]["x-instructor-only"] is True
    assert "x-instructor-only" not in reading["notes"]
    course = json.loads(run("schema", "course")[1])
    assert "modules" in course["required"]


def test_export_json_student_has_no_answers() -> None:
    code, out, _ = run("export", "--format", "json", "--audience", "student", "-p", str(EXAMPLE))
    assert code == 0
    data = json.loads(out)
    item = data["modules"][0]["quiz"][0]
    assert "explanation" not in item and all("correct" not in o for o in item["options"])
    assert "EXPLANATION-" not in out and "MODEL-ANSWER" not in out
    code, out, _ = run("export", "--format", "json", "-p", str(EXAMPLE))
    assert code == 0 and "EXPLANATION-Q1" in out


def test_build_writes_pdfs(tmp_path: Path) -> None:
    import shutil

    course = tmp_path / "course"
    shutil.copytree(EXAMPLE, course)
    code, out, err = run("build", "-p", str(course))
    assert code == 0, err
    assert out.splitlines()[-1] == (f"4 outputs in {course / 'dist'} (3 PDFs rendered, 1 other "
                                    "file written); see manifest.json")
    code, out, err = run("build", "-p", str(course))
    assert code == 0, err
    assert out.splitlines()[-1] == f"4 outputs in {course / 'dist'} (all unchanged)"
    text = (course / "modules" / "example" / "module.yaml").read_text(encoding="utf-8")
    text = text.replace("EXPLANATION-Q2 Lagash", "EXPLANATION-Q2 The cities Lagash", 1)
    (course / "modules" / "example" / "module.yaml").write_text(text, encoding="utf-8")
    code, out, err = run("build", "-p", str(course))  # only the guide shows explanations
    assert code == 0, err
    assert out.splitlines()[-1] == (f"4 outputs in {course / 'dist'} (1 PDF rendered, 2 "
                                    "unchanged, 1 other file written); see manifest.json")
    assert sorted(p.name for p in (course / "dist").rglob("*.pdf")) == [
        "example-guide.pdf", "example-handout.pdf", "example-quiz.pdf"]


def test_the_command_line_leaves_what_it_made_to_the_process_end() -> None:
    """run() freezes everything on its way out, so that Python's last collection at exit
    does not walk every object a build made (0.1 s of each command's end); the exit status
    and what the command printed are unchanged."""
    import subprocess
    import sys

    probe = ("import atexit, gc, sys; from hscourse import cli; "
             "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 1000)); "
             f"sys.argv = ['hscourse', 'check', '--project', {str(EXAMPLE)!r}]; cli.run()")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "frozen True"
    assert "problem" not in done.stderr
