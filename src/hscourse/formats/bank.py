"""Turn imported questions into a module file that passes `hscourse check`.

The readers (gift.py, moodle.py) fill an `Imported` with hscourse items and a note, with its
source line, for everything an item cannot hold. `write_modules` adds what a module needs and a
question bank does not have (overview, objectives, a reading, an explanation or rubric the source
lacked) as placeholders starting with "TO DO", checks the result with hscourse's own loader and
validator, and writes module.yaml (and the images the texts show) into the module folder, or
with `split` one module per category, titled from it.

Only images a kept item shows are written, and no existing file is ever replaced: an image whose
name is taken (by a file already in the folder, or by another image with different content) is
saved under a new name, and the notes say so. An item id the course already uses gets the new
module's id as a prefix (`Imported.taken`, `renamed`), so that importing into a course, even its
own export, never collides.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hscourse.course.assets import local_image_paths
from hscourse.course.load import load_text
from hscourse.course.model import located_strings
from hscourse.course.schema import ID_PATTERN
from hscourse.course.validate import module_errors, schema_errors
from hscourse.errors import ContentError, Diagnostic, format_path
from hscourse.formats.html_markdown import (
    HtmlToMarkdown,
    escape_markdown,
    has_markup,
    text_from_html,
    without_hidden_html,
)
from hscourse.output import PUBLIC_FILE, stage

TODO = "TO DO: "
_ITEM_ORDER = ("id", "type", "prompt", "points", "tags", "explanation")


@dataclass
class Text:
    """A text from the source and its format: html, markdown, moodle (auto) or plain."""

    value: str
    format: str
    lines: bool = False  # the value's line breaks are the source file's, from the line given


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
    existing: set[str] = field(default_factory=set)  # names in the target folder (casefolded)
    ids: set[str] = field(default_factory=set)
    pending: dict[str, bytes] = field(default_factory=dict)  # images of the item being read
    pending_notes: list[Diagnostic] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # casefolded -> image name given
    chosen: dict[tuple[str, bytes], str] = field(default_factory=dict)  # (name, data) -> name
    next_suffix: dict[str, int] = field(default_factory=dict)
    last_id: tuple[str, int] = ("", 0)
    wanted: str = ""  # the id the item being read would have had, were it free
    taken: set[str] = field(default_factory=set)  # item ids the course uses already
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (id wanted, id given)
    split: bool = False  # one module per category (`--split-categories`): see start_split
    folders: set[str] = field(default_factory=set)  # module folders the course has already
    category_modules: dict[str, str] = field(default_factory=dict)  # category -> module id
    item_categories: list[str] = field(default_factory=list)  # each kept item's category

    def embed(self, name: str, data: bytes, line: int) -> str:
        """The name under which an image the current item shows is written: its own, unless
        that is taken by a file in the folder or an image with other content (then name-2...)."""
        chosen = self.chosen.get((name.casefold(), data))
        if chosen is not None:
            return chosen
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, self.next_suffix.get(name.casefold(), 1)
        while candidate.casefold() in self.names or candidate.casefold() in self.existing \
                or candidate.casefold() == "module.yaml":
            n += 1
            candidate = f"{stem}-{n}{dot}{ext}"
        self.next_suffix[name.casefold()] = n
        self.names[candidate.casefold()] = candidate
        self.chosen[(name.casefold(), data)] = candidate
        self.pending[candidate] = data
        if candidate != name:
            why = ("the folder already has a file of that name" if name.casefold() in
                   self.existing else "another image of that name has different content")
            self.pending_notes.append(Diagnostic(self.file, line, 1, "",
                                                 f"image {name!r} saved as {candidate!r}: {why}"))
        return candidate

    def _settle_images(self, kept: bool) -> None:
        """Keep the images the item just read shows (or forget them if it was skipped)."""
        if kept:
            self.files.update(self.pending)
            self.notes.extend(self.pending_notes)
        else:
            for name in self.pending:
                self.names.pop(name.casefold(), None)
            self.chosen = {k: v for k, v in self.chosen.items() if v not in self.pending}
        self.pending.clear()
        self.pending_notes.clear()

    def category(self, path: str) -> None:
        """A category starts: with `split`, its items go to a module of their own, whose id
        (the category's last part as an id, unique among the course's modules) prefixes
        the ids the course uses already."""
        self.categories.append(path)
        if self.split:
            if path not in self.category_modules:
                self.category_modules[path] = self._module_id(category_title(path))
            self.prefix = self.category_modules[path]

    def start_split(self, name: str) -> None:
        """Split by category; items before the first category go to a module named name."""
        self.split = True
        self.category_modules[""] = self.prefix = self._module_id(name)

    def _module_id(self, title: str) -> str:
        base = slug(title)[:60].strip("-") or "category"
        ident, n = base, 1
        while ident in self.folders or ident in self.category_modules.values():
            n += 1
            ident = f"{base}-{n}"
        return ident

    @property
    def current_category(self) -> str:
        return self.categories[-1] if self.categories else ""

    def note(self, line: int, message: str) -> None:
        self.notes.append(Diagnostic(self.file, line, 1, "", message))

    def add(self, item: dict[str, Any], explanation: list[str], line: int) -> None:
        """Complete the item (placeholders where the source had nothing) and keep it, or note
        why it cannot be an hscourse item."""
        problem = _problem(item)
        self._settle_images(kept=not problem)
        if problem:
            self.note(line, f"skipped question {item['id']!r}: {problem}")
            return
        self.ids.add(item["id"])
        self.item_categories.append(self.current_category)
        if item["id"] != self.wanted and self.wanted in self.taken:
            self.renamed.append((self.wanted, item["id"]))
        base, n = self.last_id
        if n:
            self.next_suffix["id " + base] = n + 1
        if explanation:
            item["explanation"] = "\n\n".join(explanation)
        else:
            item["explanation"] = TODO + "explain why the answer is right."
        if item["type"] == "essay":
            if not item.get("model_answer"):
                item["model_answer"] = TODO + "write a model answer."
            if not item.get("rubric"):
                item["rubric"] = [{"criterion": TODO + "the criteria, with their points.",
                                   "points": item["points"]}]
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
    elif kind == "ordering":
        entries = item["correct_order"]
        if len(entries) < 2:
            return "an ordering item needs at least two entries"
        if any(not e.strip() for e in entries):
            return "an entry is empty"
        twice = _duplicate(entries)
        if twice is not None:
            return f"entry {twice!r} appears twice"
    return None


def new_item(result: Imported, name: str, line: int, prompt: str, points: float,
             tags: list[str]) -> dict[str, Any]:
    """An item with a unique id made from the source's name (or a number), its prompt,
    points and tags; the reader sets the type and its fields."""
    number = len(result.items) + 1
    base = wanted = slug(name) or f"{result.prefix}-q{number:02d}"
    if base in result.taken:  # the course has an item of this id: prefix the module id
        base = f"{result.prefix}-{base}"[:64].rstrip("-")
    ident, n = base, 0
    if ident in result.ids or ident in result.taken:
        n = result.next_suffix.get("id " + base, 2)
        ident = f"{base[:60]}-{n}"
        while ident in result.ids or ident in result.taken:
            n += 1
            ident = f"{base[:60]}-{n}"
    result.last_id = (base, n)
    result.wanted = wanted
    clean_tags = list(dict.fromkeys(t for t in (slug(tag) for tag in tags) if t))
    if len(clean_tags) != len(tags):
        result.note(line, f"tags {tags!r} were made into ids: {clean_tags!r}")
    return {"id": ident, "type": "", "prompt": prompt, "points": points, "tags": clean_tags}


def slug(name: str) -> str:
    """A name as an hscourse id (lowercase letters, digits, hyphens), or '' if none is left."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return text if re.fullmatch(ID_PATTERN, text) else ""


def markdown_from(text: Text, result: Imported, line: int,
                  files: Callable[[str], bytes | str | None] | None = None) -> str:
    """A source text as hscourse Markdown; markup it cannot carry and content it hides are
    noted. `files(name)` gives an embedded file's bytes, why it cannot be carried (a str), or
    None when the source does not hold it; the files shown are kept with the item."""
    value = text.value.strip()
    first = line + text.value[:len(text.value) - len(text.value.lstrip())].count("\n")

    def where(at: int) -> int:
        return first + at - 1 if text.lines else line

    def note(at: int, message: str) -> None:
        result.note(where(at), message)

    kind = text.format
    if kind == "moodle":
        kind = "html" if has_markup(value) else "plain"
    if kind == "markdown":
        return without_hidden_html(value, note)
    if kind == "plain":
        return escape_markdown(value)

    def image(name: str, at: int) -> str | None:
        found = files(name) if files else None
        if isinstance(found, str):
            note(at, f"image {name!r} not carried: {found}")
            return ""
        return None if found is None else result.embed(name, found, where(at))

    converter = HtmlToMarkdown(image, note)
    markdown = converter.convert(value)
    if converter.lost:
        note(1, "HTML markup not carried (kept as text): "
                + ", ".join(f"<{t}>" for t in sorted(converter.lost)))
    for name in converter.missing:
        note(1, f"image {name!r} not carried: the file is not in the source")
    return markdown


def plain_from_html(value: str, result: Imported, line: int) -> str:
    """The visible text of an HTML value (hidden content left out and noted)."""
    return text_from_html(value, lambda at, message: result.note(line, message))


def category_title(path: str) -> str:
    """A category's own name: the last part of its path ($course$/top/Unit 3 -> Unit 3)."""
    parts = [p.strip() for p in path.split("/") if p.strip()]
    parts = [p for p in parts if p != "top" and not (p.startswith("$") and p.endswith("$"))]
    return parts[-1] if parts else ""


def todo_fields(data: dict[str, Any]) -> list[str]:
    """The fields of a module holding placeholders (overview, readings[0], quiz[2].rubric)."""
    out: dict[str, None] = {}
    for path, text in located_strings(data):
        if text.startswith(TODO):
            keep = 3 if path[0] == "quiz" else 2 if path[0] == "readings" else 1
            out[format_path(path[:keep])] = None
    return list(out)


@dataclass
class NewModule:
    """One module an import writes: its folder, data and the images its items show."""

    folder: Path
    data: dict[str, Any]
    files: dict[str, bytes]

    @property
    def todo(self) -> list[str]:
        return todo_fields(self.data)


def module_data(result: Imported, module_id: str, title: str,
                items: list[dict[str, Any]]) -> dict[str, Any]:
    """The module file's data: the items, and placeholders for what a module also needs."""
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
        "quiz": items,
        # Placeholders are only warnings in a draft; `build` refuses them once this goes.
        "draft": True,
    }


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=False)


def _shown_files(result: Imported, items: list[dict[str, Any]]) -> dict[str, bytes]:
    shown = {name for _where, name in local_image_paths({"quiz": items})}
    return {name: data for name, data in result.files.items() if name in shown}


def plan_modules(result: Imported, folder: Path) -> list[NewModule]:
    """The modules an import writes: one into folder, or with `split` one per category into
    folder/<module-id>/, each titled from its category."""
    if not result.items:
        raise ContentError(result.notes + [Diagnostic(result.file, 0, 0, "",
                                                      "no question could be imported")])
    if not result.split:
        module_id = folder.resolve().name
        titles = list(dict.fromkeys(t for t in map(category_title, result.item_categories) if t))
        if len(titles) > 1:
            result.notes.append(Diagnostic(result.file, 0, 0, "", (
                f"the bank has {len(titles)} categories ({', '.join(map(repr, titles[:4]))}"
                f"{', ...' if len(titles) > 4 else ''}), all imported into this one module; "
                "--split-categories writes one module per category")))
        title = titles[0] if len(titles) == 1 else module_id.replace("-", " ").capitalize()
        return [NewModule(folder, module_data(result, module_id, title, result.items),
                          result.files)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for item, category in zip(result.items, result.item_categories):
        groups.setdefault(category, []).append(item)
    out = []
    for category, items in groups.items():
        module_id = result.category_modules[category]
        title = category_title(category) or module_id.replace("-", " ").capitalize()
        out.append(NewModule(folder / module_id, module_data(result, module_id, title, items),
                             _shown_files(result, items)))
    return out


def write_modules(result: Imported, folder: Path) -> list[NewModule]:
    """Write each planned module (module.yaml and its images), after checking it as `hscourse
    check` would; all or none of them.

    Raises ContentError if a folder name is not a module id, a module.yaml exists already, the
    source gave no importable question, a file to be written appeared meanwhile (nothing is
    replaced, and what this import wrote is removed again), or (a bug) a written file would
    not pass the check.
    """
    planned = plan_modules(result, folder)
    texts = [_checked_text(module) for module in planned]
    written: list[Path] = []
    try:
        for module, text in zip(planned, texts):
            module.folder.mkdir(parents=True, exist_ok=True)
            for name, data in [*module.files.items(), ("module.yaml", text.encode("utf-8"))]:
                write_new(module.folder / name, data)
                written.append(module.folder / name)
    except FileExistsError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise ContentError([Diagnostic(str(exc.filename), 0, 0, "", "appeared in the folder "
                                       "during the import and was left as it is; nothing was "
                                       "imported. Import again")]) from None
    return planned


def _checked_text(module: NewModule) -> str:
    """The module's YAML, refused unless the folder fits and the file passes the check."""
    module_id = module.folder.resolve().name
    target = module.folder / "module.yaml"
    if not re.fullmatch(ID_PATTERN, module_id):
        raise ContentError([Diagnostic(str(module.folder), 0, 0, "", "the folder name is the "
                                       "module id: use lowercase letters, digits and hyphens")])
    if target.exists():
        raise ContentError([Diagnostic(str(target), 0, 0, "", "already exists; import into a "
                                       "new folder or remove it first")])
    text = dump(module.data)
    doc = load_text(text, target.as_posix())
    problems = schema_errors(doc, "module") or module_errors(doc, module_id)
    if problems:
        raise ContentError(problems)
    return text


def write_module(result: Imported, folder: Path) -> Path:
    """Write the imported items as folder/module.yaml (see write_modules)."""
    return write_modules(result, folder)[0].folder / "module.yaml"


def write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet: staged in a synced temporary file, then hard-linked
    into place, which fails (FileExistsError) rather than replace a file, a link or a folder
    that is there."""
    tmp = stage(path, data, PUBLIC_FILE)
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise FileExistsError(0, "exists", str(path)) from None
        except OSError:  # a file system without hard links: exclusive creation instead
            with open(path, "xb") as out:
                out.write(data)
            os.chmod(path, PUBLIC_FILE)
    finally:
        Path(tmp).unlink(missing_ok=True)
