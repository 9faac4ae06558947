"""The resolved course as plain data (for `hscourse export --format json`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hscourse.model import Course, module_view
from hscourse.project import load_course


def course_view(course: Course, audience: str) -> dict[str, Any]:
    return {"course": course.settings,
            "modules": [module_view(m, audience) for m in course.modules]}


def course_data(root: Path, audience: str) -> dict[str, Any]:
    return course_view(load_course(root), audience)
