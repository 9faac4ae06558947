"""Turn imported questions into a module file that passes `hscourse check`.

The readers (gift.py, moodle.py) fill an `Imported` with hscourse items and a note, with its
source line, for everything an item cannot hold. `write_module` adds what a module needs and a
question bank does not have (overview, objectives, a reading, an explanation or rubric the source
lacked) as placeholders starting with "TO DO", checks the result with hscourse's own loader and
validator, and writes module.yaml (and the images the texts show) into the module folder.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from hscourse.errors import ContentError, Diagnostic
from hscourse.load import load_text
from hscourse.output import write_atomic
from hscourse.schema import ID_PATTERN
from hscourse.validate import module_errors, schema_errors

TODO = "TO DO: "
_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^>]*)?/?>")
_ITEM_ORDER = ("id", "type", "prompt", "points", "tags", "explanation")


@dataclass
class Text:
    """A text from the source and its format: html, markdown, moodle (auto) or plain."""

    value: str
    format: str


@dataclass
class Imported:
    """What one source file gave: items in hscourse's shape, notes, categories and images."""

    file: str
    prefix: str = "q"
    items: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)

    def category(self, path: str) -> None:
        self.categories.append(path)

    def note(self, line: int, message: str) -> None:
        self.notes.append(Diagnostic(self.file, line, 1, "", message))

    def add(self, item: dict[str, Any], explanation: list[str], line: int) -> None:
        """Complete the item (placeholders where the source had nothing) and keep it, or note
        why it cannot be an hscourse item."""
        problem = _problem(item)
        if problem:
            self.note(line, f"skipped question {item['id']!r}: {problem}")
            return
        index = len(self.items)
        if explanation:
            item["explanation"] = "\n\n".join(explanation)
        else:
            item["explanation"] = TODO + "explain why the answer is right."
            self.todo.append(f"quiz[{index}].explanation")
        if item["type"] == "essay":
            if not item.get("model_answer"):
                item["model_answer"] = TODO + "write a model answer."
                self.todo.append(f"quiz[{index}].model_answer")
            if not item.get("rubric"):
                item["rubric"] = [{"criterion": TODO + "the criteria, with their points.",
                                   "points": item["points"]}]
                self.todo.append(f"quiz[{index}].rubric")
        ordered = {key: item[key] for key in _ITEM_ORDER if item.get(key) not in (None, [])}
        ordered.update({k: v for k, v in item.items()
                        if k not in ordered and v is not None and v != []})
        self.items.append(ordered)
        self.lines.append(line)


def _duplicate(values: list[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def _problem(item: dict[str, Any]) -> str | None:
    """Why the item cannot pass hscourse's validation, or None."""
    kind = item["type"]
    if not item["prompt"].strip():
        return "it has no question text"
    if kind in ("single_choice", "multiple_answer"):
        options = item["options"]
        correct = sum(1 for o in options if o.get("correct"))
        if len(options) < 2:
            return "a choice item needs at least two options"
        if kind == "single_choice" and correct != 1:
            return f"it needs exactly one fully correct option, found {correct}"
        if kind == "multiple_answer" and correct < 1:
            return "no option gives credit"
        if any(not o["text"].strip() for o in options):
            return "an option has no text"
        twice = _duplicate([o["text"] for o in options])
        if twice is not None:
            return f"option {twice!r} appears twice"
    elif kind == "short_answer" and not [a for a in item["accepted_answers"] if a.strip()]:
        return "no answer gives full credit"
    elif kind == "matching":
        if len(item["pairs"]) < 2:
            return "a matching item needs at least two pairs"
        for side in ("left", "right"):
            values = [p[side] for p in item["pairs"]]
            if any(not v.strip() for v in values):
                return f"a {side} side is empty"
            twice = _duplicate(values)
            if twice is not None:
                return f"{side} value {twice!r} appears twice"
    return None


def new_item(result: Imported, name: str, line: int, prompt: str, points: float,
             tags: list[str]) -> dict[str, Any]:
    """An item with a unique id made from the source's name (or a number), its prompt,
    points and tags; the reader sets the type and its fields."""
    taken = {item["id"] for item in result.items}
    number = len(result.items) + 1
    base = slug(name) or f"{result.prefix}-q{number:02d}"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base[:60]}-{n}", n + 1
    clean_tags = list(dict.fromkeys(t for t in (slug(tag) for tag in tags) if t))
    if len(clean_tags) != len(tags):
        result.note(line, f"tags {tags!r} were made into ids: {clean_tags!r}")
    return {"id": ident, "type": "", "prompt": prompt, "points": points, "tags": clean_tags}


def slug(name: str) -> str:
    """A name as an hscourse id (lowercase letters, digits, hyphens), or '' if none is left."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return text if re.fullmatch(ID_PATTERN, text) else ""


def escape_markdown(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


class _HtmlToMarkdown(HTMLParser):
    """The HTML subset that hscourse's Markdown renderer writes, back to Markdown; other
    markup keeps its text and is noted."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    INLINE = {"em": "*", "i": "*", "strong": "**", "b": "**", "code": "`", "s": "~~",
              "del": "~~"}
    SILENT = {"span", "font", "small", "big", "thead", "tbody", "tr", "th", "td", "html",
              "body"}

    def __init__(self, images: dict[str, bytes]):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list[int]] = []  # one [counter] per open list; counter 0 = bullets
        self.links: list[str] = []
        self.pre = 0
        self.images = images
        self.lost: set[str] = set()
        self.missing: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in self.BLOCKS:
            self.out.append("\n\n")
            if tag.startswith("h") and tag[1:].isdigit():
                self.out.append("#" * int(tag[1]) + " ")
            elif tag == "blockquote":
                self.out.append("> ")
        elif tag in self.INLINE:
            self.out.append(self.INLINE[tag])
        elif tag == "br":
            self.out.append("\\\n")
        elif tag in ("ul", "ol"):
            self.out.append("\n\n" if not self.lists else "\n")
            self.lists.append([1 if tag == "ol" else 0])
        elif tag == "li":
            depth = max(len(self.lists) - 1, 0)
            counter = self.lists[-1] if self.lists else [0]
            mark = f"{counter[0]}." if counter[0] else "-"
            if counter[0]:
                counter[0] += 1
            self.out.append("\n" + "   " * depth + mark + " ")
        elif tag == "a":
            self.out.append("[")
            self.links.append(values.get("href", ""))
        elif tag == "img":
            self._image(values)
        elif tag == "pre":
            self.pre += 1
            self.out.append("\n\n```\n")
        elif tag not in self.SILENT:
            self.lost.add(tag)

    def _image(self, values: dict[str, str]) -> None:
        src = values.get("src", "")
        name = src.split("@@PLUGINFILE@@/", 1)[-1] if "@@PLUGINFILE@@/" in src else src
        name = unquote(name)
        if name in self.images or re.match(r"https?://", name):
            self.out.append(f"![{escape_markdown(values.get('alt', ''))}](<{name}>)")
        else:
            self.missing.append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.out.append("\n\n")
        elif tag in self.INLINE:
            self.out.append(self.INLINE[tag])
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.out.append("\n\n" if not self.lists else "")
        elif tag == "a" and self.links:
            self.out.append(f"](<{self.links.pop()}>)")
        elif tag == "pre":
            self.pre -= 1
            self.out.append("\n```\n\n")

    def handle_data(self, data: str) -> None:
        if self.pre:
            self.out.append(data)
        elif self.out and self.out[-1] == "`":
            self.out.append(re.sub(r"\s+", " ", data))
        else:
            self.out.append(escape_markdown(re.sub(r"\s+", " ", data)))

    def markdown(self) -> str:
        text = "".join(self.out)
        text = re.sub(r"[ \t]*\n[ \t]*\n\s*", "\n\n", text)
        return re.sub(r"^(?!\s*[-\d]| {3})[ \t]+", "", text, flags=re.M).strip()


def markdown_from(text: Text, result: Imported, line: int) -> str:
    """A source text as hscourse Markdown; markup it cannot carry is noted."""
    value = text.value.strip()
    kind = text.format
    if kind == "moodle":
        kind = "html" if _TAG.search(value) else "plain"
    if kind == "markdown":
        return value
    if kind == "plain":
        return escape_markdown(value)
    converter = _HtmlToMarkdown(result.files)
    converter.feed(value)
    converter.close()
    if converter.lost:
        result.note(line, "HTML markup not carried (kept as text): "
                          + ", ".join(f"<{t}>" for t in sorted(converter.lost)))
    for name in converter.missing:
        result.note(line, f"image {name!r} not carried: the file is not in the source")
    return converter.markdown()


def plain_from_html(value: str) -> str:
    return html.unescape(_TAG.sub("", value)).strip()


def module_data(result: Imported, module_id: str, title: str | None = None) -> dict[str, Any]:
    """The module file's data: the items, and placeholders for what a module also needs."""
    if title is None:
        last = result.categories[-1].rstrip("/").split("/")[-1] if result.categories else ""
        title = last.strip() or module_id.replace("-", " ").capitalize()
    result.todo[:0] = ["overview", "objectives", "readings[0]"]
    return {
        "id": module_id,
        "title": title,
        "overview": f"{TODO}an overview. Imported from {Path(result.file).name}.",
        "objectives": [TODO + "what a student can do after this module."],
        "readings": [{
            "id": "source",
            "authors": [TODO + "the authors"],
            "title": TODO + "the reading the questions draw on",
            "date": TODO + "the date",
            "notes": TODO + "reading notes for students.",
        }],
        "quiz": result.items,
    }


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=False)


def write_module(result: Imported, folder: Path) -> Path:
    """Write module.yaml (and images) into folder, after checking it as `hscourse check` would.

    Raises ContentError if the folder name is not a module id, module.yaml exists already, the
    source gave no importable question, or (a bug) the written file would not pass the check.
    """
    module_id = folder.resolve().name
    target = folder / "module.yaml"
    if not re.fullmatch(ID_PATTERN, module_id):
        raise ContentError([Diagnostic(str(folder), 0, 0, "", "the folder name is the module id: "
                                       "use lowercase letters, digits and hyphens")])
    if target.exists():
        raise ContentError([Diagnostic(str(target), 0, 0, "", "already exists; import into a "
                                       "new folder or remove it first")])
    if not result.items:
        raise ContentError(result.notes + [Diagnostic(result.file, 0, 0, "",
                                                      "no question could be imported")])
    text = dump(module_data(result, module_id))
    doc = load_text(text, target.as_posix())
    problems = schema_errors(doc, "module") or module_errors(doc, module_id)
    if problems:
        raise ContentError(problems)
    for name, data in result.files.items():
        write_atomic(folder / name, data)
    write_atomic(target, text.encode("utf-8"))
    return target
