"""YAML mistakes in the words of someone writing a course, not of the parser.

The parser's own messages ("mapping values are not allowed here", "did not find expected key")
name a YAML rule; an instructor needs to know what to write instead. `syntax_message` turns a
parser error into that, looking at the source line; `encoding_message` names a file's likely
encoding and how to convert it; `comment_warning` and `flow_list_warning` catch the two
mistakes YAML accepts silently (a `#` that starts a comment in the middle of a sentence, and a
`[a, b, c]` list that splits a sentence at its commas).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from hscourse.course.schema import field_schemas, resolve

_FIELD_LINE = re.compile(r"(?P<lead>\s*(?:-\s+)*)(?P<key>[^\s:#'\"{\[][^:#]*?):[ \t]+(?P<value>.*)")
_FIELD_NAME = re.compile(r"\s*(?:-\s+)*[A-Za-z_][\w-]*:(\s|$)")
_SENTENCE_END = (".", "?", "!", ";", ":", ")")
# Characters that mean something to YAML at the start of a value.
_LEADING = {"*": "an alias", "&": "an anchor", "!": "a tag", "%": "a directive",
            "@": "a reserved character", "`": "a reserved character", "|": "a block of text",
            ">": "a block of text", "-": "a list entry", "?": "a complex key",
            "{": "a mapping", "[": "a list", '"': "quoted text", "'": "quoted text"}
_WINDOWS_EXTRA = set("“”‘’–—…€£§°«»·•©®™")


def quoted(text: str) -> str:
    """text as a YAML double-quoted scalar (single quotes when that needs no escapes)."""
    if '"' in text and "'" not in text:
        return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _quote_fix(line: str) -> str:
    """The line with its value quoted, or '' when the line holds no `name: value`."""
    match = _FIELD_LINE.fullmatch(line.rstrip())
    if not match or not match["value"]:
        return ""
    return f"{match['lead']}{match['key']}: {quoted(match['value'])}".strip()


def _colon_in_text(lines: Sequence[str], row: int, column: int) -> str:
    line = lines[row] if row < len(lines) else ""
    match = _FIELD_LINE.fullmatch(line.rstrip())
    if match and column > match.start("value"):
        return ("text containing ': ' must be in quotes, or YAML reads a new field; write "
                f"{_quote_fix(line)}")
    if _FIELD_NAME.match(line):
        name = line.strip().lstrip("- ").split(":")[0]
        return _indentation(lines, row, f"'{name}' is indented more than the line above it, "
                            "so YAML reads it as more of that text. If it is a field, line it up "
                            "with the fields around it; if it is text, put the whole text in "
                            "quotes (text containing ': ' needs them)")
    return ("text continued on this line contains ': '; put the whole text in quotes, or write "
            "it as a block: the field name followed by >- and the text indented on the lines "
            "below")


def _short(line: str) -> str:
    """The start of a line, to name it: its field name, or its first 30 characters."""
    head = line.split(":")[0].strip()
    return head if len(head) <= 30 else head[:29].rstrip() + "…"


def _previous(lines: Sequence[str], row: int) -> int | None:
    """The nearest row above `row` with content (not blank, not only a comment)."""
    return next((r for r in range(min(row, len(lines)) - 1, -1, -1) if _content(lines[r])), None)


def _indentation(lines: Sequence[str], row: int, what: str) -> str:
    """Name the wrong line and the columns of the lines above it that it could line up with."""
    here = _indent(lines[row]) if row < len(lines) else 0
    columns: list[str] = []
    nearest = True
    entry = row < len(lines) and lines[row].lstrip().startswith("- ")
    for above in range(row - 1, -1, -1):
        line = lines[above]
        if not _content(line):
            continue
        col = _indent(line)
        inner = col + len(line[col:]) - len(line[col:].lstrip("- "))
        deeper = col if entry else inner
        starts = [(deeper, line[deeper:])] if nearest and deeper > here else []
        starts += [(col, line[col:])] if col < here else []
        for start, shown in starts:
            columns.append(f"column {start + 1}, like '{_short(shown)}' on line {above + 1}")
        nearest = False
        if col < here or col == 0:
            break
    if not columns:
        return f"indentation on line {row + 1}: {what}"
    return (f"indentation on line {row + 1}: {what}. It starts at column {here + 1}; start it "
            f"at {' or at '.join(dict.fromkeys(columns))} (fields of one mapping, and entries "
            "of one list, start at the same column)")


def _leading(problem: str, lines: Sequence[str], row: int) -> str:
    line = lines[row] if row < len(lines) else ""
    match = _FIELD_LINE.fullmatch(line.rstrip())
    if match and match["value"][:1] in ('"', "'"):
        return ("text that starts with a quotation mark must be in quotes as a whole (YAML "
                f"reads the quoted part as the whole value); write {_quote_fix(line)}")
    if match and match["value"] and match["value"][0] in _LEADING:
        char = match["value"][0]
        return (f"text starting with {char!r} must be in quotes (YAML reads {char!r} as "
                f"{_LEADING[char]}); write {_quote_fix(line)}")
    return problem


_CLOSED = {'"': re.compile(r'"(?:[^"\\]|\\.)*"'), "'": re.compile(r"'(?:[^']|'')*'")}


def _unclosed_quote(lines: Sequence[str], row: int) -> tuple[int, int] | None:
    """(row, column) of the nearest value above or at `row` that opens a quotation mark and
    does not close it on its line: a text quoted over several lines is valid YAML, but when
    the parser fails further down, a quote left open is the likely cause."""
    for above in range(min(row, len(lines) - 1), -1, -1):
        match = _FIELD_LINE.fullmatch(lines[above].rstrip())
        value = match["value"] if match else ""
        if value[:1] in _CLOSED and not _CLOSED[value[0]].match(value):
            return above, match.start("value") if match else 0
    return None


def syntax_message(problem: str, context: str, lines: Sequence[str],
                   problem_at: tuple[int, int], context_at: tuple[int, int] | None
                   ) -> tuple[str, int, int]:
    """(message, row, column), both 0-based, for a PyYAML/libyaml error: the row and column
    are where the mistake is, which is not always where the parser noticed it."""
    row, column = problem_at
    if context_at and "parsing a flow" in context:
        pair = "[ ]" if "sequence" in context else "{ }"
        return (f"the {pair[0]} opened on line {context_at[0] + 1} is not closed with "
                f"{pair[-1]}, or holds a ',' or ':' it cannot; if this is text, not a list, put "
                "it in quotes", *context_at)
    unclosed = _unclosed_quote(lines, row)
    if unclosed is not None:
        context, context_at = "while scanning a quoted scalar", unclosed
    if context_at and "scanning a quoted scalar" in context:
        return (f"the quotation mark opened on line {context_at[0] + 1} is not closed; end the "
                "text with the same mark (inside \"...\", write \\\" for a quotation mark; "
                "inside '...', write '')", *context_at)
    message = _reworded(problem, context, lines, problem_at, context_at)
    if message.startswith("indentation on line "):
        row = int(message.split()[3].rstrip(":")) - 1
        return message, row, _indent(lines[row]) if row < len(lines) else 0
    if message.startswith(("text that starts with", "text starting with")) and row < len(lines):
        match = _FIELD_LINE.fullmatch(lines[row].rstrip())
        return message, row, match.start("value") if match else column
    return message, row, column


def _reworded(problem: str, context: str, lines: Sequence[str], problem_at: tuple[int, int],
              context_at: tuple[int, int] | None) -> str:
    row, column = problem_at
    if "mapping values are not allowed" in problem:
        return _colon_in_text(lines, row, column)
    if "could not find expected ':'" in problem and context_at:
        wrong = context_at[0]
        above = _previous(lines, wrong)
        under = (f"indent it under '{_short(lines[above].strip())}' (line {above + 1}) if it "
                 "belongs to that field" if above is not None else "indent it")
        return _indentation(lines, wrong, f"this line is not a field (name: value); {under}, "
                                          "or add the field name and ': '")
    if "expected '-' indicator" in problem:
        return _indentation(lines, row, "this line starts where the '- ' entries of a list "
                                        "start, but is not an entry: start it with '- ' for a "
                                        "new entry, or indent it to belong to the entry above")
    if "did not find expected key" in problem:
        return _leading("", lines, row) or _indentation(
            lines, row, "this line lines up with none of the lines above it")
    if any(word in context or word in problem for word in
           ("alias", "cannot start any token", "block scalar", "block sequence entries",
            "mapping keys are not allowed", "anchor", "tag")):
        return _leading(_stray(problem, lines, row, column), lines, row)
    return _stray(problem, lines, row, column)


def _stray(problem: str, lines: Sequence[str], row: int, column: int) -> str:
    """A character YAML cannot read where it stands (a stray %, @, backtick, bracket...)."""
    line = lines[row] if row < len(lines) else ""
    for char in (line[column:column + 1], line.strip()[:1]):
        if char and char in _LEADING or char in (",", ":", "]", "}"):
            return (f"YAML cannot read {char!r} here: if it is part of a text, put the whole "
                    "text in quotes; if not, remove it")
    return f"YAML syntax: {problem}"


def leading_hint(char: str) -> str:
    """The end of a message about a value that starts with a YAML indicator."""
    return f"; to start text with {char!r}, put the whole text in quotes"


def encoding_message(raw: bytes, start: int) -> str:
    """Why bytes that are not UTF-8 failed, naming their likely encoding and how to convert."""
    byte = f"byte 0x{raw[start]:02x}"
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    odd = {c for c in text if ord(c) > 127 and not c.isalpha() and c not in _WINDOWS_EXTRA}
    if text and not odd:
        char = raw[start:start + 1].decode("cp1252")
        return (f"the file is not UTF-8 ({byte}); it looks like Windows-1252 ({byte} would be "
                f"{char!r}): re-save it as UTF-8 (in Notepad: File > Save as, Encoding UTF-8; "
                "or run `iconv -f cp1252 -t utf-8 OLD.yaml > NEW.yaml`)")
    return (f"the file is not UTF-8 ({byte}) nor an encoding hscourse recognises: open it in "
            "a text editor and save it with the encoding UTF-8")


def utf16_message(raw: bytes) -> str:
    """The message for a UTF-16 file (with a byte order mark, as Windows editors write it)."""
    return ("the file is UTF-16, not UTF-8: re-save it as UTF-8 (in Notepad: File > Save as, "
            "Encoding UTF-8; or run `iconv -f utf-16 -t utf-8 OLD.yaml > NEW.yaml`)")


def comment_warning(value: str, rest: str, line: str) -> str:
    """The warning when text on a line is followed by ` #...`, which YAML drops as a comment."""
    fix = _quote_fix(line)
    fix = f"write {fix}" if fix else "put the whole text in quotes"
    return (f"text after ' #' was read as a comment, so the value ends at {value[-30:]!r} and "
            f"'#{rest.strip()[:30]}' is lost; {fix} (for a deliberate comment, put two spaces "
            "before the #)")


def flow_list_warning(items: Sequence[str]) -> str:
    """The warning when a [a, b, c] list of texts seems to split sentences at their commas."""
    shown = " | ".join(repr(i) for i in items[:4]) + (" | ..." if len(items) > 4 else "")
    return (f"the list in [ ] was split at its commas into {len(items)} entries ({shown}); "
            "if an entry is one text with commas, quote it: "
            f"[{quoted(', '.join(items))}], or write one '- ' entry per line")


def looks_split(items: Sequence[str]) -> bool:
    """True when an entry seems to continue the sentence before it, cut at a comma: it starts in
    lowercase after an entry that does not end a sentence, and a later entry ends one."""
    for i in range(1, len(items)):
        before, here = items[i - 1], items[i]
        if before.endswith(_SENTENCE_END) or not here[:1].islower():
            continue
        if any(item.endswith((".", "?", "!")) for item in items[i:]):
            return True
    return False


def _schema_at(schema: dict[str, Any], data: Any, path: tuple[object, ...]) -> dict[str, Any]:
    """The schema of the value at path (empty when the path leaves the schema)."""
    value = data
    for part in path:
        if isinstance(value, dict) and isinstance(part, str) and part in value:
            schema, value = field_schemas(schema, value).get(part, {}), value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            schema, value = resolve(schema, value).get("items", {}), value[part]
        else:
            return {}
    return schema


def _is_prose(schema: dict[str, Any]) -> bool:
    """A text field (Markdown or plain) that is not an id, a choice or a pattern."""
    schema = resolve(schema, "")
    return schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema)


def split_lists(data: Any, schema: dict[str, Any], flow_lists: Collection[tuple[object, ...]],
                quoted: Collection[tuple[object, ...]]) -> Iterator[tuple[tuple[object, ...], str]]:
    """(path, warning) for each [a, b, c] list of texts that seems to have split a sentence."""
    for path in flow_lists:
        items = value_at(data, path)
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            continue
        if any(path + (i,) in quoted for i in range(len(items))):
            continue
        if _is_prose(_schema_at(schema, data, path).get("items", {})) and looks_split(items):
            yield path, flow_list_warning(items)


def value_at(data: Any, path: tuple[object, ...]) -> Any:
    """The value at path inside nested mappings and lists, or None."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
