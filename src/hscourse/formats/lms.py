"""All LMS exports by format name: what `hscourse export` and the build's `exports:` call.

Each exporter returns its bytes and the warnings for what its format could not carry. Several
formats written together report an item's problem once, naming the formats
(`merge_warnings`), and with `strict` every format is written before all their warnings are
raised together as a ContentError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from hscourse.course.model import Course
from hscourse.errors import ContentError, Diagnostic
from hscourse.formats.common import ExportWarning
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


def merge_warnings(warnings: list[Diagnostic]) -> list[Diagnostic]:
    """One warning per item and problem, naming every format that has it ("GIFT and QTI: item
    'x' (ordering) skipped: ..."), instead of one per format."""
    groups: dict[tuple[str, int, int, str, str], list[ExportWarning]] = {}
    out: list[Diagnostic] = []
    for warning in warnings:
        if isinstance(warning, ExportWarning):
            key = (warning.file, warning.line, warning.column, warning.field, warning.head)
            groups.setdefault(key, []).append(warning)
        else:
            out.append(warning)
    for (file, line, column, field, head), group in groups.items():
        formats = list(dict.fromkeys(w.fmt for w in group))
        named = " and ".join([", ".join(formats[:-1]), formats[-1]] if len(formats) > 1
                             else formats)
        reasons = "; ".join(dict.fromkeys(w.reason for w in group))
        out.append(Diagnostic(file, line, column, field, f"{named}: {head}: {reasons}"))
    return sorted(out)


def _export_all(course: Course, formats: Sequence[str], strict: bool
                ) -> tuple[dict[str, tuple[bytes, str]], list[Diagnostic]]:
    """Every format's bytes and path by format, and the merged warnings (raised when strict)."""
    done: dict[str, tuple[bytes, str]] = {}
    warnings: list[Diagnostic] = []
    for fmt in dict.fromkeys(formats):
        data, found = export_one(course, fmt)
        done[fmt] = (data, file_name(course, fmt))
        warnings.extend(found)
    merged = merge_warnings(warnings)
    if strict and merged:
        raise ContentError(merged)
    return done, merged


def write_exports(course: Course, formats: list[str], strict: bool = False
                  ) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """The files of the given formats by their path inside dist/, and every warning."""
    done, warnings = _export_all(course, formats, strict)
    return {path: data for data, path in done.values()}, warnings


def export_outputs(course: Course, strict: bool = False
                   ) -> tuple[dict[Output, bytes], list[Diagnostic]]:
    """The course's `exports:` as manifest entries with their bytes (for the build)."""
    done, warnings = _export_all(course, course.settings.exports, strict)
    outputs = {Output(path, "instructor", f"lms-{fmt}", "", sha256(data)): data
               for fmt, (data, path) in done.items()}
    return outputs, warnings
