"""The CSV answer key, read back with the csv module."""

from __future__ import annotations

import csv
import io

from hscourse.course.forms import module_seed
from hscourse.course.model import module_view
from hscourse.course.project import load_course
from hscourse.formats.csvkey import export_csv

from lms.courses import EXAMPLE, REPO


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_example_key() -> None:
    data, warnings = export_csv(load_course(EXAMPLE))
    assert warnings == []
    got = {r["item_id"]: (r["type"], r["correct_response"], r["points"]) for r in rows(data)}
    assert got["ex-q1"] == ("single_choice", "A", "1")
    assert got["ex-q2"] == ("multiple_answer", "A, B", "2")
    assert got["ex-q3"] == ("true_false", "False", "1")
    assert got["ex-q4"] == ("short_answer", "ACCEPTED-World Bank / ACCEPTED-the World Bank", "1")
    assert got["ex-q5"][0] == "essay" and got["ex-q5"][2] == "4"
    assert len(got) == 7


def test_shipped_key_matches_the_printed_key_for_every_item() -> None:
    course = load_course(REPO)
    printed = [(i["id"], i["key"]) for m in course.modules
               for i in module_view(m, "instructor", module_seed(course, m))["quiz"]]
    assert [(r["item_id"], r["correct_response"]) for r in rows(export_csv(course)[0])] == printed
