"""Read Moodle XML question banks into hscourse quiz items.

The file is parsed with expat directly so that every element keeps its source line, and so that
a document type declaration (the way to entity-expansion attacks) is refused outright.
Embedded images (`<file encoding="base64">`) become files of the module. Question types hscourse
has no counterpart for (numerical, cloze, calculated, description, ...) are listed with their
line. An essay's grader information written by hscourse's exporter gives back its model answer
and rubric; any other grader information becomes the model answer.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import Any
from xml.parsers import expat

from hscourse.errors import ContentError, Diagnostic
from hscourse.importers.to_module import Imported, Text, markdown_from, new_item, \
    plain_from_html

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")
_RUBRIC_LINE = re.compile(r"^- (.+) \((\d+(?:\.\d+)?) points?\)$")


class _Tree:
    """An ElementTree built by expat, with the line of each element."""

    def __init__(self, data: bytes, display: str):
        self.lines: dict[ET.Element, int] = {}
        self.stack: list[ET.Element] = []
        self.root: ET.Element | None = None
        parser = expat.ParserCreate()
        parser.StartDoctypeDeclHandler = self._doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = lambda tag: self.stack.pop()
        parser.CharacterDataHandler = self._data
        self.parser = parser
        try:
            parser.Parse(data, True)
        except expat.ExpatError as exc:
            raise ContentError([Diagnostic(display, exc.lineno, exc.offset + 1, "",
                                           f"not well-formed XML: {expat.ErrorString(exc.code)}")
                                ]) from None
        except ValueError as exc:
            raise ContentError([Diagnostic(display, parser.CurrentLineNumber, 0, "",
                                           str(exc))]) from None

    def _doctype(self, *args: Any) -> None:
        raise ValueError("a DOCTYPE is not allowed in a question bank")

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        element = ET.Element(tag, attrs) if not self.stack else ET.SubElement(self.stack[-1],
                                                                               tag, attrs)
        element.text = ""
        self.lines[element] = self.parser.CurrentLineNumber
        if self.root is None:
            self.root = element
        self.stack.append(element)

    def _data(self, data: str) -> None:
        if self.stack:
            self.stack[-1].text = (self.stack[-1].text or "") + data


def _text(element: ET.Element | None, tag: str = "text") -> str:
    found = element.find(tag) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _formatted(element: ET.Element | None, result: Imported, line: int) -> str:
    """The Markdown of a Moodle text element (its images kept as module files)."""
    if element is None:
        return ""
    for file in element.findall("file"):
        name = PurePosixPath(file.get("name", "")).name
        if not _SAFE_NAME.fullmatch(name) or name == "module.yaml" \
                or file.get("encoding") != "base64":
            result.note(line, f"embedded file {name!r} not carried: not a plain image name")
            continue
        try:
            result.files[name] = base64.b64decode(file.text or "", validate=False)
        except (binascii.Error, ValueError):
            result.note(line, f"image {name!r} is not valid base64: not carried")
    return markdown_from(Text(_text(element), element.get("format", "html")), result, line)


def _number(value: str, default: float) -> float:
    try:
        number = float(value)
    except ValueError:
        return default
    return int(number) if number.is_integer() else number


def _answers(question: ET.Element) -> list[tuple[float, ET.Element]]:
    return [(_number(a.get("fraction", "0"), 0), a) for a in question.findall("answer")]


def read(data: bytes, result: Imported) -> None:
    """Add the hscourse items of a Moodle XML bank to result, noting what they cannot carry."""
    tree = _Tree(data, result.file)
    if tree.root is None or tree.root.tag != "quiz":
        raise ContentError([Diagnostic(result.file, 1, 1, "", "not a Moodle XML question bank "
                                                              "(the root element is not <quiz>)")])
    for question in tree.root.findall("question"):
        line = tree.lines[question]
        kind = question.get("type", "")
        if kind == "category":
            result.category(_text(question.find("category")))
        elif kind in _READERS:
            _read_question(question, kind, line, result)
        else:
            result.note(line, f"skipped a {kind or 'untyped'} question "
                              f"{_text(question.find('name'))!r}: hscourse has no such item type")


def _read_question(question: ET.Element, kind: str, line: int, result: Imported) -> None:
    points = _number(_text(question, "defaultgrade") or "1", 1)
    if points <= 0:
        result.note(line, "the default mark is not positive: 1 point used")
        points = 1
    tags = [_text(tag) for tag in question.findall("tags/tag")]
    name = _text(question.find("name")) or _text(question, "idnumber")
    item = new_item(result, name, line, _formatted(question.find("questiontext"), result, line),
                    points, tags)
    explanation = _formatted(question.find("generalfeedback"), result, line)
    _READERS[kind](item, question, line, result)
    result.add(item, [explanation] if explanation else [], line)


def _multichoice(item: dict[str, Any], question: ET.Element, line: int,
                 result: Imported) -> None:
    single = _text(question, "single").lower() in ("true", "1")
    options = []
    answers = _answers(question)
    for fraction, answer in answers:
        option: dict[str, Any] = {"text": _formatted(answer, result, line)}
        if (fraction >= 100) if single else (fraction > 0):
            option["correct"] = True
        elif single and fraction > 0:
            result.note(line, f"option {option['text']!r} gave {fraction:g}% credit: "
                              "imported as wrong")
        feedback = _formatted(answer.find("feedback"), result, line)
        if feedback:
            option["feedback"] = feedback
        options.append(option)
    if _text(question, "shuffleanswers").lower() in ("0", "false") and options:
        options[-1]["fixed"] = True
    item.update(type="single_choice" if single else "multiple_answer", options=options)


def _truefalse(item: dict[str, Any], question: ET.Element, line: int, result: Imported) -> None:
    right = next((a for f, a in _answers(question) if f >= 100), None)
    item.update(type="true_false", answer=_text(right).lower() == "true")
    for fraction, answer in _answers(question):
        if _formatted(answer.find("feedback"), result, line):
            result.note(line, f"feedback on answer {_text(answer)!r} not carried: "
                              "true/false items have no answer feedback")


def _shortanswer(item: dict[str, Any], question: ET.Element, line: int,
                 result: Imported) -> None:
    accepted = []
    for fraction, answer in _answers(question):
        text = _text(answer).replace(r"\*", "*")
        if fraction >= 100:
            accepted.append(text)
        else:
            result.note(line, f"answer {text!r} gave {fraction:g}% credit: hscourse accepts an "
                              "answer fully or not at all, so it was left out")
        if _formatted(answer.find("feedback"), result, line):
            result.note(line, f"feedback on answer {text!r} not carried: "
                              "short answer items have no answer feedback")
    item.update(type="short_answer", accepted_answers=accepted)


def _essay(item: dict[str, Any], question: ET.Element, line: int, result: Imported) -> None:
    item["type"] = "essay"
    info = _formatted(question.find("graderinfo"), result, line)
    lines = _number(_text(question, "responsefieldlines") or "0", 0)
    if isinstance(lines, int) and 1 <= lines <= 60:
        item["answer_lines"] = lines
    parts = re.split(r"\n\n\*\*Rubric\*\*\n\n", info, maxsplit=1)
    if len(parts) == 2 and parts[0].startswith("**Model answer**\n\n"):
        rubric = []
        for entry in parts[1].splitlines():
            match = _RUBRIC_LINE.match(entry.strip())
            if match:
                rubric.append({"criterion": match.group(1),
                               "points": _number(match.group(2), 0)})
        if sum(c["points"] for c in rubric) == item["points"]:
            item["model_answer"] = parts[0][len("**Model answer**\n\n"):]
            item["rubric"] = rubric
            return
    if info:
        item["model_answer"] = info


def _matching(item: dict[str, Any], question: ET.Element, line: int, result: Imported) -> None:
    pairs = []
    for sub in question.findall("subquestion"):
        left = _formatted(sub, result, line)
        right = plain_from_html(_text(sub.find("answer")))
        if not left:
            result.note(line, f"extra answer {right!r} (a distractor) not carried: "
                              "matching items pair every answer")
            continue
        pairs.append({"left": left, "right": markdown_from(Text(right, "plain"), result, line)})
    item.update(type="matching", pairs=pairs)


_READERS = {"multichoice": _multichoice, "truefalse": _truefalse,
            "shortanswer": _shortanswer, "essay": _essay, "matching": _matching}
