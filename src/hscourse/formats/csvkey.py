"""The answer key as CSV, for gradebooks and answer-sheet scanners.

One row per quiz item, in teaching order. The correct response is the one printed in the
instructor quiz (`model.answer_key`): option letters, True/False, accepted answers, matching and
ordering keys against the shuffled columns the student quiz shows. CSV carries every item type.
"""

from __future__ import annotations

from hscourse.course.model import Course
from hscourse.csvfile import csv_bytes
from hscourse.errors import Diagnostic
from hscourse.formats.common import points_text, quiz_items

HEADER = ("item_id", "module", "type", "correct_response", "points")


def export_csv(course: Course, strict: bool = False) -> tuple[bytes, list[Diagnostic]]:
    """The answer key as UTF-8 CSV (with a byte-order mark, so spreadsheets read it as UTF-8)."""
    rows = [(item["id"], module.id, item["type"], item["key"], points_text(item["points"]))
            for module, _view, items in quiz_items(course) for _index, item in items]
    return csv_bytes(HEADER, rows, excel=True), []
