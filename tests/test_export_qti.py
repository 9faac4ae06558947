"""QTI 1.2 (Canvas) export, validated against the IMS QTI 1.2 schema from local files."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from hscourse.course.project import load_course
from hscourse.formats.common import xml_text
from hscourse.formats.qti import CANVAS_TYPES, export_qti

from lms.courses import EXAMPLE, PNG_1PX, REPO, edited_example
from lms.readers import FIXTURES, qti_errors

NS = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2",
      "cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def assessments(files: dict[str, bytes]) -> dict[str, bytes]:
    return {n: d for n, d in files.items() if n.endswith(".xml") and "/" in n
            and not n.endswith("assessment_meta.xml")}


def field(item: etree._Element, label: str) -> str:
    return item.xpath(f"q:itemmetadata//q:qtimetadatafield[q:fieldlabel='{label}']/q:fieldentry",
                      namespaces=NS)[0].text


def test_the_validator_accepts_a_real_canvas_export() -> None:
    real = FIXTURES / "qti/instructure-qti/all_canvas_simple_1.2.xml"
    assert qti_errors(real.read_bytes()) == []
    assert qti_errors(b'<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2">'
                      b'<item ident="x"><nonsense/></item></questestinterop>') != []


def test_shipped_course_validates_against_the_ims_schema() -> None:
    course = load_course(REPO)
    files = unzip(export_qti(course)[0])
    found = assessments(files)
    assert len(found) == len(course.modules)
    for name, xml in found.items():
        assert qti_errors(xml) == [], name
    manifest = etree.fromstring(files["imsmanifest.xml"])
    listed = set(manifest.xpath("//cp:file/@href", namespaces=NS))
    assert listed == set(files) - {"imsmanifest.xml"}


def test_canvas_question_types_points_and_feedback() -> None:
    files = unzip(export_qti(load_course(EXAMPLE))[0])
    (xml,) = assessments(files).values()
    items = {i.get("ident"): i for i in etree.fromstring(xml).iter(f"{{{NS['q']}}}item")}
    assert {k: field(i, "question_type") for k, i in items.items()} == {
        "ex-q1": "multiple_choice_question", "ex-q2": "multiple_answers_question",
        "ex-q3": "true_false_question", "ex-q4": "short_answer_question",
        "ex-q5": "essay_question", "ex-q6": "matching_question"}
    real = (FIXTURES / "qti/instructure-qti/all_canvas_simple_1.2.xml").read_text()
    assert all(kind in real for kind in CANVAS_TYPES.values())
    assert field(items["ex-q5"], "points_possible") == "4.0"
    feedback = {f.get("ident"): "".join(f.itertext()) for f in
                items["ex-q1"].iter(f"{{{NS['q']}}}itemfeedback")}
    assert "EXPLANATION-Q1" in feedback["general_fb"]
    assert "FEEDBACK-Q1-WRONG" in feedback["2_fb"]
    correct = items["ex-q1"].xpath("q:resprocessing/q:respcondition[q:setvar='100']"
                                   "/q:conditionvar/q:varequal", namespaces=NS)
    assert [v.text for v in correct] == ["1"]
    shorts = items["ex-q4"].xpath(".//q:respcondition[q:setvar]//q:varequal", namespaces=NS)
    assert [v.text for v in shorts] == ["ACCEPTED-World Bank", "ACCEPTED-the World Bank"]


def test_images_are_packaged(tmp_path: Path) -> None:
    course = edited_example(tmp_path, {"prompt": "![A map](map.png)"}, PNG_1PX)
    files = unzip(export_qti(load_course(course))[0])
    assert files["web_resources/example/map.png"] == PNG_1PX
    (xml,) = assessments(files).values()
    assert b"$IMS-CC-FILEBASE$/example/map.png" in xml
    assert qti_errors(xml) == []


def test_same_course_same_bytes_and_ordering_warned() -> None:
    first, warnings = export_qti(load_course(EXAMPLE))
    assert first == export_qti(load_course(EXAMPLE))[0]
    assert [w.message.split("'")[1] for w in warnings] == ["ex-q5", "ex-q7"]


@pytest.mark.parametrize("path", ["all_canvas_simple_1.2.xml"])
def test_fixture_question_types_are_the_ones_we_write(path: str) -> None:
    tree = etree.parse(str(FIXTURES / "qti/instructure-qti" / path))
    used = set(tree.xpath("//q:qtimetadatafield[q:fieldlabel='question_type']/q:fieldentry/text()",
                          namespaces=NS))
    assert set(CANVAS_TYPES.values()) <= used


def test_the_assessment_carries_the_course_language(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(EXAMPLE, course)
    yaml = course / "course.yaml"
    yaml.write_text(yaml.read_text().replace("language: en", "language: fr"))
    (xml,) = assessments(unzip(export_qti(load_course(course))[0])).values()
    assert qti_errors(xml) == []
    assessment = etree.fromstring(xml).find(f"{{{NS['q']}}}assessment")
    assert assessment.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"


def _xml_char(code: int) -> bool:
    """XML 1.0's Char production (section 2.2), as the specification writes it."""
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def test_xml_text_removes_exactly_what_xml_cannot_hold() -> None:
    every = "".join(map(chr, range(0x110000)))
    assert xml_text(every) == "".join(c for c in every if _xml_char(ord(c)))
    lxml_ok = xml_text("a\x00b\x1fc\ud800d\ufffee\U0001F600")
    assert etree.tostring(etree.Element("p", text=lxml_ok)) and lxml_ok == "abcde\U0001F600"
