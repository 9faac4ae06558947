"""Diagnostics: every problem hscourse reports names a file, a line, a field and what was expected."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

# What a terminal would act on: control characters (line breaks and tabs aside), DEL, C1 codes
# and the text-direction overrides. Messages quote course files, which are untrusted.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """text with every character a terminal would act on shown as an escape (\\x1b)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one input file, located to the line and column (both 1-based)."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}" if self.column else f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class ContentError(Exception):
    """Raised with every diagnostic found, so that one run reports all problems at once; the
    warnings found before the errors travel with them, so that they are not lost."""

    def __init__(self, diagnostics: Iterable[Diagnostic], warnings: Iterable[Diagnostic] = ()):
        self.diagnostics = sorted(set(diagnostics))
        self.warnings = sorted(set(warnings))
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def with_warnings(self, warnings: Iterable[Diagnostic]) -> ContentError:
        """The same errors, carrying these warnings as well."""
        return ContentError(self.diagnostics, [*self.warnings, *warnings])


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ' did you mean ...?' suffix naming the closest candidates, or '' when none is close."""
    close = difflib.get_close_matches(word, sorted(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


def format_path(path: Iterable[object]) -> str:
    """('quiz', 3, 'options', 2, 'correct') -> 'quiz[3].options[2].correct'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
