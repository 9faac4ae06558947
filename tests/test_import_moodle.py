"""Moodle XML import: types, feedback, points, images, and what it refuses."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from hscourse.course.load import load_file
from hscourse.errors import ContentError
from hscourse.formats.importing import import_bank, read_bank

BANK = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Imported Unit</text></category></question>
  <question type="multichoice">
    <name><text>Rivers 1</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Which <b>river</b>?
        <img src="@@PLUGINFILE@@/map.png" alt="map"></p>]]></text>
      <file name="map.png" path="/" encoding="base64">{png}</file></questiontext>
    <generalfeedback format="html"><text>&lt;p&gt;Because.&lt;/p&gt;</text></generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <single>true</single>
    <answer fraction="100" format="html"><text>Yangtze</text>
      <feedback format="html"><text>Yes</text></feedback></answer>
    <answer fraction="0" format="html"><text>Nile</text></answer>
  </question>
  <question type="numerical">
    <name><text>How many</text></name>
    <questiontext format="html"><text>2+2?</text></questiontext>
  </question>
  <question type="shortanswer">
    <name><text>short</text></name>
    <questiontext format="moodle_auto_format"><text>Name it</text></questiontext>
    <defaultgrade>1</defaultgrade>
    <answer fraction="100"><text>A\\*B</text></answer>
    <answer fraction="50"><text>AB</text></answer>
  </question>
</quiz>
"""


def write(tmp_path: Path, text: str) -> Path:
    source = tmp_path / "bank.xml"
    source.write_text(text)
    return source


def test_types_feedback_points_and_images(tmp_path: Path) -> None:
    png = b"\x89PNG fake"
    source = write(tmp_path, BANK.replace("{png}", base64.b64encode(png).decode()))
    written, result = import_bank(source, tmp_path / "rivers")
    data = load_file(written, "module.yaml").data
    assert data["title"] == "Imported Unit"
    first, second = data["quiz"]
    assert first["id"] == "rivers-1" and first["points"] == 2
    assert first["prompt"] == "Which **river**? ![map](<map.png>)"
    assert first["explanation"] == "Because."
    assert first["options"][0] == {"text": "Yangtze", "correct": True, "feedback": "Yes"}
    assert (tmp_path / "rivers" / "map.png").read_bytes() == png
    assert second["accepted_answers"] == ["A*B"]
    assert [(n.line, n.message.split(":")[0]) for n in result.notes] == [
        (17, "skipped a numerical question 'How many'"),
        (21, "answer 'AB' gave 50% credit")]


@pytest.mark.parametrize("text, message", [
    ('<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaa">]><quiz/>', "DOCTYPE"),
    ("<quiz><question>", "not well-formed"),
    ("<html/>", "not a Moodle XML question bank")])
def test_refuses_what_is_not_a_safe_question_bank(tmp_path: Path, text: str,
                                                  message: str) -> None:
    with pytest.raises(ContentError, match=message):
        read_bank(write(tmp_path, text), "x")


# The shape of qtype_ordering's own XML export (question/type/ordering/questiontype.php,
# export_to_xml): answers ranked by fraction, a subset shown when selecttype is not ALL.
ORDERING = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="ordering">
    <name><text>Sequence</text></name>
    <questiontext format="html"><text>Put them in order.</text></questiontext>
    <defaultgrade>3</defaultgrade>
    <layouttype>VERTICAL</layouttype>
    <selecttype>RANDOM</selecttype>
    <selectcount>2</selectcount>
    <gradingtype>ABSOLUTE_POSITION</gradingtype>
    <answer fraction="2.0000000" format="html"><text>Second</text></answer>
    <answer fraction="1.0000000" format="html"><text>First</text>
      <feedback format="html"><text>Well placed.</text></feedback></answer>
    <answer fraction="3.0000000" format="html"><text>&lt;p&gt;&lt;i&gt;Third&lt;/i&gt;&lt;/p&gt;</text></answer>
  </question>
</quiz>
"""


def test_an_ordering_question_becomes_an_ordering_item(tmp_path: Path) -> None:
    result = read_bank(write(tmp_path, ORDERING), "x")
    (item,) = result.items
    assert (item["type"], item["points"]) == ("ordering", 3)
    assert item["correct_order"] == ["First", "Second", "*Third*"]
    assert [n.message for n in result.notes] == [
        "Moodle shows 2 of the 3 entries; hscourse shows them all",
        "feedback on entry 'First' not carried: ordering items have no entry feedback"]
