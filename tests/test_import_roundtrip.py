"""Round trip: export the shipped course to GIFT and Moodle XML, import it back, compare."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from hscourse.course.load import load_file
from hscourse.course.project import load_course
from hscourse.formats.common import plain_text
from hscourse.formats.gift.write import export_gift
from hscourse.formats.importing import import_modules
from hscourse.formats.moodle.write import export_moodle
from hscourse.render.markdown import render_block

from lms.courses import REPO


def html(markdown: str) -> str:
    """Texts are equal when they render to the same HTML, up to HTML's insignificant
    whitespace (Moodle XML carries HTML, not the Markdown it came from)."""
    return re.sub(r"\s+", " ", str(render_block(markdown))).strip()


# Course metadata no LMS question format holds; a stimulus travels inside the prompt.
NOT_CARRIED = ("reading", "objective", "level", "as_of", "review_ignore", "stimulus", "prompt")


def comparable(item: dict[str, Any], fmt: str) -> dict[str, Any]:
    """The item as the format carries it: rendered texts, and without what it cannot hold."""
    out = copy.deepcopy({k: v for k, v in item.items() if k not in NOT_CARRIED})
    for key in ("prompt", "explanation", "model_answer"):
        if key in out:
            out[key] = html(out[key])
    for option in out.get("options", []):
        option["text"] = html(option["text"])
        if "feedback" in option:
            option["feedback"] = html(option["feedback"])
    for pair in out.get("pairs", []):
        pair["left"] = html(pair["left"])
        pair["right"] = plain_text(pair["right"])
    out["correct_order"] = [html(entry) for entry in out.get("correct_order", [])]
    for criterion in out.get("rubric", []):
        criterion["criterion"] = html(criterion["criterion"])
    if fmt == "gift":
        for key in ("model_answer", "rubric", "answer_lines"):
            out.pop(key, None)
    if fmt == "gift" or (fmt == "moodle" and out["type"] != "essay"):
        out.pop("answer_lines", None)
    return out


@pytest.mark.parametrize("fmt, exporter, name", [("moodle", export_moodle, "bank.xml"),
                                                 ("gift", export_gift, "bank.gift")])
def test_round_trip(tmp_path: Path, fmt: str, exporter: Any, name: str) -> None:
    course = load_course(REPO)
    (tmp_path / name).write_bytes(exporter(course)[0])
    modules, result = import_modules(tmp_path / name, tmp_path / "modules", split=True)
    assert result.notes == []
    # One module per category, titled from it: the course's modules, in order
    assert [m.data["title"] for m in modules] == [m.data["title"] for m in course.modules]
    imported = {i["id"]: i for m in modules
                for i in load_file(m.folder / "module.yaml", "module.yaml").data["quiz"]}
    original = [i for m in course.modules for i in m.data["quiz"]
                if fmt == "moodle" or i["type"] != "ordering"]  # GIFT has no ordering type
    assert list(imported) == [i["id"] for i in original]
    for item in original:
        back = imported[item["id"]]
        if fmt == "gift" and item["type"] == "essay":
            assert back["model_answer"].startswith("TO DO")
            assert back["rubric"][0]["criterion"].startswith("TO DO")
        assert comparable(back, fmt) == comparable(item, fmt), item["id"]
        assert html(back["prompt"]).endswith(html(item["prompt"])[3:]), item["id"]
