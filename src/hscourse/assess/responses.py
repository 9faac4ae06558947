"""Reading responses CSV files: the encodings and dialects spreadsheets write, located errors.

A responses file is what an instructor (or a scanner) types after a paper quiz: a header row
`student_id,name,form,1,2,...,N` and one row per student with the answers as printed on that
student's form. Spreadsheets in many countries save CSV with semicolons (where the comma is the
decimal mark) and Excel's "CSV UTF-8" adds a byte-order mark: both are accepted. Any other
encoding is refused with its name, since guessing wrong would silently change the answers.
Every cell keeps its row and column, so errors read `file:row:column`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from hscourse.errors import ContentError, Diagnostic

MAX_BYTES = 50 * 1024 * 1024
BOMS = ((b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"), (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
        (b"\xff\xfe", "UTF-16 (little-endian)"), (b"\xfe\xff", "UTF-16 (big-endian)"))
SAVE_AS = "save it from your spreadsheet as \"CSV UTF-8\" (comma or semicolon separated)"


@dataclass(frozen=True)
class Table:
    """A CSV file as text cells. Rows are numbered as a spreadsheet shows them (header = 1)."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    delimiter: str

    def error(self, row: int, column: int, field: str, message: str) -> Diagnostic:
        """A problem at a cell (column 1-based; 0 when the whole row is meant)."""
        return Diagnostic(self.file, row, column, field, message)


def _guess_encoding(data: bytes) -> str:
    """A name for bytes that are not UTF-8, for the error message."""
    for bom, name in BOMS:
        if data.startswith(bom):
            return name
    if data[:200].count(b"\x00") > 20:
        return "UTF-16 (without a byte-order mark)"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "an 8-bit code page (not UTF-8)"
    return "Windows-1252 or Latin-1 (not UTF-8)"


def decode(data: bytes, display: str) -> str:
    """UTF-8 text, with or without a byte-order mark; any other encoding is an error."""
    for bom, _name in BOMS:
        if data.startswith(bom):
            raise ContentError([Diagnostic(display, 0, 0, "", f"the file is encoded as "
                                           f"{_guess_encoding(data)}; {SAVE_AS}")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ContentError([Diagnostic(display, line, column, "", f"the file is not UTF-8: it "
                                       f"looks like {_guess_encoding(data)}; {SAVE_AS}")]) from None


def _delimiter(first_line: str) -> str:
    """Semicolons when the header holds more of them than commas (European Excel)."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def parse(text: str, display: str) -> Table:
    """The header and the non-empty rows of CSV text."""
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error as exc:
        raise ContentError([Diagnostic(display, reader.line_num, 0, "",
                                       f"not valid CSV: {exc}")]) from None
    if not rows:
        raise ContentError([Diagnostic(display, 1, 1, "", "the file is empty: it needs a header "
                                       "row and one row per student")])
    (_, header), body = rows[0], rows[1:]
    return Table(display, header, body, delimiter)


def read_table(path: Path, display: str | None = None) -> Table:
    """Read a CSV file (UTF-8, optional BOM, comma or semicolon) into a Table."""
    display = display or str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ContentError([Diagnostic(display, 0, 0, "", f"cannot read the file: "
                                       f"{exc.strerror or exc}")]) from None
    if len(data) > MAX_BYTES:
        raise ContentError([Diagnostic(display, 0, 0, "", f"larger than "
                                       f"{MAX_BYTES // (1024 * 1024)} MiB")])
    return parse(decode(data, display), display)


def template_csv(questions: int) -> bytes:
    """An empty responses file: the header only (an example row would grade as a student).
    Question columns are the numbers printed on the form; essays take points."""
    header = ["student_id", "name", "form"] + [str(n) for n in range(1, questions + 1)]
    return (",".join(header) + "\r\n").encode("utf-8")
