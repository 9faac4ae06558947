"""QTI 1.2 for Canvas Classic Quizzes: a zip with one assessment (quiz) per module.

The zip holds `imsmanifest.xml`, for each module `<ident>/<ident>.xml` (the QTI assessment, in
Canvas's own shape: `question_type` and `points_possible` metadata, SCORE out of 100, feedback
as `itemfeedback`) and `<ident>/assessment_meta.xml` (the quiz settings Canvas reads), and the
images the texts show under `web_resources/`, referenced as `$IMS-CC-FILEBASE$/...` as Canvas's
own exports do. Canvas Classic Quizzes have no ordering type and no grader information for
essays: ordering items are skipped and essays lose their rubric, each with a warning.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

from hscourse.course.model import Course, Module
from hscourse.course.project import overlay_documents
from hscourse.errors import Diagnostic
from hscourse.formats.common import (
    Images,
    Item,
    Warnings,
    plain_text,
    points_text,
    quiz_items,
    xml_text,
)
from hscourse.output import zip_bytes
from hscourse.render.language import Language, language_of
from hscourse.render.pdf import source_date_epoch

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
CANVAS_TYPES = {"single_choice": "multiple_choice_question",
                "multiple_answer": "multiple_answers_question",
                "true_false": "true_false_question", "short_answer": "short_answer_question",
                "essay": "essay_question", "matching": "matching_question"}


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _q(tag), attrs)
    if text is not None:
        element.text = xml_text(text)
    return element


class _Texts:
    """Renders an item's Markdown, collecting the images for web_resources/<module>/."""

    def __init__(self, module: Module, module_dir: Path, language: Language):
        self.images = Images(module_dir)
        self.module, self.language = module, language

    def html(self, markdown: str, inline: bool = False) -> str:
        prefix = f"$IMS-CC-FILEBASE$/{quote(self.module.id)}/"
        return self.images.html(markdown, lambda name: prefix + quote(name), inline)


def _material(parent: ET.Element, text: str, texttype: str = "text/html") -> None:
    material = _sub(parent, "material")
    _sub(material, "mattext", text, texttype=texttype)


def _metadata(item_el: ET.Element, item: Item) -> None:
    fields = _sub(_sub(item_el, "itemmetadata"), "qtimetadata")
    for label, entry in (("question_type", CANVAS_TYPES[item["type"]]),
                         ("points_possible", str(float(item["points"])))):
        field = _sub(fields, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)


def _condition(processing: ET.Element, cont: str) -> tuple[ET.Element, ET.Element]:
    condition = _sub(processing, "respcondition", **{"continue": cont})
    return condition, _sub(condition, "conditionvar")


def _feedback_link(condition: ET.Element, ident: str) -> None:
    _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid=ident)


def _set_score(condition: ET.Element, value: str, action: str = "Set") -> None:
    _sub(condition, "setvar", value, action=action, varname="SCORE")


def _choices(presentation: ET.Element, labels: list[tuple[str, str]], multiple: bool) -> None:
    lid = _sub(presentation, "response_lid", ident="response1",
               rcardinality="Multiple" if multiple else "Single")
    render = _sub(lid, "render_choice")
    for ident, html in labels:
        _material(_sub(render, "response_label", ident=ident), html)


def _item(section: ET.Element, item: Item, texts: _Texts) -> None:
    kind = item["type"]
    item_el = _sub(section, "item", ident=item["id"], title=item["id"])
    _metadata(item_el, item)
    presentation = _sub(item_el, "presentation")
    _material(presentation, texts.html(item["prompt"]))
    processing = _sub(item_el, "resprocessing")
    outcomes = _sub(processing, "outcomes")
    _sub(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    feedback: dict[str, str] = {}
    if item.get("explanation"):
        condition, var = _condition(processing, "Yes")
        _sub(var, "other")
        _feedback_link(condition, "general_fb")
        feedback["general_fb"] = texts.html(item["explanation"])
    if kind in ("single_choice", "multiple_answer", "true_false"):
        if kind == "true_false":
            options = [{"text": texts.language.gettext("True"), "correct": item["answer"]},
                       {"text": texts.language.gettext("False"), "correct": not item["answer"]}]
        else:
            options = item["options"]
        labels = [str(i + 1) for i in range(len(options))]
        _choices(presentation, [(ident, texts.html(o["text"], inline=True))
                                for ident, o in zip(labels, options)],
                 kind == "multiple_answer")
        for ident, option in zip(labels, options):
            if option.get("feedback"):
                condition, var = _condition(processing, "Yes")
                _sub(var, "varequal", ident, respident="response1")
                _feedback_link(condition, f"{ident}_fb")
                feedback[f"{ident}_fb"] = texts.html(option["feedback"])
        condition, var = _condition(processing, "No")
        if kind == "multiple_answer":
            both = _sub(var, "and")
            for ident, option in zip(labels, options):
                parent = both if option.get("correct") else _sub(both, "not")
                _sub(parent, "varequal", ident, respident="response1")
        else:
            right = next(i for i, o in zip(labels, options) if o.get("correct"))
            _sub(var, "varequal", right, respident="response1")
        _set_score(condition, "100")
    elif kind in ("short_answer", "essay"):
        fib = _sub(_sub(presentation, "response_str", ident="response1", rcardinality="Single"),
                   "render_fib")
        _sub(fib, "response_label", ident="answer1", rshuffle="No")
        condition, var = _condition(processing, "No")
        if kind == "short_answer":
            for accepted in item["accepted_answers"]:
                _sub(var, "varequal", accepted, respident="response1")
            _set_score(condition, "100")
        else:
            _sub(var, "other")
    elif kind == "matching":
        rights = [plain_text(p["right"]) for p in item["pairs"]]
        share = points_text(round(100 / len(rights), 5))
        for i, pair in enumerate(item["pairs"]):
            lid = _sub(presentation, "response_lid", ident=f"response_{i + 1}")
            _material(lid, plain_text(pair["left"]), "text/plain")
            render = _sub(lid, "render_choice")
            for j, right in enumerate(rights):
                _material(_sub(render, "response_label", ident=str(j + 1)), right, "text/plain")
        for i in range(len(rights)):
            condition, var = _condition(processing, "Yes")
            _sub(var, "varequal", str(i + 1), respident=f"response_{i + 1}")
            _set_score(condition, share, "Add")
    for ident, html in feedback.items():
        _material(_sub(_sub(item_el, "itemfeedback", ident=ident), "flow_mat"), html)


def _assessment(course: Course, module: Module, title: str, items: list[tuple[int, Item]],
                warnings: Warnings) -> tuple[bytes, dict[str, Path], float]:
    root = ET.Element(_q("questestinterop"))
    assessment = _sub(root, "assessment", ident=_ident(module), title=title,
                      **{"{http://www.w3.org/XML/1998/namespace}lang": course.settings.language})
    field = _sub(_sub(assessment, "qtimetadata"), "qtimetadatafield")
    _sub(field, "fieldlabel", "cc_maxattempts")
    _sub(field, "fieldentry", "1")
    section = _sub(assessment, "section", ident="root_section")
    texts = _Texts(module, course.root / module.folder, language_of(course.settings))
    total = 0.0
    for index, item in items:
        if item["type"] not in CANVAS_TYPES:
            warnings.add(module, index, "skipped: Canvas Classic Quizzes have no ordering "
                                        "question type")
            continue
        if item["type"] == "essay":
            warnings.add(module, index, "exported without its rubric and model answer: "
                                        "Canvas quiz questions have no grader information")
        _item(section, item, texts)
        total += item["points"]
    ET.indent(root)
    return (ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n",
            texts.images.found, total)


def _ident(module: Module) -> str:
    return f"hsc-{module.id}"


def _meta(module: Module, title: str, points: float) -> bytes:
    quiz = ET.Element(f"{{{CANVAS_NS}}}quiz", identifier=_ident(module))
    for tag, value in (("title", title), ("shuffle_answers", "false"),
                       ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"),
                       ("points_possible", str(float(points))), ("allowed_attempts", "1")):
        ET.SubElement(quiz, f"{{{CANVAS_NS}}}{tag}").text = xml_text(value)
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"


def _manifest(course: Course, resources: list[tuple[str, str]],
              media: list[str]) -> bytes:
    def cp(tag: str) -> str:
        return f"{{{CP_NS}}}{tag}"

    manifest = ET.Element(cp("manifest"), identifier="hsc-" + "".join(
        c if c.isalnum() else "-" for c in course.settings.code.lower()))
    metadata = ET.SubElement(manifest, cp("metadata"))
    ET.SubElement(metadata, cp("schema")).text = "IMS Content"
    ET.SubElement(metadata, cp("schemaversion")).text = "1.1.3"
    ET.SubElement(manifest, cp("organizations"))
    listed = ET.SubElement(manifest, cp("resources"))
    for ident, folder in resources:
        resource = ET.SubElement(listed, cp("resource"), identifier=ident,
                                 type="imsqti_xmlv1p2")
        ET.SubElement(resource, cp("file"), href=f"{folder}/{ident}.xml")
        ET.SubElement(resource, cp("dependency"), identifierref=f"{ident}-meta")
        meta = ET.SubElement(listed, cp("resource"), identifier=f"{ident}-meta",
                             type="associatedcontent/imscc_xmlv1p1/learning-application-resource",
                             href=f"{folder}/assessment_meta.xml")
        ET.SubElement(meta, cp("file"), href=f"{folder}/assessment_meta.xml")
    for n, path in enumerate(media):
        resource = ET.SubElement(listed, cp("resource"), identifier=f"media-{n + 1}",
                                 type="webcontent", href=path)
        ET.SubElement(resource, cp("file"), href=path)
    ET.indent(manifest)
    return ET.tostring(manifest, encoding="utf-8", xml_declaration=True) + b"\n"


def qti_files(course: Course, strict: bool = False) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """The files of the QTI package by their path inside the zip, and the warnings."""
    ET.register_namespace("", QTI_NS)
    warnings = Warnings("QTI", overlay_documents(course))
    files: dict[str, bytes] = {}
    resources: list[tuple[str, str]] = []
    media: list[str] = []
    for module, view, items in quiz_items(course):
        ident = _ident(module)
        assessment, images, points = _assessment(course, module, view["title"], items,
                                                 warnings)
        files[f"{ident}/{ident}.xml"] = assessment
        files[f"{ident}/assessment_meta.xml"] = _meta(module, view["title"], points)
        resources.append((ident, ident))
        for name, path in sorted(images.items()):
            target = f"web_resources/{module.id}/{name}"
            files[target] = path.read_bytes()
            media.append(target)
    found = warnings.finish(strict)
    files = {"imsmanifest.xml": _manifest(course, resources, media), **files}
    return files, found


def export_qti(course: Course, strict: bool = False) -> tuple[bytes, list[Diagnostic]]:
    """The QTI package as zip bytes (the same course always gives the same bytes)."""
    files, found = qti_files(course, strict)
    return zip_bytes(files, source_date_epoch(course.settings.date)), found
