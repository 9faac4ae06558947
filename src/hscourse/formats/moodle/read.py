"""Read Moodle XML question banks into hscourse quiz items.

The file is parsed with expat directly so that every element keeps its source line, and so that
a document type declaration (the way to entity-expansion attacks) is refused outright.
Embedded images (`<file encoding="base64">`) that a kept question's text shows become files of
the module (decoded only then); other embedded files are listed. Question types hscourse
has no counterpart for (numerical, cloze, calculated, description, ...) are listed with their
line; ordering questions (qtype_ordering) become ordering items. An essay's grader information
written by hscourse's exporter gives back its model answer and rubric; any other grader
information becomes the model answer.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from xml.parsers import expat

from hscourse.errors import ContentError, Diagnostic
from hscourse.formats.bank import (
    Imported,
    Text,
    markdown_from,
    new_item,
    plain_from_html,
)
from hscourse.formats.html_markdown import text_from_html
from hscourse.formats.moodle import MODEL_ANSWER_HEAD, RUBRIC_HEAD

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")
_RUBRIC_LINE = re.compile(r"^- (.+) \((\d+(?:\.\d+)?) points?\)$")


class _Tree:
    """An ElementTree built by expat, with the line of each element."""

    def __init__(self, data: bytes, display: str):
        self.lines: dict[ET.Element, int] = {}
        self.chunks: dict[ET.Element, list[str]] = {}  # joined once: += would be quadratic
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
            for element, chunks in self.chunks.items():
                element.text = "".join(chunks)
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
        self.chunks[element] = []
        self.lines[element] = self.parser.CurrentLineNumber
        if self.root is None:
            self.root = element
        self.stack.append(element)

    def _data(self, data: str) -> None:
        if self.stack:
            self.chunks[self.stack[-1]].append(data)


def _text(element: ET.Element | None, tag: str = "text") -> str:
    found = element.find(tag) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


@dataclass
class _Source:
    """The bank being read: where the items go, and the line of each element."""

    result: Imported
    lines: dict[ET.Element, int]

    def note(self, line: int, message: str) -> None:
        self.result.note(line, message)


def _formatted(element: ET.Element | None, src: _Source, line: int) -> str:
    """The Markdown of a Moodle text element; the images it shows are kept as module files,
    embedded files it does not show are listed."""
    if element is None:
        return ""
    files = {PurePosixPath(f.get("name", "")).name: f for f in element.findall("file")}
    shown: set[str] = set()

    def embedded(name: str) -> bytes | str | None:
        file = files.get(name)
        if file is None:
            return None
        shown.add(name)
        if not _SAFE_NAME.fullmatch(name) or name.casefold() == "module.yaml":
            return "not a plain file name (letters, digits, '.', '_' and '-'); rename it"
        if file.get("encoding") != "base64":
            return "not base64-encoded"
        try:
            return base64.b64decode(file.text or "", validate=False)
        except (binascii.Error, ValueError):
            return "not valid base64"

    found = element.find("text")
    raw = found.text or "" if found is not None else ""
    start = src.lines.get(found, line) if found is not None else line
    markdown = markdown_from(Text(raw, element.get("format", "html"), lines=True), src.result,
                             start, embedded)
    for name, file in files.items():
        if name not in shown:
            src.note(src.lines.get(file, line), f"embedded file {name!r} is not shown by the "
                                                "text: not written")
    return markdown


def _says_something(element: ET.Element | None) -> bool:
    """Whether a text element has visible text (read without keeping its images)."""
    return bool(text_from_html(_text(element), lambda line, message: None))


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
    src = _Source(result, tree.lines)
    if tree.root is None or tree.root.tag != "quiz":
        raise ContentError([Diagnostic(result.file, 1, 1, "", "not a Moodle XML question bank "
                                                              "(the root element is not <quiz>)")])
    for question in tree.root.findall("question"):
        line = tree.lines[question]
        kind = question.get("type", "")
        if kind == "category":
            result.category(_text(question.find("category")))
        elif kind in _READERS:
            _read_question(question, kind, line, src)
        else:
            src.note(line, f"skipped a {kind or 'untyped'} question "
                              f"{_text(question.find('name'))!r}: hscourse has no such item type")


def _read_question(question: ET.Element, kind: str, line: int, src: _Source) -> None:
    points = _number(_text(question, "defaultgrade") or "1", 1)
    if points <= 0:
        src.note(line, "the default mark is not positive: 1 point used")
        points = 1
    tags = [_text(tag) for tag in question.findall("tags/tag")]
    name = _text(question.find("name")) or _text(question, "idnumber")
    item = new_item(src.result, name, line,
                    _formatted(question.find("questiontext"), src, line),
                    points, tags)
    explanation = _formatted(question.find("generalfeedback"), src, line)
    _READERS[kind](item, question, line, src)
    src.result.add(item, [explanation] if explanation else [], line)


def _multichoice(item: dict[str, Any], question: ET.Element, line: int,
                 src: _Source) -> None:
    single = _text(question, "single").lower() in ("true", "1")
    options = []
    answers = _answers(question)
    for fraction, answer in answers:
        option: dict[str, Any] = {"text": _formatted(answer, src, line)}
        if (fraction >= 100) if single else (fraction > 0):
            option["correct"] = True
        elif single and fraction > 0:
            src.note(line, f"option {option['text']!r} gave {fraction:g}% credit: "
                              "imported as wrong")
        feedback = _formatted(answer.find("feedback"), src, line)
        if feedback:
            option["feedback"] = feedback
        options.append(option)
    if _text(question, "shuffleanswers").lower() in ("0", "false") and options:
        options[-1]["fixed"] = True
    item.update(type="single_choice" if single else "multiple_answer", options=options)


def _truefalse(item: dict[str, Any], question: ET.Element, line: int, src: _Source) -> None:
    right = next((a for f, a in _answers(question) if f >= 100), None)
    item.update(type="true_false", answer=_text(right).lower() == "true")
    for _fraction, answer in _answers(question):
        if _says_something(answer.find("feedback")):
            src.note(line, f"feedback on answer {_text(answer)!r} not carried: "
                              "true/false items have no answer feedback")


def _shortanswer(item: dict[str, Any], question: ET.Element, line: int,
                 src: _Source) -> None:
    accepted = []
    for fraction, answer in _answers(question):
        text = _text(answer).replace(r"\*", "*")
        if fraction >= 100:
            accepted.append(text)
        else:
            src.note(line, f"answer {text!r} gave {fraction:g}% credit: hscourse accepts an "
                              "answer fully or not at all, so it was left out")
        if _says_something(answer.find("feedback")):
            src.note(line, f"feedback on answer {text!r} not carried: "
                              "short answer items have no answer feedback")
    item.update(type="short_answer", accepted_answers=accepted)


def _essay(item: dict[str, Any], question: ET.Element, line: int, src: _Source) -> None:
    item["type"] = "essay"
    info = _formatted(question.find("graderinfo"), src, line)
    lines = _number(_text(question, "responsefieldlines") or "0", 0)
    if isinstance(lines, int) and 1 <= lines <= 60:
        item["answer_lines"] = lines
    parts = info.split(RUBRIC_HEAD, 1)
    if len(parts) == 2 and parts[0].startswith(MODEL_ANSWER_HEAD):
        rubric: list[dict[str, Any]] = []
        for entry in parts[1].splitlines():
            match = _RUBRIC_LINE.match(entry.strip())
            if match:
                rubric.append({"criterion": match.group(1),
                               "points": _number(match.group(2), 0)})
        if sum(c["points"] for c in rubric) == item["points"]:
            item["model_answer"] = parts[0][len(MODEL_ANSWER_HEAD):]
            item["rubric"] = rubric
            return
    if info:
        item["model_answer"] = info


def _matching(item: dict[str, Any], question: ET.Element, line: int, src: _Source) -> None:
    pairs = []
    for sub in question.findall("subquestion"):
        left = _formatted(sub, src, line)
        right = plain_from_html(_text(sub.find("answer")), src.result, line)
        if not left:
            src.note(line, f"extra answer {right!r} (a distractor) not carried: "
                              "matching items pair every answer")
            continue
        pairs.append({"left": left,
                      "right": markdown_from(Text(right, "plain"), src.result, line)})
    item.update(type="matching", pairs=pairs)


def _ordering(item: dict[str, Any], question: ET.Element, line: int, src: _Source) -> None:
    """qtype_ordering: the answers ranked by their fraction (their place in the right order)."""
    answers = sorted(_answers(question), key=lambda pair: pair[0])
    count = _number(_text(question, "selectcount") or "0", 0)
    if _text(question, "selecttype").upper() not in ("", "ALL") and 0 < count < len(answers):
        src.note(line, f"Moodle shows {count:g} of the {len(answers)} entries; hscourse shows "
                       "them all")
    for _fraction, answer in answers:
        if _says_something(answer.find("feedback")):
            src.note(line, f"feedback on entry {_text(answer)!r} not carried: ordering items "
                           "have no entry feedback")
    item.update(type="ordering",
                correct_order=[_formatted(answer, src, line) for _f, answer in answers])


_READERS = {"multichoice": _multichoice, "truefalse": _truefalse,
            "shortanswer": _shortanswer, "essay": _essay, "matching": _matching,
            "ordering": _ordering}
