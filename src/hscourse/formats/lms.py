"""All LMS exports by format name: what `hscourse export` and the build's `exports:` call.

Each exporter returns its bytes and the warnings for what its format could not carry; with
`strict` the first exporter that has warnings raises them as a ContentError instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hscourse.course.model import Course
from hscourse.errors import Diagnostic
from hscourse.formats.csvkey import export_csv
from hscourse.formats.gift.write import export_gift
from hscourse.formats.moodle.write import export_moodle
from hscourse.formats.qti import export_qti
from hscourse.output import Output, sha256

Exporter = Callable[[Course, bool], tuple[bytes, list[Diagnostic]]]

EXPORTERS: dict[str, tuple[str, Exporter]] = {
    "moodle": ("moodle.xml", export_moodle),
    "gift": ("gift.txt", export_gift),
    "qti": ("canvas-qti.zip", export_qti),
    "csv": ("answer-key.csv", export_csv),
}
FORMATS = tuple(EXPORTERS)
FOLDER = "lms"


def file_name(course: Course, fmt: str) -> str:
    """The export's path inside dist/, e.g. lms/hsc-210-moodle.xml."""
    slug = re.sub(r"[^a-z0-9]+", "-", course.settings.code.lower()).strip("-") or "course"
    return f"{FOLDER}/{slug}-{EXPORTERS[fmt][0]}"


def export_one(course: Course, fmt: str, strict: bool = False
               ) -> tuple[bytes, list[Diagnostic]]:
    return EXPORTERS[fmt][1](course, strict)


def write_exports(course: Course, formats: list[str], strict: bool = False
                  ) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """The files of the given formats by their path inside dist/, and every warning."""
    files: dict[str, bytes] = {}
    warnings: list[Diagnostic] = []
    for fmt in dict.fromkeys(formats):
        data, found = export_one(course, fmt, strict)
        files[file_name(course, fmt)] = data
        warnings.extend(found)
    return files, warnings


def export_outputs(course: Course, strict: bool = False
                   ) -> tuple[dict[Output, bytes], list[Diagnostic]]:
    """The course's `exports:` as manifest entries with their bytes (for the build)."""
    outputs: dict[Output, bytes] = {}
    warnings: list[Diagnostic] = []
    for fmt in dict.fromkeys(course.settings.exports):
        data, found = export_one(course, fmt, strict)
        path = file_name(course, fmt)
        outputs[Output(path, "instructor", f"lms-{fmt}", "", sha256(data))] = data
        warnings.extend(found)
    return outputs, warnings
