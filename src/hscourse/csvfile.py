"""CSV files hscourse writes (answer keys, version maps, gradebooks): one writer, safe cells.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula, so an accepted
answer such as `=HYPERLINK(...)` taken from a module file could run in the instructor's
spreadsheet. As OWASP recommends for CSV injection, such cells (and cells starting with a tab
or carriage return) are written with a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")  # a plain number (a negative mark) stays a number


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def rows_bytes(rows: Iterable[Iterable[Any]], *, crlf: bool = False, bom: bool = False) -> bytes:
    """UTF-8 CSV of rows, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def csv_bytes(header: Iterable[Any], rows: Iterable[Iterable[Any]], *, excel: bool = False
              ) -> bytes:
    """UTF-8 CSV of header and rows, every cell made safe; excel=True writes CRLF line ends
    and a byte-order mark, so spreadsheets read the file as UTF-8."""
    return rows_bytes([list(header), *rows], crlf=excel, bom=excel)
