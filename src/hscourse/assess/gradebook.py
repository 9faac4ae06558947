"""Gradebook files for Moodle and Canvas, one quiz total per student.

Moodle (Grade administration > Import > CSV file; docs.moodle.org/en/Grade_import): the first
row names the columns; at the preview, map "ID number" to the user field `idnumber` (Map from /
Map to) and the grade column to the quiz's grade item (or a new one). Moodle's own grade export
names a grade column "<item> (Real)"; its maximum must match the grade item's.

Canvas (Grades > Import; the same layout as Canvas's gradebook export): the columns Student,
ID, SIS User ID, SIS Login ID and Section, then one column per assignment; a second row
"Points Possible" gives the assignment's points. Canvas matches students by ID, SIS User ID
or SIS Login ID: hscourse fills SIS User ID with the student id from the responses file and
leaves ID (Canvas's own number) empty.
"""

from __future__ import annotations

from collections.abc import Iterable

from hscourse.assess.grade import StudentScore
from hscourse.csvfile import rows_bytes

MOODLE_HEADER = ("ID number", "Full name")
CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "    Points Possible"  # as Canvas writes it in its own export


def _csv(rows: Iterable[Iterable[object]]) -> bytes:
    return rows_bytes(rows, crlf=True)


def _points(value: float) -> str:
    return f"{round(value, 2):g}"


def moodle_csv(students: list[StudentScore], item_name: str) -> bytes:
    """UTF-8 CSV for Moodle's CSV grade import: ID number, Full name, '<item> (Real)'."""
    rows: list[list[object]] = [[*MOODLE_HEADER, f"{item_name} (Real)"]]
    rows += [[s.student_id, s.name, _points(s.total)] for s in students]
    return _csv(rows)


def canvas_csv(students: list[StudentScore], assignment: str, max_points: float,
               section: str = "") -> bytes:
    """UTF-8 CSV for Canvas's gradebook import, with the Points Possible row."""
    rows: list[list[object]] = [[*CANVAS_HEADER, assignment],
                                [CANVAS_POINTS_ROW, "", "", "", "", _points(max_points)]]
    rows += [[s.name, "", s.student_id, "", section, _points(s.total)] for s in students]
    return _csv(rows)
