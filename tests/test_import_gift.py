"""GIFT import: our reader against the parses gift-pegjs gives for real GIFT files, and a
fixture bank imported into a module that passes the check and builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hscourse.build import build
from hscourse.cli import main
from hscourse.course.project import load_course
from hscourse.formats.gift.read import parse
from hscourse.formats.importing import import_bank, read_bank

from lms.courses import EXAMPLE
from lms.readers import FIXTURES

GIFT = sorted((FIXTURES / "gift" / "gift-pegjs").glob("*.gift"))


def hard_breaks(text: str | None) -> str | None:
    """gift-pegjs keeps Markdown's two-space line ends; they do not change the text."""
    return text.replace("  \n", "\n") if text else text


@pytest.mark.parametrize("path", GIFT, ids=lambda p: p.stem)
def test_reader_agrees_with_gift_pegjs(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text())
    got = parse(path.read_text())
    assert [q.type for q in got] == [q["type"] for q in expected]
    for want, have in zip(expected, got):
        if want["type"] == "Category":
            assert have.title == want["title"]
            continue
        assert have.title == want["title"]
        if "<pre>" not in want["stem"]["text"]:
            assert hard_breaks(have.stem) == hard_breaks(want["stem"]["text"])
        assert have.general_feedback == (want.get("globalFeedback") or {}).get("text")
        if want["type"] in ("MC", "Short"):
            assert [(c.correct, c.weight, hard_breaks(c.text), c.feedback)
                    for c in have.choices] == [
                (c["isCorrect"], c["weight"], hard_breaks(c["text"]["text"]),
                 (c["feedback"] or {}).get("text")) for c in want["choices"]]
        if want["type"] == "Matching":
            assert have.pairs == [(p["subquestion"]["text"], p["subanswer"])
                                  for p in want["matchPairs"]]
        if want["type"] == "TF":
            assert have.is_true == want["isTrue"]


def test_what_cannot_be_carried_is_listed_with_its_line() -> None:
    source = FIXTURES / "gift/gift-pegjs/giftFormatPhpExamples.gift"
    result = read_bank(source, "grant")
    notes = [(n.line, n.message) for n in result.notes]
    assert (13, "skipped a numerical question: hscourse has no such item type") in notes
    assert (28, "option 'half credit answer' gave 50% credit: imported as wrong") in notes
    assert len(result.items) == 8
    feedback = {o.get("feedback") for i in result.items for o in i.get("options", [])}
    assert "Right answer!" in feedback


def test_points_and_tags_come_back(tmp_path: Path) -> None:
    (tmp_path / "bank.gift").write_text("// [points:2.5]\n// [tag:water]\n"
                                        "::q-one::Two?{=yes ~no}\n")
    item = read_bank(tmp_path / "bank.gift", "bank").items[0]
    assert (item["id"], item["points"], item["tags"]) == ("q-one", 2.5, ["water"])


def test_fixture_bank_imports_into_a_module_that_builds(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "modules").mkdir(parents=True)
    shutil.copy(EXAMPLE / "course.yaml", course / "course.yaml")
    source = FIXTURES / "gift/gift-pegjs/giftFormatPhpExamples.gift"
    outcome = CliRunner().invoke(main, ["import", str(source), "-o",
                                        str(course / "modules" / "example")])
    assert outcome.exit_code == 0, outcome.output
    assert "giftFormatPhpExamples.gift:13:1: skipped a numerical question" in outcome.output
    assert load_course(course).modules[0].id == "example"
    result = build(course)
    assert any(o.path.endswith(".pdf") for o in result.outputs)


def test_import_refuses_to_overwrite_and_bad_folder_names(tmp_path: Path) -> None:
    source = FIXTURES / "gift/gift-pegjs/mc1.gift"
    import_bank(source, tmp_path / "mc")
    for target in (tmp_path / "mc", tmp_path / "Bad_Name"):
        outcome = CliRunner().invoke(main, ["import", str(source), "-o", str(target)])
        assert outcome.exit_code == 1 and "Traceback" not in outcome.output
    assert "already exists" in CliRunner().invoke(
        main, ["import", str(source), "-o", str(tmp_path / "mc")]).output


def test_a_bank_with_nothing_importable_is_an_error(tmp_path: Path) -> None:
    source = FIXTURES / "gift/gift-pegjs/numerical1.gift"
    outcome = CliRunner().invoke(main, ["import", str(source), "-o", str(tmp_path / "n")])
    assert outcome.exit_code == 1
    assert "no question could be imported" in outcome.output
    assert not (tmp_path / "n" / "module.yaml").exists()
