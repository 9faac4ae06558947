"""The resolved course as plain data (for `hscourse export --format json`).

The student view carries no seed, secret or quiz item id: with them, anyone could recompute the
order of a form or of a matching item's choices.
"""

from __future__ import annotations

from typing import Any

from hscourse.course.forms import module_seed
from hscourse.course.model import Course, module_view


def _module(course: Course, module: Any, audience: str) -> dict[str, Any]:
    view = module_view(module, audience, module_seed(course, module))
    if audience == "student":
        view["quiz"] = [{k: v for k, v in item.items() if k != "id"}
                        for item in view.get("quiz", [])]
    return view


def course_view(course: Course, audience: str) -> dict[str, Any]:
    settings = course.settings.values() if audience == "instructor" else course.settings.public()
    return {"course": settings, "modules": [_module(course, m, audience) for m in course.modules]}
