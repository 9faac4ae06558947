"""Moodle XML: the whole course as one question bank, a category per course, term and module.

Markdown becomes HTML; images shown by a text are embedded as base64 `<file>` elements of that
text and referenced as @@PLUGINFILE@@/name, as Moodle's own export does. Grades come only from
Moodle's list of allowed fractions, so an import is never refused. Ordering items are written as
the Ordering question type (qtype_ordering: standard from Moodle 4.4, a plugin before), in the
form of that plugin's own XML export: the entries in their correct order, all shown, graded by
absolute position (as `hscourse grade` scores them); `moodle_ordering: false` skips them with a
warning instead, for a Moodle without the type.
"""

from __future__ import annotations

import base64
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
    grader_info_markdown,
    moodle_category,
    multiple_answer_fractions,
    plain_text,
    points_text,
    quiz_items,
    xml_text,
)


def _fraction(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.7g}"


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    ET.SubElement(element, "text").text = xml_text(value)
    return element


def _html(parent: ET.Element, tag: str, markdown: str, module_dir: Path,
          inline: bool = False) -> ET.Element:
    """A text element holding the Markdown as HTML, with the images it shows as files."""
    images = Images(module_dir)
    rendered = images.html(markdown, lambda name: "@@PLUGINFILE@@/" + quote(name),
                           inline) if markdown else ""
    element = _text(parent, tag, rendered)
    element.set("format", "html")
    for name, path in sorted(images.found.items()):
        file = ET.SubElement(element, "file", name=name, path="/", encoding="base64")
        file.text = base64.b64encode(path.read_bytes()).decode("ascii")
    return element


def _simple(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = value


def _question(bank: ET.Element, kind: str, item: Item, module_dir: Path) -> ET.Element:
    question = ET.SubElement(bank, "question", type=kind)
    _text(question, "name", item["id"])
    _html(question, "questiontext", item["prompt"], module_dir)
    _html(question, "generalfeedback", item.get("explanation", ""), module_dir)
    _simple(question, "defaultgrade", points_text(item["points"]))
    _simple(question, "penalty", "0")
    _simple(question, "hidden", "0")
    _simple(question, "idnumber", item["id"])
    return question


def _answer(question: ET.Element, fraction: float, text: str, feedback: str, module_dir: Path,
            html: bool = True) -> None:
    if html:
        answer = _html(question, "answer", text, module_dir, inline=True)
    else:
        answer = _text(question, "answer", text)
        answer.set("format", "moodle_auto_format")
    answer.set("fraction", _fraction(fraction))
    _html(answer, "feedback", feedback, module_dir)


def _choice(bank: ET.Element, item: Item, module_dir: Path, warnings: Warnings,
            module: Module, index: int) -> ET.Element | None:
    options = item["options"]
    correct = [o for o in options if o.get("correct")]
    if item["type"] == "single_choice":
        fractions = [100.0 if o.get("correct") else 0.0 for o in options]
    else:
        split = multiple_answer_fractions(len(correct), len(options))
        if split is None:
            warnings.add(module, index, "skipped: Moodle's grade list cannot share 100% "
                                        f"among {len(correct)} correct options")
            return None
        rights, wrong = iter(split[0]), split[1]
        fractions = [next(rights) if o.get("correct") else wrong for o in options]
    question = _question(bank, "multichoice", item, module_dir)
    _simple(question, "single", "true" if item["type"] == "single_choice" else "false")
    _simple(question, "shuffleanswers", "0" if any(o.get("fixed") for o in options) else "1")
    _simple(question, "answernumbering", "abc")
    for option, fraction in zip(options, fractions):
        _answer(question, fraction, option["text"], option.get("feedback", ""), module_dir)
    return question


def ordering_type(course: Course) -> bool:
    """Whether ordering items go out as qtype_ordering (the `moodle_ordering` setting)."""
    return course.settings.moodle_ordering


def _ordering(bank: ET.Element, item: Item, module_dir: Path) -> ET.Element:
    """An ordering item as qtype_ordering writes it: answers in the correct order (their
    fraction is only their rank), every entry shown, one mark per entry in its place."""
    question = _question(bank, "ordering", item, module_dir)
    entries = item["correct_order"]
    for tag, value in (("layouttype", "VERTICAL"), ("selecttype", "ALL"),
                       ("selectcount", str(len(entries))), ("gradingtype", "ABSOLUTE_POSITION"),
                       ("showgrading", "SHOW"), ("numberingstyle", "none")):
        _simple(question, tag, value)
    for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        _html(question, tag, "", module_dir)
    _simple(question, "shownumcorrect", "1")
    for rank, entry in enumerate(entries, start=1):
        _answer(question, rank, entry, "", module_dir)
    return question


def _item(bank: ET.Element, item: Item, module_dir: Path, warnings: Warnings, module: Module,
          index: int, ordering: bool = True) -> ET.Element | None:
    kind = item["type"]
    if kind in ("single_choice", "multiple_answer"):
        return _choice(bank, item, module_dir, warnings, module, index)
    if kind == "true_false":
        question = _question(bank, "truefalse", item, module_dir)
        for value in (True, False):
            _answer(question, 100 if item["answer"] is value else 0, str(value).lower(), "",
                    module_dir, html=False)
        return question
    if kind == "short_answer":
        question = _question(bank, "shortanswer", item, module_dir)
        _simple(question, "usecase", "0")
        for accepted in item["accepted_answers"]:
            _answer(question, 100, accepted.replace("*", r"\*"), "", module_dir, html=False)
        return question
    if kind == "essay":
        question = _question(bank, "essay", item, module_dir)
        _simple(question, "responseformat", "editor")
        _simple(question, "responserequired", "1")
        _simple(question, "responsefieldlines", str(item["answer_lines"]))
        _simple(question, "attachments", "0")
        _html(question, "graderinfo", grader_info_markdown(item), module_dir)
        _html(question, "responsetemplate", "", module_dir)
        return question
    if kind == "matching":
        question = _question(bank, "matching", item, module_dir)
        _simple(question, "shuffleanswers", "true")
        for pair in item["pairs"]:
            sub = _html(question, "subquestion", pair["left"], module_dir, inline=True)
            _text(sub, "answer", plain_text(pair["right"]))
        return question
    if ordering:
        return _ordering(bank, item, module_dir)
    warnings.add(module, index, "skipped: `moodle_ordering: false` is set (set it to true "
                                "for a Moodle with the Ordering question type, standard from "
                                "Moodle 4.4)")
    return None


def export_moodle(course: Course, strict: bool = False) -> tuple[bytes, list[Diagnostic]]:
    """The course's quiz items as Moodle XML bytes, and the warnings."""
    warnings = Warnings("Moodle XML", overlay_documents(course))
    bank = ET.Element("quiz")
    ordering = ordering_type(course)
    for module, view, items in quiz_items(course):
        category = ET.SubElement(bank, "question", type="category")
        _text(category, "category", moodle_category(course, view["title"]))
        _text(category, "info", "").set("format", "html")
        module_dir = course.root / module.folder
        for index, item in items:
            question = _item(bank, item, module_dir, warnings, module, index, ordering)
            if question is not None and item.get("tags"):
                tags = ET.SubElement(question, "tags")
                for tag in item["tags"]:
                    _text(tags, "tag", tag)
    found = warnings.finish(strict)
    ET.indent(bank)
    return ET.tostring(bank, encoding="utf-8", xml_declaration=True) + b"\n", found
