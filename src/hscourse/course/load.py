"""Stage 1, load: read one YAML file strictly, keeping the position of every value.

PyYAML's own loaders convert `no`, `1:30`, `010` and dates, overwrite duplicate keys, expand
aliases into shared references and recurse on deep nesting. This loader builds plain Python
values from PyYAML's event stream instead, iteratively, so that:

* only `true`/`false`, `null`/`~`, decimal integers and plain decimals are anything but text;
* duplicate keys, non-text keys, anchors, aliases and tags are errors;
* files that are too large, too deep, not UTF-8, not regular, outside the course folder, or hold
  several documents are errors;
* numbers longer than 15 digits stay text (so the schema reports them instead of Python choking);
* every value's (line, column) is kept, so later stages can point at it.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hscourse.course import yaml_messages as say
from hscourse.errors import ContentError, Diagnostic, format_path

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 40

_INT = re.compile(r"[-+]?(0|[1-9][0-9]{0,14})")
_FLOAT = re.compile(r"[-+]?([0-9]{1,15}\.[0-9]{1,15})")
_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?")
_NULL = {"", "~", "null"}
_BOOL = {"true": True, "false": False}
_PLAIN_TAGS = {None, "!"}
_SURROGATE = re.compile("[\ud800-\udfff]")
# Written as escapes in quoted strings ("\x1b", "\u202e", "\0"), these would reach terminals
# and PDFs: control characters (tab and line breaks aside) and the bidirectional overrides and
# isolates that can make text read differently from how it is stored ("Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def control_problem(text: str) -> str:
    """Why a value holds a character that is not allowed, or ''."""
    bad = _CONTROL.search(text)
    if bad is None:
        return ""
    return (f"character U+{ord(bad.group()):04X} is not allowed (control and "
            "text-direction characters are refused); remove it")

try:  # libyaml's parser is several times faster; the pure-Python one behaves the same.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

Path_ = tuple[object, ...]


@dataclass
class Document:
    """A loaded YAML file: its data and where each value (and each mapping key) stood."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    quoted: set[Path_] = field(default_factory=set)  # values written in quotes
    flow_lists: set[Path_] = field(default_factory=set)  # lists written as [a, b, c]

    def warn(self, path: Path_, message: str) -> None:
        """Record a warning once (a file can be checked more than once in a run)."""
        found = self.diagnostic(path, message)
        if found not in self.warnings:
            self.warnings.append(found)

    def type_hint(self, path: Path_, expected: str | list[str]) -> str:
        """What to write when a value is not of the `expected` JSON type: '' when the value
        simply is something else, a fix when it is a true/false or number written wrongly."""
        value = self.value_at(path)
        if expected == "string" and isinstance(value, dict) and len(value) == 1:
            (key, text), = value.items()
            if isinstance(text, (str, type(None))) and self.where(path) == self.where(
                    path + (key,), key=True):
                return ("; a ': ' inside text starts a field: put the whole text in quotes, "
                        f"{say.quoted(f'{key}: {text or str()}'.strip())}")
        if not isinstance(value, str):
            return ""
        text = value.strip()
        types = {expected} if isinstance(expected, str) else set(expected)
        if types == {"boolean"} and text.lower() in ("true", "false", "yes", "no", "on", "off"):
            word = "true" if text.lower() in ("true", "yes", "on") else "false"
            if path in self.quoted:
                return f"; write {word} without quotes"
            if text.lower() in ("true", "false"):
                return f"; write {word} in lowercase"
            return f"; write true or false (unquoted, lowercase), e.g. {word}"
        if types & {"integer", "number"} and path in self.quoted and _NUMBER.fullmatch(text):
            return f"; write the number without quotes: {text}"
        return ""

    def value_at(self, path: Path_) -> Any:
        return say.value_at(self.data, path)

    def check_lists(self, schema: dict[str, Any]) -> None:
        """Warn about [a, b, c] lists of texts (by the file's schema) that split a sentence."""
        for path, message in say.split_lists(self.data, schema, self.flow_lists, self.quoted):
            self.warn(path, message)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """The position of the value (or key) at path, or of its nearest located ancestor."""
        table = self.keys if key else self.values
        if path in table:
            return table[path]
        for cut in range(len(path) - 1, -1, -1):
            if path[:cut] in self.values:
                return self.values[path[:cut]]
        return (1, 1)

    def diagnostic(self, path: Path_, message: str, *, key: bool = False) -> Diagnostic:
        line, column = self.where(path, key=key)
        return Diagnostic(self.file, line, column, format_path(path), message)


def _plain_scalar(value: str) -> Any:
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    return value


def _is_plain(event: Any) -> bool:
    """An unquoted scalar without a tag (libyaml reports plain style as '', PyYAML as None)."""
    return not event.style and event.tag in _PLAIN_TAGS


def _read_text(path: Path, display: str, root: Path | None) -> str:
    def fail(message: str, line: int = 0, column: int = 0) -> ContentError:
        return ContentError([Diagnostic(display, line, column, "", message)])

    try:
        real = path.resolve(strict=True)
        if root is not None and not real.is_relative_to(root.resolve()):
            raise fail("a link to a file outside the course folder; copy the file in instead")
        # O_NONBLOCK: opening a FIFO must not hang; fstat then checks what was really opened.
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (OSError, RuntimeError, ValueError) as exc:
        raise fail(f"cannot read the file: {getattr(exc, 'strerror', None) or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise fail("not a regular file (a device, pipe or folder cannot be a course file)")
        if info.st_size > MAX_FILE_BYTES:
            raise fail(f"file is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise fail(f"file is larger than the limit of {MAX_FILE_BYTES:,} bytes")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(say.utf16_message(raw), 1, 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(say.encoding_message(raw, exc.start), line, column) from None


class _Builder:
    """Turns the event stream of one document into values, checking each event as it comes."""

    def __init__(self, display: str, lines: list[str]):
        self.doc = Document(display, None)
        self.lines = lines
        self.stack: list[list[Any]] = []  # frames: [container, path, pending_key]
        self.documents = 0
        self.errors: list[Diagnostic] = []

    def error(self, mark: Any, path: Path_, message: str) -> None:
        self.errors.append(Diagnostic(self.doc.file, mark.line + 1, mark.column + 1,
                                      format_path(path), message))

    def child_path(self) -> Path_ | None:
        """The path of the next value, or None when the next scalar is a mapping key."""
        if not self.stack:
            return ()
        container, path, pending = self.stack[-1]
        if isinstance(container, list):
            return path + (len(container),)
        return None if pending is _NO_KEY else path + (pending,)

    def attach(self, value: Any, mark: Any) -> None:
        if not self.stack:
            self.doc.data = value
            return
        frame = self.stack[-1]
        container, path, pending = frame
        if isinstance(container, list):
            container.append(value)
        else:
            container[pending] = value
            frame[2] = _NO_KEY

    def take_key(self, event: Any) -> None:
        frame = self.stack[-1]
        container, path = frame[0], frame[1]
        if not isinstance(event, yaml.ScalarEvent):
            self.error(event.start_mark, path, "a key must be plain text, not a list or mapping")
            raise _Stop
        if event.anchor is not None or event.tag not in _PLAIN_TAGS:
            self.error(event.start_mark, path, "anchors and tags are not allowed on keys")
            raise _Stop
        key = _plain_scalar(event.value) if _is_plain(event) else event.value
        if isinstance(key, str) and control_problem(key):
            self.error(event.start_mark, path, control_problem(key))
            raise _Stop
        if not isinstance(key, str):
            self.error(event.start_mark, path, f"a key must be text, got {key!r}; quote it")
            key = str(key)
        if key in container:
            self.error(event.start_mark, path + (key,), f"duplicate key {key!r}")
            key = _Duplicate(key)
        mark: Any = event.start_mark
        self.doc.keys[path + (key,)] = (mark.line + 1, mark.column + 1)
        frame[2] = key

    def feed(self, event: Any) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.error(event.start_mark, (), "a course file holds one YAML document; "
                           "remove the second '---'")
                raise _Stop
            return
        if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent,
                              yaml.DocumentEndEvent)):
            return
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            finished = self.stack.pop()[0]
            if isinstance(finished, dict):
                for key in [k for k in finished if isinstance(k, _Duplicate)]:
                    del finished[key]
            return
        path = self.child_path()
        if path is None:
            self.take_key(event)
            return
        if isinstance(event, yaml.AliasEvent):
            self.error(event.start_mark, path, f"aliases (*{event.anchor}) are not allowed; "
                       "write the value out" + say.leading_hint("*"))
            raise _Stop
        if event.anchor is not None:
            hint = say.leading_hint("&") if isinstance(event, yaml.ScalarEvent) else ""
            self.error(event.start_mark, path, f"anchors (&{event.anchor}) are not allowed{hint}")
            raise _Stop
        if getattr(event, "tag", None) not in _PLAIN_TAGS and not (
                isinstance(event, yaml.ScalarEvent) and event.implicit[0]):
            local = isinstance(event, yaml.ScalarEvent) and not (event.tag or "").startswith("tag:")
            hint = say.leading_hint("!") if local else ""
            self.error(event.start_mark, path, f"tags ({event.tag}) are not allowed{hint}")
            raise _Stop
        position = (event.start_mark.line + 1, event.start_mark.column + 1)
        self.doc.values[path] = position
        if isinstance(event, yaml.ScalarEvent):
            value = _plain_scalar(event.value) if _is_plain(event) else event.value
            if isinstance(value, str) and control_problem(value):
                self.error(event.start_mark, path, control_problem(value))
            if not _is_plain(event):
                self.doc.quoted.add(path)
            elif isinstance(value, str) and value:
                self.check_comment(path, value, event.end_mark)
            self.attach(value, event.start_mark)
            return
        if isinstance(event, yaml.SequenceStartEvent) and event.flow_style:
            self.doc.flow_lists.add(path)
        if len(self.stack) >= MAX_DEPTH:
            self.error(event.start_mark, path[:1], f"nested more than {MAX_DEPTH} levels deep")
            raise _Stop
        container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
        self.attach(container, event.start_mark)
        self.stack.append([container, path, _NO_KEY])


    def check_comment(self, path: Path_, value: str, end: Any) -> None:
        """Warn when ' #' right after unquoted text (one space, as in prose) cut it short."""
        line = self.lines[end.line] if end.line < len(self.lines) else ""
        cut = _CUT_COMMENT.match(line, end.column)
        if cut:
            self.doc.warn(path, say.comment_warning(value, cut.group(1), line))


_CUT_COMMENT = re.compile(r" #(.*)")


class _Duplicate(str):
    """A repeated key, kept apart so that the first value wins and the error is reported."""

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class _Stop(Exception):
    pass


_NO_KEY = object()


def _position(text: str, index: int) -> tuple[int, int]:
    index = max(0, min(index, len(text)))
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, lines: list[str],
                  display: str) -> Diagnostic:
    """The parser's error, reworded by yaml_messages to say what to write."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    if not mark:
        return Diagnostic(display, 0, 0, "", f"YAML syntax: {problem}")
    line, column = mark.line + 1, mark.column + 1
    if text[mark.index:mark.index + 1] == "\t":
        return Diagnostic(display, line, column, "", "YAML syntax: a tab character; indent with "
                          "spaces")
    if "nesting depth" in problem or "max depth" in problem:
        return Diagnostic(display, line, column, "", f"YAML syntax: nested more than {MAX_DEPTH} "
                          "levels deep")
    context = exc.context_mark
    message, row, col = say.syntax_message(
        problem, exc.context or "", lines, (mark.line, mark.column),
        (context.line, context.column) if context else None)
    return Diagnostic(display, row + 1, col + 1, "", message)


def _empty_message(display: str) -> str:
    """'The file is empty', with the fields a file of its kind needs when the name says it."""
    from hscourse.course.schema import SCHEMAS

    kind = {"module.yaml": "module", "course.yaml": "course"}.get(Path(display).name)
    required = SCHEMAS[kind]["required"] if kind else []
    if not required:
        return "the file is empty (or holds only comments); write its fields, one name: value a line"
    return (f"the file is empty (or holds only comments); a {kind} needs at least "
            f"{', '.join(required[:-1])} and {required[-1]}")


def load_text(text: str, display: str) -> Document:
    """Load YAML text that came from the file named `display` (for messages)."""
    lines = text.splitlines()
    builder = _Builder(display, lines)
    bad = _SURROGATE.search(text)
    if bad:
        raise ContentError([Diagnostic(display, *_position(text, bad.start()), "",
                                       "not valid Unicode text (a lone surrogate)")])
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
    except _Stop:
        pass
    except yaml.MarkedYAMLError as exc:
        builder.errors.append(_syntax_error(exc, text, lines, display))
    except yaml.reader.ReaderError as exc:
        index = exc.position
        if _Loader is not yaml.SafeLoader:  # libyaml counts UTF-8 bytes, not characters
            index = len(text.encode("utf-8")[:index].decode("utf-8", "ignore"))
        line, column = _position(text, index)
        builder.errors.append(Diagnostic(display, line, column, "", f"character "
                                         f"U+{exc.character:04X} is not allowed ({exc.reason})"))
    except RecursionError:
        builder.errors.append(Diagnostic(display, 0, 0, "", "nested too deeply"))
    except yaml.YAMLError as exc:
        builder.errors.append(Diagnostic(display, 0, 0, "", f"YAML syntax: {exc}"))
    if builder.errors:
        raise ContentError(builder.errors)
    if builder.doc.data is None:
        raise ContentError([Diagnostic(display, 1, 1, "", _empty_message(display))])
    if not isinstance(builder.doc.data, dict):
        raise ContentError([Diagnostic(display, 1, 1, "", "expected a mapping of fields "
                                       "(name: value) at the top of the file")])
    return builder.doc


def warnings_of(documents: Iterable[Document]) -> list[Diagnostic]:
    """Every warning recorded while loading and validating the documents, once, in order."""
    return sorted({w for doc in documents for w in doc.warnings})


def load_file(path: Path, display: str, root: Path | None = None) -> Document:
    """Load one course file; `display` is how messages name it (relative to the project).

    The file (symlinks resolved) must lie inside root, the course folder. When root is not
    given it is the folder that `display` is relative to (path minus display's parts).
    """
    parts = Path(display).parts
    if root is None and not Path(display).is_absolute() and path.parts[-len(parts):] == parts:
        root = path.parents[len(parts) - 1]
    return load_text(_read_text(path, display, root), display)
