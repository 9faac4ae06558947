"""Imported HTML to hscourse Markdown, in time linear in the input.

The stdlib `html.parser` reads the markup. Two things keep the work linear whatever the input:
the text is fed once and the parser is never asked to finish (`close()` rescans each unfinished
construct to the end of the text: quadratic on `<a <a <a ...` or `<!--<!--...`), so whatever it
leaves unread is an unfinished tag, comment or entity, handled here; and the Markdown is tidied
line by line rather than with backtracking patterns.

Content a student would not see (see `hidden.py`) is left out, each hidden element reported with
its line and the start of its text. `<pre>` blocks are kept verbatim in a fence, and tables
become Markdown (GitHub) tables.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import ClassVar
from urllib.parse import unquote

from hscourse.formats.hidden import Look, examine

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link",
                  "meta", "param", "source", "track", "wbr"})
ALT_TODO = "TO DO: describe this image"  # hscourse requires alt text; Moodle does not
SNIPPET = 60  # characters of hidden text quoted in a note
_MD_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]"})


def escape_markdown(text: str) -> str:
    return text.translate(_MD_ESCAPES)


def collapse(text: str) -> str:
    """Runs of whitespace as one space (linear; str.split has no backtracking)."""
    words = text.split()
    if not words:
        return " " if text else ""
    return (" " if text[:1].isspace() else "") + " ".join(words) + \
        (" " if text[-1:].isspace() else "")


class Verbatim(str):
    """A finished Markdown block (a fenced `<pre>` or a table) that tidying must not touch."""


@dataclass
class _Open:
    """An open element: its tag, colours, and why it hides its content (None if it does not)."""

    tag: str
    look: Look
    hidden: str | None = None
    line: int = 1
    text: list[str] = field(default_factory=list)
    size: int = 0


@dataclass
class _Table:
    outer: list[str]
    loose: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    header: bool = False
    row: list[str] | None = None
    cell: list[str] | None = None
    spans: bool = False


def tidy(text: str) -> str:
    """Paragraph breaks for runs of blank lines; leading spaces dropped except before list
    markers and 3-space continuation indents. One pass over the lines."""
    lines = text.split("\n")
    kept: list[str] = []
    blank = False
    last = len(lines) - 1
    for index, line in enumerate(lines):
        if 0 < index < last and not line.strip(" \t"):
            blank = True
            continue
        if blank:
            if kept:
                kept[-1] = kept[-1].rstrip(" \t")
            kept.append("")
            line = line.lstrip(" \t")
            blank = False
        stripped = line.lstrip(" \t")
        first = stripped[:1]
        if stripped != line and not (first == "-" or first.isdecimal()) \
                and not line.startswith("   "):
            line = stripped
        kept.append(line)
    return "\n".join(kept).strip()


def fence(code: str) -> str:
    """code in a backtick fence longer than any backtick run inside it."""
    longest = run = 0
    for char in code:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    marks = "`" * max(3, longest + 1)
    return f"{marks}\n{code}\n{marks}"


class HtmlToMarkdown(HTMLParser):
    """The HTML subset that hscourse's Markdown renderer writes, back to Markdown; other
    markup keeps its text and is noted, hidden content is left out and noted.

    `image(name)` gives the Markdown target of an embedded image (or None when the source
    does not hold it); `note(line, message)` records a warning, `line` being the line in the
    text (1 = its first line).
    """

    BLOCKS: ClassVar[frozenset[str]] = frozenset(
        {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "caption"})
    INLINE: ClassVar[dict[str, str]] = {"em": "*", "i": "*", "strong": "**", "b": "**",
                                        "code": "`", "s": "~~", "del": "~~"}
    SILENT: ClassVar[frozenset[str]] = frozenset({
        "span", "font", "small", "big", "thead", "tbody", "tfoot", "tr", "th", "td", "html",
        "body", "table", "colgroup", "col", "summary"})

    def __init__(self, image: Callable[[str, int], str | None],
                 note: Callable[[int, str], None]):
        super().__init__(convert_charrefs=True)
        self.image = image
        self.report = note
        self.out: list[str] = []
        self.lists: list[list[int]] = []  # one [counter] per open list; counter 0 = bullets
        self.links: list[str] = []
        self.pre: list[str] | None = None
        self.pre_outer: list[str] = []
        self.tables: list[_Table] = []
        self.stack: list[_Open] = []
        self.open: dict[str, int] = {}  # how many elements of each tag are open
        self.hidden = 0  # open elements that hide their content
        self.hider: _Open | None = None  # the outermost of them
        self.lost: set[str] = set()
        self.missing: list[str] = []
        self.notes_made = 0

    # -- reading ------------------------------------------------------------------------------

    def convert(self, text: str) -> str:
        """The Markdown of text (a fresh parser per text)."""
        try:
            self.feed(text)
        except AssertionError:  # html.parser's reaction to some malformed declarations
            self.report(self.getpos()[0], "markup the HTML reader cannot read (such as "
                                          "'<![ ') left out from here to the end of the text; "
                                          "fix or remove it in the source")
            self.rawdata = ""
        self._unfinished(self.rawdata)
        self.rawdata = ""
        while self.stack:
            self._pop()
        while self.tables:
            self._end_table()
        self._end_pre()
        return self.markdown()

    def _unfinished(self, tail: str) -> None:
        """What the parser leaves unread: an unfinished tag, comment or declaration (which a
        browser does not show: left out, noted) or text ending in a possible entity."""
        if not tail:
            return
        if tail.startswith("<") and len(tail) > 1:
            if not self.hidden:
                self.report(self.getpos()[0], "unfinished markup at the end of the text left "
                            f"out (a browser does not show it): {_snippet(tail)!r}; write "
                            "'&lt;' for a '<' that is text")
            return
        self.handle_data(html.unescape(tail))

    def _note_hidden(self, line: int, what: str, text: str) -> None:
        self.notes_made += 1
        self.report(line, f"hidden content left out ({what}): {_snippet(text)!r}; students do "
                          "not see it in the LMS. If they should, remove what hides it in the "
                          "source and import again")

    def handle_comment(self, data: str) -> None:
        if data.strip() and not self.hidden:
            self._note_hidden(self.getpos()[0], "an HTML comment", data)

    def handle_pi(self, data: str) -> None:
        if not self.hidden:
            self._note_hidden(self.getpos()[0], "a processing instruction", data)

    def unknown_decl(self, data: str) -> None:
        if data.strip() and not self.hidden:
            self._note_hidden(self.getpos()[0], "a marked section", data)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """`<x/>`: HTML ignores the slash on elements that are not void, so a hidden `<span
        hidden/>` hides what follows it until its parent ends, as in a browser."""
        depth = len(self.stack)
        self.handle_starttag(tag, attrs)
        if len(self.stack) > depth and not self.stack[-1].hidden:
            self.handle_endtag(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        line = self.getpos()[0]
        parent = self.stack[-1].look if self.stack else Look()
        look, reason = examine(tag, values, parent)
        if tag in VOID:
            if self.hidden:
                self._hidden_text(f"[{tag}]")
            elif reason:
                src = values.get("src") or values.get("value") or values.get("alt") or ""
                if src:
                    self._note_hidden(line, f"<{tag}> with {reason}", src)
            else:
                self._start(tag, values, line)
            return
        entry = _Open(tag, look, reason, line)
        self.stack.append(entry)
        self.open[tag] = self.open.get(tag, 0) + 1
        if reason:
            self.hidden += 1
            self.hider = self.hider or entry
        if not self.hidden:
            self._start(tag, values, line)

    def handle_endtag(self, tag: str) -> None:
        if not self.open.get(tag):
            return
        while self.stack:
            entry = self._pop()
            if entry.tag == tag:
                return

    def _pop(self) -> _Open:
        """Close the innermost open element (reporting it if it hid something)."""
        entry = self.stack.pop()
        self.open[entry.tag] -= 1
        if entry.hidden:
            self.hidden -= 1
            if not self.hidden:
                self.hider = None
            if not self.hidden and "".join(entry.text).strip():
                self._note_hidden(entry.line, f"<{entry.tag}> with {entry.hidden}"
                                  if not entry.hidden.startswith(("a ", "an ", "the "))
                                  else entry.hidden, "".join(entry.text))
        elif not self.hidden:
            self._end(entry.tag)
        return entry

    def _hidden_text(self, data: str) -> None:
        outer = self.hider
        if outer is not None and outer.size < SNIPPET * 2:
            outer.text.append(data[:SNIPPET * 2])
            outer.size += len(data)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            self._hidden_text(data)
        elif self.pre is not None:
            self.pre.append(data)
        elif self.out and self.out[-1] == "`":
            self.out.append(collapse(data))
        else:
            self.out.append(escape_markdown(collapse(data)))

    # -- writing ------------------------------------------------------------------------------

    def _start(self, tag: str, values: dict[str, str], line: int) -> None:
        if tag in ("table", "tr", "td", "th"):
            self._table_start(tag, values)
        elif self.pre is not None:
            if tag == "br":
                self.pre.append("\n")
        elif tag in self.BLOCKS:
            self.out.append("\n\n")
            if tag.startswith("h") and tag[1:].isdigit():
                self.out.append("#" * int(tag[1]) + " ")
            elif tag == "blockquote":
                self.out.append("> ")
        elif tag in self.INLINE:
            self.out.append(self.INLINE[tag])
        elif tag == "br":
            self.out.append(" " if self._in_cell() else "\\\n")
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
            self._image(values, line)
        elif tag == "pre":
            self.pre, self.pre_outer = [], self.out
        elif tag not in self.SILENT:
            self.lost.add(tag)

    def _end(self, tag: str) -> None:
        if tag in ("table", "tr", "td", "th"):
            self._table_end(tag)
        elif tag == "pre":
            self._end_pre()
        elif self.pre is not None:
            return
        elif tag in self.BLOCKS:
            self.out.append("\n\n")
        elif tag in self.INLINE:
            self.out.append(self.INLINE[tag])
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.out.append("\n\n" if not self.lists else "")
        elif tag == "a" and self.links:
            self.out.append(f"](<{self.links.pop()}>)")

    def _end_pre(self) -> None:
        if self.pre is None:
            return
        code = "".join(self.pre)
        code = code.removeprefix("\n")
        self.out = self.pre_outer
        self.pre = None
        self.out.append(Verbatim(fence(code.rstrip())))

    def _image(self, values: dict[str, str], line: int) -> None:
        src = values.get("src", "")
        name = unquote(src.split("@@PLUGINFILE@@/", 1)[-1]) if "@@PLUGINFILE@@/" in src \
            else unquote(src)
        target = self.image(name, line)
        if target is None and src.startswith(("http://", "https://")):
            target = src
        if target is None:
            self.missing.append(name)
        elif target:
            alt = values.get("alt", "").strip()
            if not alt:
                alt = ALT_TODO
                self.report(line, f"image {name!r} has no alt text: {ALT_TODO!r} written in its "
                                  "place; describe what it shows")
            self.out.append(f"![{escape_markdown(alt)}](<{target}>)")

    # -- tables -------------------------------------------------------------------------------

    def _in_cell(self) -> bool:
        return bool(self.tables) and self.tables[-1].cell is not None

    def _table_start(self, tag: str, values: dict[str, str]) -> None:
        if tag == "table":
            self.tables.append(_Table(outer=self.out))
            self.out = self.tables[-1].loose
            return
        if not self.tables:
            return
        table = self.tables[-1]
        self._end_cell(table)
        if tag == "tr":
            self._end_row(table)
            table.row = []
            return
        if table.row is None:
            table.row = []
        if tag == "th" and not table.rows:
            table.header = True
        table.cell = []
        self.out = table.cell
        span = values.get("colspan", "1").strip()
        if span not in ("", "1") or values.get("rowspan", "1").strip() not in ("", "1"):
            table.spans = True

    def _table_end(self, tag: str) -> None:
        if not self.tables:
            return
        table = self.tables[-1]
        if tag in ("td", "th"):
            self._end_cell(table)
        elif tag == "tr":
            self._end_cell(table)
            self._end_row(table)
        else:
            self._end_table()

    def _end_cell(self, table: _Table) -> None:
        if table.cell is None:
            return
        text = " ".join("".join(table.cell).split())
        if table.row is None:
            table.row = []
        table.row.append(text.replace("|", "\\|"))
        table.cell = None
        self.out = table.loose

    def _end_row(self, table: _Table) -> None:
        if table.row:
            table.rows.append(table.row)
        table.row = None

    def _end_table(self) -> None:
        table = self.tables.pop()
        self._end_cell(table)
        self._end_row(table)
        self.out = table.outer
        caption = tidy("".join(table.loose))
        if caption:
            self.out.extend(["\n\n", caption, "\n\n"])
        if not table.rows:
            return
        if self.tables:  # a table inside a cell: its rows as text
            self.out.append(" ".join("; ".join(row) for row in table.rows))
            self.report(self.getpos()[0], "a table inside a table cell was flattened into text")
            return
        width = max(len(row) for row in table.rows)
        rows = [row + [""] * (width - len(row)) for row in table.rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        self.out.append(Verbatim("\n".join(lines)))
        if not table.header:
            self.report(self.getpos()[0], "a table without header cells (<th>): its first row "
                                          "became the Markdown table's header row")
        if table.spans:
            self.report(self.getpos()[0], "a table with merged cells (colspan/rowspan): each "
                                          "merged cell became one cell; check the table")

    def markdown(self) -> str:
        """The Markdown written, tidied around the verbatim blocks."""
        blocks: list[str] = []
        buffer: list[str] = []
        for part in self.out + [Verbatim("")]:
            if isinstance(part, Verbatim):
                blocks.extend(b for b in (tidy("".join(buffer)), str(part)) if b)
                buffer = []
            else:
                buffer.append(part)
        return "\n\n".join(blocks)


def _snippet(text: str) -> str:
    text = " ".join(text[:SNIPPET * 2].split())
    return text if len(text) <= SNIPPET else text[:SNIPPET - 3] + "..."


class _TextOnly(HtmlToMarkdown):
    """Only the visible text: no Markdown, no escapes."""

    def handle_data(self, data: str) -> None:
        if self.hidden:
            self._hidden_text(data)
        else:
            self.out.append(data)

    def _start(self, tag: str, values: dict[str, str], line: int) -> None:
        return

    def _end(self, tag: str) -> None:
        return

    def markdown(self) -> str:
        return "".join(self.out).strip()


class _HiddenSpans(_TextOnly):
    """Where a text's hidden elements and comments are, as (start, end) offsets."""

    def convert(self, text: str) -> str:
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        self.spans: list[tuple[int, int]] = []
        self.opened: int | None = None
        super().convert(text)
        if self.opened is not None:
            self.spans.append((self.opened, len(text)))
        return ""

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.starts[line - 1] + column

    def _unfinished(self, tail: str) -> None:
        return  # Markdown shows an unfinished tag as text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        before, notes = self.hidden, self.notes_made
        super().handle_starttag(tag, attrs)
        if not before and self.hidden:
            self.opened = self._offset()
        elif not before and self.notes_made > notes:  # a hidden void element
            start = self._offset()
            self.spans.append((start, start + len(self.get_starttag_text() or "")))

    def handle_endtag(self, tag: str) -> None:
        before = self.hidden
        super().handle_endtag(tag)
        if before and not self.hidden and self.opened is not None:
            end = self.rawdata.find(">", self._offset())
            self.spans.append((self.opened, len(self.rawdata) if end < 0 else end + 1))
            self.opened = None

    def handle_comment(self, data: str) -> None:
        super().handle_comment(data)
        if not self.hidden:
            start = self._offset()
            self.spans.append((start, start + len(data) + 7))  # <!-- and -->


def without_hidden_html(markdown: str, note: Callable[[int, str], None]) -> str:
    """Markdown with the hidden HTML elements and comments it holds cut out (and noted): the
    renderer would print them as text, where the source's LMS hides them."""
    if "<" not in markdown:
        return markdown
    finder = _HiddenSpans(lambda name, line: None, note)
    finder.convert(markdown)
    kept, at = [], 0
    for start, end in sorted(finder.spans):
        if start >= at:
            kept.append(markdown[at:start])
            at = end
        else:
            at = max(at, end)
    kept.append(markdown[at:])
    return "".join(kept).strip()


def text_from_html(value: str, note: Callable[[int, str], None]) -> str:
    """The visible text of HTML, hidden content left out (and noted)."""
    return _TextOnly(lambda name, line: None, note).convert(value)


class _Probe(HTMLParser):
    found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found = True

    def handle_endtag(self, tag: str) -> None:
        self.found = True

    def handle_comment(self, data: str) -> None:
        self.found = True


def has_markup(value: str) -> bool:
    """Whether text holds an HTML tag or comment (Moodle's auto-format tells HTML this way)."""
    if "<" not in value:
        return False
    probe = _Probe(convert_charrefs=True)
    try:
        probe.feed(value)
    except AssertionError:
        return True
    return probe.found
