"""The resolved course as plain data (for `hscourse export --format json`)."""

from __future__ import annotations

from typing import Any

from hscourse.model import Course, module_view


def course_view(course: Course, audience: str) -> dict[str, Any]:
    return {"course": course.settings,
            "modules": [module_view(m, audience) for m in course.modules]}
