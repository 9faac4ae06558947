"""`hscourse export --format ...` and the `exports:` setting the build writes."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from hscourse.cli import main
from hscourse.course.project import load_course
from hscourse.formats.lms import FORMATS, export_outputs, write_exports

from lms.courses import EXAMPLE


def run(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, ["export", "-p", str(EXAMPLE), *args])
    return outcome.exit_code, outcome.output


@pytest.mark.parametrize("fmt, start", [("moodle", "<?xml"), ("gift", "$CATEGORY:"),
                                        ("csv", "\ufeffitem_id,")])
def test_formats_to_standard_output(fmt: str, start: str) -> None:
    outcome = CliRunner().invoke(main, ["export", "-p", str(EXAMPLE), "--format", fmt])
    assert outcome.exit_code == 0 and outcome.stdout.startswith(start)
    # Moodle XML carries every item of the example (ordering as qtype_ordering); GIFT cannot
    assert ("warning: modules/example/module.yaml:" in outcome.stderr) == (fmt == "gift")


def test_qti_needs_a_file(tmp_path: Path) -> None:
    code, output = run("--format", "qti")
    assert code == 2 and "-o FILE.zip" in output
    code, _ = run("--format", "qti", "-o", str(tmp_path / "quiz.zip"))
    assert code == 0 and zipfile.is_zipfile(tmp_path / "quiz.zip")


def test_strict_fails_and_writes_nothing(tmp_path: Path) -> None:
    code, output = run("--format", "gift", "--strict", "-o", str(tmp_path / "bank.txt"))
    assert code == 1
    assert re.search(r"error: modules/example/module.yaml:\d+:5: quiz\[6\]: GIFT: item 'ex-q7'",
                     output)
    assert not (tmp_path / "bank.txt").exists()


def test_json_still_works() -> None:
    code, output = run("--format", "json")
    assert code == 0 and json.loads(output)["course"]["code"] == "EX 101"


def test_exports_setting_gives_manifest_entries(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(EXAMPLE, course)
    text = (course / "course.yaml").read_text() + "exports: [moodle, gift, qti, csv]\n"
    (course / "course.yaml").write_text(text)
    loaded = load_course(course)
    outputs, warnings = export_outputs(loaded)
    assert sorted(o.path for o in outputs) == [
        "lms/ex-101-answer-key.csv", "lms/ex-101-canvas-qti.zip", "lms/ex-101-gift.txt",
        "lms/ex-101-moodle.xml"]
    assert {o.kind for o in outputs} == {f"lms-{f}" for f in FORMATS}
    assert all(o.audience == "instructor" for o in outputs)
    assert any("ex-q7" in w.message for w in warnings)
    files, _ = write_exports(loaded, ["csv", "csv"])
    assert list(files) == ["lms/ex-101-answer-key.csv"]


def test_unknown_export_format_is_a_content_error(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(EXAMPLE, course)
    (course / "course.yaml").write_text((course / "course.yaml").read_text()
                                        + "exports: [blackboard]\n")
    outcome = CliRunner().invoke(main, ["check", "-p", str(course)])
    assert outcome.exit_code == 1 and "exports[0]" in outcome.output


def test_strict_exports_raise_every_format_s_warnings_merged(tmp_path: Path) -> None:
    """With --strict a build's exports fail together, each item's problem named once with
    every format that has it (not the first format's warnings alone)."""
    from hscourse.errors import ContentError

    course = tmp_path / "course"
    shutil.copytree(EXAMPLE, course)
    (course / "course.yaml").write_text((course / "course.yaml").read_text()
                                        + "exports: [gift, qti]\n")
    with pytest.raises(ContentError) as caught:
        export_outputs(load_course(course), strict=True)
    messages = [d.message for d in caught.value.diagnostics]
    assert sum("'ex-q7'" in m for m in messages) == 1
    assert any(m.startswith("GIFT and QTI: item 'ex-q5' (essay)") for m in messages), messages
