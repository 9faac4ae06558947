"""Read GIFT (Moodle's plain-text question format) into hscourse quiz items.

`parse` follows Moodle's reader (question/format/gift/format.php): questions are separated by
blank lines (outside an answer block), lines starting with `//` are comments (Moodle's
`// [id:...]` and `// [tag:...]`, and hscourse's own `// [points:N]`, are read from them), a
backslash escapes `~ = # { } :` and itself, and `\\n` is a newline. `to_items` maps each parsed
question onto an hscourse item, and lists with its line whatever the item cannot hold.

Every step is linear in the text: scans move forward only, and no pattern here can backtrack
over a run of the input (spaces before a line break, looked for in a long run of spaces,
or the end of an `[id:` mark in `[id:[id:[id:...`, took seconds to minutes on 100 KB).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from hscourse.formats.bank import Imported, Text, markdown_from, new_item
from hscourse.formats.gift import ESCAPABLE, META_KEYS

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_TF = re.compile(r"(TRUE|FALSE|T|F)(?![^#\s])")
_KEEP_LINES = ("markdown", "html")
_FORMAT = re.compile(r"\[(html|moodle|plain|markdown)\]")


@dataclass
class Choice:
    """An answer as written: `correct` is the `=` mark; a `%weight%` decides credit."""

    correct: bool
    weight: float | None
    text: str
    feedback: str | None
    format: str | None = None

    @property
    def credit(self) -> float:
        if self.weight is not None:
            return self.weight
        return 100.0 if self.correct else 0.0


@dataclass
class Question:
    """One GIFT question, with its texts unescaped (its type named as gift-pegjs names it)."""

    line: int
    type: str
    title: str | None = None
    format: str = "moodle"
    stem: str = ""
    embedded: bool = False
    choices: list[Choice] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    is_true: bool | None = None
    true_feedback: str | None = None
    false_feedback: str | None = None
    general_feedback: str | None = None
    meta: dict[str, list[str]] = field(default_factory=dict)


def unescape(raw: str, keep_lines: bool = False) -> str:
    """GIFT text to plain text: escapes resolved; raw line breaks and indentation become a
    space unless keep_lines (Markdown and HTML, which read them themselves)."""
    if not keep_lines:
        raw = _join_lines(raw)
    return _ESCAPE.sub(_resolve, raw).strip()


def _resolve(escape: re.Match[str]) -> str:
    char = escape.group(1)
    if char in ESCAPABLE:
        return char
    return "\n" if char == "n" else escape.group()


def _join_lines(raw: str) -> str:
    """Each line break, with the spaces and tabs around it (and a CR before it), as one space."""
    lines = raw.split("\n")
    last = len(lines) - 1
    for index, line in enumerate(lines):
        if index < last:
            line = line.removesuffix("\r")
            line = line.rstrip(" \t")
        lines[index] = line.lstrip(" \t") if index else line
    return " ".join(lines)


def marks(comment: str) -> list[tuple[str, str]]:
    """The `[key:value]` marks (id, tag, points) of a comment line, in order."""
    found: list[tuple[str, str]] = []
    start = comment.find("[")
    while start >= 0:
        colon = comment.find(":", start + 1, start + 8)
        key = comment[start + 1:colon] if colon > 0 else ""
        if key in META_KEYS:
            end = comment.find("]", colon)
            if end < 0:
                break  # no later mark can close either
            found.append((key, comment[colon + 1:end]))
            start = comment.find("[", end + 1)
        else:
            start = comment.find("[", start + 1)
    return found


@functools.cache
def _scanner(targets: str) -> re.Pattern[str]:
    """An escape (to skip) or one of targets, found in one forward scan without backtracking."""
    return re.compile(r"\\.|" + "|".join(re.escape(t) for t in targets.split(" ")), re.DOTALL)


def _find(raw: str, target: str, start: int = 0) -> int:
    """The index of target in raw at or after start, skipping escaped characters; -1 if none."""
    for match in _scanner(target).finditer(raw, start):
        if match.group() == target:
            return match.start()
    return -1


def _split_answers(body: str) -> list[tuple[str, str]]:
    """The answers of a block as (mark, raw text): each starts at an unescaped = or ~."""
    marks = [m.start() for m in _scanner("= ~").finditer(body) if m.group() in "=~"]
    return [(body[at], body[at + 1:end]) for at, end in zip(marks, [*marks[1:], len(body)])]


def _formatted(raw: str, default: str) -> tuple[str, str]:
    """(text, format) of a text that may start with its own [format] marker."""
    found = _FORMAT.match(raw.lstrip())
    if found:
        fmt = found.group(1)
        return unescape(raw.lstrip()[found.end():], fmt in _KEEP_LINES), fmt
    return unescape(raw, default in _KEEP_LINES), default


def _text_and_feedback(raw: str, default: str) -> tuple[str, str | None, str]:
    cut = _find(raw, "#")
    text, fmt = _formatted(raw if cut < 0 else raw[:cut], default)
    feedback = _formatted(raw[cut + 1:], default)[0] if cut >= 0 else ""
    return text, feedback or None, fmt


def _answers(question: Question, body: str) -> None:
    stripped = body.strip()
    if not stripped:
        question.type = "Essay"
        return
    if stripped.startswith("#"):
        question.type = "Numerical"
        return
    match = _TF.match(stripped)
    if match:
        question.type = "TF"
        question.is_true = match.group(1).startswith("T")
        rest = stripped[match.end():]
        parts = [_formatted(part, question.format)[0] or None
                 for part in _split_unescaped(rest, "#")[1:3]]
        wrong, right = (parts + [None, None])[:2]
        # As Moodle reads it: {TRUE#feedback when wrong#feedback when right}.
        if question.is_true:
            question.true_feedback, question.false_feedback = right, wrong
        else:
            question.true_feedback, question.false_feedback = wrong, right
        return
    answers = _split_answers(body)
    if answers and all(mark == "=" and _find(raw, "->") >= 0 for mark, raw in answers):
        question.type = "Matching"
        for _, raw in answers:
            cut = _find(raw, "->")
            question.pairs.append((_formatted(raw[:cut], question.format)[0],
                                   unescape(raw[cut + 2:])))
        return
    for mark, raw in answers:
        weight = None
        found = re.match(r"\s*%(-?[0-9]+(?:\.[0-9]+)?)%", raw)
        if found:
            weight = float(found.group(1))
            raw = raw[found.end():]
        text, feedback, fmt = _text_and_feedback(raw, question.format)
        question.choices.append(Choice(mark == "=", weight, text, feedback, fmt))
    if not answers:  # {One}: a single answer needs no '='
        question.choices.append(Choice(True, None, unescape(body), None))
    question.type = "Short" if all(c.correct for c in question.choices) else "MC"


def _split_unescaped(raw: str, char: str) -> list[str]:
    parts: list[str] = []
    start = 0
    while True:
        cut = _find(raw, char, start)
        if cut < 0:
            return parts + [raw[start:]]
        parts.append(raw[start:cut])
        start = cut + 1


def _question(block: str, line: int, meta: dict[str, list[str]]) -> Question:
    question = Question(line, "Description", meta=meta)
    rest = block.strip()
    if rest.startswith("::"):
        end = _find(rest, "::", 2)
        if end >= 0:
            question.title = unescape(rest[2:end])
            rest = rest[end + 2:].lstrip()
    found = _FORMAT.match(rest)
    if found:
        question.format = found.group(1)
        rest = rest[found.end():]
    opening = _find(rest, "{")
    closing = _find(rest, "}", opening + 1) if opening >= 0 else -1
    if opening < 0 or closing < 0:
        question.stem = _formatted(rest, question.format)[0]
        return question
    before, after = rest[:opening], rest[closing + 1:]
    if unescape(after):
        question.embedded = True
        question.stem = f"{_formatted(before, question.format)[0]} _____ " \
                        f"{_formatted(after, question.format)[0]}".strip()
    else:
        question.stem = _formatted(before, question.format)[0]
    body = rest[opening + 1:closing]
    general = _find(body, "####")
    if general >= 0:
        question.general_feedback = _formatted(body[general + 4:], question.format)[0] or None
        body = body[:general]
    _answers(question, body)
    return question


def _blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """(first line, text, comment lines) of each question; a blank line inside braces does not
    end a question."""
    blocks: list[tuple[int, str, list[str]]] = []
    lines: list[str] = []
    comments: list[str] = []
    start, depth = 0, 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("//"):
            comments.append(stripped)
            continue
        if not stripped and depth == 0:
            if lines:
                blocks.append((start, "\n".join(lines), comments))
            if lines:
                comments = []
            lines = []
            continue
        if not lines:
            start = number
        lines.append(line)
        depth = max(0, depth + _count(line, "{") - _count(line, "}"))
    if lines:
        blocks.append((start, "\n".join(lines), comments))
    return blocks


def _count(line: str, char: str) -> int:
    return sum(1 for match in _scanner(char).finditer(line) if match.group() == char)


def parse(text: str) -> list[Question]:
    """Every question in a GIFT text (categories are questions of type 'Category')."""
    questions = []
    for line, block, comments in _blocks(text):
        meta: dict[str, list[str]] = {}
        for comment in comments:
            for key, value in marks(comment):
                meta.setdefault(key, []).append(value.strip())
        if block.lstrip().startswith("$CATEGORY:"):
            questions.append(Question(line, "Category",
                                      title=block.strip()[len("$CATEGORY:"):].strip()))
            continue
        questions.append(_question(block, line, meta))
    return questions


def _text(value: str | None, question: Question) -> Text:
    return Text(value or "", question.format)


def read(text: str, result: Imported) -> None:
    """Add the hscourse items a GIFT text holds to result, noting whatever they cannot carry."""
    for question in parse(text):
        if question.type == "Category":
            result.category(question.title or "")
            continue
        _convert(question, result)


def _convert(q: Question, result: Imported) -> None:
    def note(message: str) -> None:
        result.note(q.line, message)

    if q.type in ("Description", "Numerical"):
        what = "a description (text without answers)" if q.type == "Description" else \
            "a numerical question"
        note(f"skipped {what}: hscourse has no such item type")
        return
    points = q.meta.get("points", ["1"])[-1]
    item = new_item(result, q.title or (q.meta.get("id") or [""])[-1], q.line,
                    markdown_from(_text(q.stem, q), result, q.line),
                    _points(points, note), q.meta.get("tag", []))
    if q.embedded:
        note("the answer was embedded in the question text: shown as a blank '_____'")
    explanation: list[str] = []
    if q.general_feedback:
        explanation.append(markdown_from(_text(q.general_feedback, q), result, q.line))
    if q.type == "TF":
        item.update(type="true_false", answer=bool(q.is_true))
        for label, feedback in (("true", q.true_feedback), ("false", q.false_feedback)):
            if feedback:
                explanation.append(f"If answered {label}: "
                                   + markdown_from(_text(feedback, q), result, q.line))
    elif q.type == "Essay":
        item["type"] = "essay"
    elif q.type == "Matching":
        item.update(type="matching", pairs=[
            {"left": markdown_from(_text(left, q), result, q.line),
             "right": markdown_from(Text(right, "plain"), result, q.line)}
            for left, right in q.pairs])
    elif q.type == "Short":
        _short(item, q, note)
    else:
        _choices(item, q, note, result)
    result.add(item, explanation, q.line)


def _points(value: str, note: Any) -> float:
    try:
        points = float(value)
    except ValueError:
        points = 0
    if points <= 0:
        note(f"points {value!r} is not a positive number: 1 used")
        return 1
    return int(points) if points.is_integer() else points


def _short(item: dict[str, Any], q: Question, note: Any) -> None:
    accepted = [c.text for c in q.choices if c.credit >= 100]
    for choice in q.choices:
        if choice.credit < 100:
            note(f"answer {choice.text!r} gave {choice.credit:g}% credit: hscourse accepts an "
                 "answer fully or not at all, so it was left out")
        if choice.feedback:
            note(f"feedback on answer {choice.text!r} not carried: "
                 "short answer items have no answer feedback")
    item.update(type="short_answer", accepted_answers=accepted)


def _choices(item: dict[str, Any], q: Question, note: Any, result: Imported) -> None:
    full = [c for c in q.choices if c.credit >= 100]
    positive = [c for c in q.choices if c.credit > 0]
    single = bool(full) or len(positive) == 1
    options = []
    for choice in q.choices:
        correct = choice in (full or positive) if single else choice.credit > 0
        if single and 0 < choice.credit < 100 and full:
            note(f"option {choice.text!r} gave {choice.credit:g}% credit: imported as wrong")
        option: dict[str, Any] = {"text": markdown_from(
            Text(choice.text, choice.format or q.format), result, q.line)}
        if correct:
            option["correct"] = True
        if choice.feedback:
            option["feedback"] = markdown_from(Text(choice.feedback, choice.format or q.format),
                                               result, q.line)
        options.append(option)
    item.update(type="single_choice" if single else "multiple_answer", options=options)
