"""What differs between two resolved courses (two terms): for `hscourse diff`."""

from __future__ import annotations

from typing import Any

from hscourse.course.model import Course
from hscourse.course.settings import SECRET_SETTINGS


def _value(value: Any, key: str = "") -> str:
    if key in SECRET_SETTINGS and value != "-":
        return "(hidden)"
    if value in ("", None, []):
        return "-"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _items(course: Course, module_id: str, section: str) -> dict[str, dict[str, Any]]:
    module = next((m for m in course.modules if m.id == module_id), None)
    return {e["id"]: e for e in (module.data.get(section, []) if module else [])}


def _module_lines(a: Course, b: Course, module_id: str) -> list[str]:
    lines: list[str] = []
    titles = [next(m.data["title"] for m in c.modules if m.id == module_id) for c in (a, b)]
    if titles[0] != titles[1]:
        lines.append(f"{module_id}: title {titles[0]!r} -> {titles[1]!r}")
    when = [c.schedule.get(module_id, {}) for c in (a, b)]
    for key in ("week", "date"):
        if when[0].get(key) != when[1].get(key):
            lines.append(f"{module_id}: {key} {when[0].get(key, '-')} -> {when[1].get(key, '-')}")
    for section, word in (("readings", "reading"), ("discussion", "discussion question"),
                          ("quiz", "quiz item")):
        left, right = _items(a, module_id, section), _items(b, module_id, section)
        lines += [f"{module_id}: {word} {i} only in the first" for i in left if i not in right]
        lines += [f"{module_id}: {word} {i} only in the second" for i in right if i not in left]
        for i in (i for i in left if i in right):
            if section == "quiz" and left[i]["points"] != right[i]["points"]:
                lines.append(f"{module_id}: {i} points {left[i]['points']:g} -> "
                             f"{right[i]['points']:g}")
            fields = sorted(k for k in set(left[i]) | set(right[i])
                            if k != "points" and left[i].get(k) != right[i].get(k))
            if fields:
                lines.append(f"{module_id}: {word} {i} differs in {', '.join(fields)}")
    return lines


def differences(a: Course, b: Course) -> list[str]:
    """One line per difference in settings, modules and their order, items, points, dates."""
    left, right = a.settings.values(), b.settings.values()
    lines = [f"{key}: {_value(left.get(key, '-'), key)} -> {_value(right.get(key, '-'), key)}"
             for key in sorted(set(left) | set(right))
             if key not in ("modules", "exams") and left.get(key) != right.get(key)]
    order_a, order_b = [m.id for m in a.modules], [m.id for m in b.modules]
    lines += [f"module {m} only in the first" for m in order_a if m not in order_b]
    lines += [f"module {m} only in the second" for m in order_b if m not in order_a]
    shared = [m for m in order_a if m in order_b]
    if shared != [m for m in order_b if m in order_a]:
        lines.append(f"module order: {', '.join(order_a)} -> {', '.join(order_b)}")
    for module_id in shared:
        lines += _module_lines(a, b, module_id)
    return lines + _exam_lines(a, b)


def _exam_lines(a: Course, b: Course) -> list[str]:
    """Exams only in one term; for the others, their settings, items (as drawn) and points."""
    exams_a, exams_b = ({e.id: e for e in c.exams} for c in (a, b))
    lines = [f"exam {e} only in the first" for e in exams_a if e not in exams_b]
    lines += [f"exam {e} only in the second" for e in exams_b if e not in exams_a]
    for exam_id in (e for e in exams_a if e in exams_b):
        left, right = exams_a[exam_id], exams_b[exam_id]
        for key in ("title", "date", "duration", "versions", "reserve"):
            if left.settings.get(key) != right.settings.get(key):
                lines.append(f"exam {exam_id}: {key} {left.settings.get(key, '-')} -> "
                             f"{right.settings.get(key, '-')}")
        items_a, items_b = ({i["id"]: i for i in e.module.data["quiz"]} for e in (left, right))
        lines += [f"exam {exam_id}: item {i} only in the first" for i in items_a
                  if i not in items_b]
        lines += [f"exam {exam_id}: item {i} only in the second" for i in items_b
                  if i not in items_a]
        lines += [f"exam {exam_id}: {i} points {items_a[i]['points']:g} -> "
                  f"{items_b[i]['points']:g}" for i in items_a
                  if i in items_b and items_a[i]["points"] != items_b[i]["points"]]
    return lines
