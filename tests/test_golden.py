"""The HTML of each edition, compared with stored copies (PDF bytes vary with WeasyPrint).

The stylesheets are left out of the comparison (templates/print.css and the font rules of
_style.html.j2, already under version control); the markup is what these copies guard. After an intended change to templates
or rendering, regenerate the copies with
`HSCOURSE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py`, then read the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from hscourse.course.project import load_course
from hscourse.render.html import EDITIONS, render_edition

from conftest import EXAMPLE

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("edition", EDITIONS, ids=lambda e: e.kind)
def test_edition_html_matches_golden_copy(edition) -> None:
    course = load_course(EXAMPLE)
    html = re.sub(r"(<style[^>]*>).*?</style>", r"\1(stylesheet)</style>",
                  render_edition(course, course.modules[0], edition), flags=re.S)
    stored = GOLDEN / f"example-{edition.kind}.html"
    if os.environ.get("HSCOURSE_UPDATE_GOLDEN"):
        stored.parent.mkdir(exist_ok=True)
        stored.write_text(html, encoding="utf-8")
    assert html == stored.read_text(encoding="utf-8")


def test_student_html_holds_no_instructor_field_even_in_markup() -> None:
    course = load_course(EXAMPLE)
    for edition in EDITIONS:
        if edition.audience != "student":
            continue
        html = render_edition(course, course.modules[0], edition)
        for marker in ("EXPLANATION-", "FEEDBACK-", "ACCEPTED-", "MODEL-ANSWER", "RUBRIC-",
                       "STRONG-ANSWER", "MISCONCEPTION", "FACILITATION", "SESSION-PLAN",
                       "INSTRUCTOR-"):
            assert marker not in html, (edition.kind, marker)
