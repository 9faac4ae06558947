"""Font stacks per script, and the check that every character of the course has a font.

WeasyPrint finds fonts through fontconfig. When no font in a CSS stack has a character,
fontconfig falls back to whatever it likes: with `lang="en"` it drew Chinese with Japanese
glyph forms, and on a machine without CJK fonts it drew empty boxes while the PDF's text layer
still extracted correctly, so no text-based test noticed. Hence explicit stacks, with the
Simplified Chinese face placed before any fallback, and a check, run by `check` and by every
build (while its workers render; nothing is written when it fails), that every character of
the content is in one of the configured fonts. Coverage is read from
fontconfig (`fc-list`), the same source WeasyPrint uses, and cached per process.
"""

from __future__ import annotations

import bisect
import functools
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from hscourse.course.load import Document
from hscourse.course.model import Course, located_strings
from hscourse.errors import ContentError, Diagnostic, format_path


@dataclass(frozen=True)
class Font:
    """A font family as fontconfig names it, and the Debian package that installs it."""

    family: str
    package: str


NOTO_SERIF = Font("Noto Serif", "fonts-noto-core")
NOTO_SANS = Font("Noto Sans", "fonts-noto-core")
DEJAVU_SERIF = Font("DejaVu Serif", "fonts-dejavu-core")
DEJAVU_SANS = Font("DejaVu Sans", "fonts-dejavu-core")


def cjk(style: str, region: str) -> Font:
    return Font(f"Noto {style} CJK {region}", "fonts-noto-cjk")


@dataclass(frozen=True)
class Stack:
    """The serif (body) and sans (headings) families for one script, in order of preference."""

    serif: tuple[Font, ...]
    sans: tuple[Font, ...]


def _latin(region: str) -> Stack:
    """Latin text first; Han characters in it go to the given CJK face, never to a guess."""
    return Stack((NOTO_SERIF, cjk("Serif", region), DEJAVU_SERIF),
                 (NOTO_SANS, cjk("Sans", region), DEJAVU_SANS))


def _han(region: str) -> Stack:
    return Stack((cjk("Serif", region), NOTO_SERIF, DEJAVU_SERIF),
                 (cjk("Sans", region), NOTO_SANS, DEJAVU_SANS))


ARABIC = Stack((Font("Noto Naskh Arabic", "fonts-noto-core"), NOTO_SERIF, DEJAVU_SERIF),
               (Font("Noto Sans Arabic", "fonts-noto-core"), NOTO_SANS, DEJAVU_SANS))

STACKS: dict[str, Stack] = {
    "latin": _latin("SC"),
    "arabic": ARABIC,
    "han-simplified": _han("SC"),
    "han-traditional": _han("TC"),
    "japanese": _han("JP"),
    "korean": _han("KR"),
}

LANG_STACKS: dict[str, str] = {
    # Language tags -> stack; a tag takes the stack of its longest listed prefix (subtags
    # dropped from the end), so "zh-Hant-TW" is traditional and a bare "zh" simplified.
    "zh": "han-simplified",
    "zh-Hans": "han-simplified",
    "zh-CN": "han-simplified",
    "zh-SG": "han-simplified",
    "zh-Hant": "han-traditional",
    "zh-TW": "han-traditional",
    "zh-HK": "han-traditional",
    "zh-MO": "han-traditional",
    "ar": "arabic",
    "ja": "japanese",
    "ko": "korean",
}
_LANG_STACKS_LOWER = {tag.lower(): stack for tag, stack in LANG_STACKS.items()}

CJK_RANGES = ((0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF),
              (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))


def css_family(fonts: tuple[Font, ...], generic: str) -> str:
    """A CSS font-family value. Family names are plain words, so they need no quotes."""
    return ", ".join([f.family for f in fonts] + [generic])


def stack_name(lang: str) -> str:
    """The stack for a language tag: its longest prefix in LANG_STACKS, else Latin."""
    parts = lang.lower().split("-")
    while parts:
        found = _LANG_STACKS_LOWER.get("-".join(parts))
        if found:
            return found
        parts.pop()
    return "latin"


def script_class(lang: str) -> str:
    """The class a template puts beside lang="...": `script-han-simplified` and so on. The
    stylesheet selects fonts by these classes rather than by `:lang()`, which WeasyPrint's
    selector matching cannot index, so each `:lang()` rule was tried against every element
    (with one rule per language and heading kind, a third of a document's cascade)."""
    return _stack_class(stack_name(lang))


def _stack_class(stack: str) -> str:
    return f"script-{stack}"


def template_fonts(language: str = "en") -> dict[str, Any]:
    """The font stacks as the templates use them (see _style.html.j2): `base` for the
    document's own language, and each script's stack by its class."""
    css = {name: {"serif": css_family(s.serif, "serif"), "sans": css_family(s.sans, "sans-serif")}
           for name, s in STACKS.items()}
    return {"base": css[stack_name(language)], "latin": css["latin"],
            "scripts": [(_stack_class(name), stack) for name, stack in css.items()]}


def configured_fonts() -> tuple[Font, ...]:
    """Every font any stack names, once each, in a stable order."""
    return tuple(dict.fromkeys(f for s in STACKS.values() for f in s.serif + s.sans))


def parse_charset(text: str) -> CodePoints:
    """fontconfig's charset notation ("20-7e a0 ...", hexadecimal) as a set of code points."""
    ranges = []
    for part in text.split():
        low, _, high = part.partition("-")
        ranges.append((int(low, 16), int(high or low, 16)))
    return CodePoints(ranges)


class CodePoints:
    """A set of code points kept as sorted ranges: a CJK font covers tens of thousands of
    code points, and a course needs only a few hundred of them looked up."""

    def __init__(self, ranges: Iterable[tuple[int, int]]):
        merged: list[tuple[int, int]] = []
        for low, high in sorted(ranges):
            if merged and low <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
            else:
                merged.append((low, high))
        self.ranges = merged
        self.starts = [low for low, _ in merged]

    def __contains__(self, point: object) -> bool:
        if not isinstance(point, int):
            return False
        i = bisect.bisect_right(self.starts, point) - 1
        return i >= 0 and point <= self.ranges[i][1]

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CodePoints):
            return self.ranges == other.ranges
        if isinstance(other, (set, frozenset)):
            return {p for low, high in self.ranges for p in range(low, high + 1)} == other
        return NotImplemented

    def __or__(self, other: CodePoints) -> CodePoints:
        return CodePoints(self.ranges + other.ranges)


class FontconfigMissing(Exception):
    """fc-list is not installed."""


@lru_cache(maxsize=1)
def _fc_list() -> str:
    """Where fontconfig's fc-list is."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise FontconfigMissing
    return fc_list


@functools.cache
def coverage(family: str) -> CodePoints:
    """The code points any installed face of family has (empty when it is not installed).

    One fc-list call per family, as the check needs them: 8 ms for a family, where listing
    every installed face's charset took 40 ms (their text is most of a megabyte)."""
    out = subprocess.run([_fc_list(), "--format", "%{charset}\n", family],
                         capture_output=True, text=True, check=False).stdout
    return parse_charset(out)


class Covered:
    """The code points some configured font covers, learnt font by font: a font's charset is
    read only when a character is not in the fonts read before it. A course in English needs
    the first font's only; reading all fourteen (four of them CJK) cost 50 ms of every build."""

    def __init__(self, families: Iterable[str]):
        self.unread = iter(families)
        self.points = CodePoints([])

    def __contains__(self, point: object) -> bool:
        if not isinstance(point, int):
            return False
        while point not in self.points:
            family = next(self.unread, None)
            if family is None:
                return False
            self.points = self.points | coverage(family)
        return True


@lru_cache(maxsize=1)
def covered_points() -> Covered:
    """Every code point some configured font covers."""
    return Covered(dict.fromkeys(f.family for f in configured_fonts()))


def _needs_no_glyph(char: str) -> bool:
    """Spaces, line breaks and invisible format characters (soft hyphen, joiners, selectors)."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf") or (
        0xFE00 <= ord(char) <= 0xFE0F)


def _locate(lines: list[str], start: int, char: str) -> tuple[int, int]:
    """The 1-based line and column of char at or after line start, in the file's own text.

    A value's recorded position is where it starts; a block scalar's character is usually
    some lines further down, and folded scalars do not keep line breaks, so search the source.
    """
    for number in range(start, len(lines) + 1):
        column = lines[number - 1].find(char)
        if column >= 0:
            return number, column + 1
    return start, 1


def _advice(char: str, fonts: tuple[Font, ...]) -> str:
    point = ord(char)
    if unicodedata.category(char) == "Co":
        return "it is a private-use character, which no standard font draws; replace it"
    if any(low <= point <= high for low, high in CJK_RANGES):
        lacking = [f for f in fonts if f.package == "fonts-noto-cjk" and not coverage(f.family)]
        if lacking:
            return "install the Debian package fonts-noto-cjk (sudo apt-get install fonts-noto-cjk)"
    missing = sorted({f.package for f in fonts if not coverage(f.family)})
    if missing:
        return f"install the Debian packages: sudo apt-get install {' '.join(missing)}"
    return ("no configured font has it; replace it, or install a font that has it (the Debian "
            "package fonts-noto-core covers most scripts) and add it to STACKS in "
            "hscourse/fonts.py")


def _describe(char: str) -> str:
    name = unicodedata.name(char, "unnamed character")
    shown = f"{char!r} " if unicodedata.category(char)[0] in "LNPS" else ""
    return f"character {shown}U+{ord(char):04X} {name}"


def document_errors(doc: Document, root: Path) -> list[Diagnostic]:
    """One diagnostic per uncovered character of one file (each character once per field)."""
    fonts = configured_fonts()
    covered = covered_points()
    try:
        lines = (root / doc.file).read_text(encoding="utf-8-sig").splitlines()
    except OSError:
        lines = []
    out: list[Diagnostic] = []
    for path, text in located_strings(doc.data):
        for char in dict.fromkeys(text):
            if _needs_no_glyph(char) or ord(char) in covered:
                continue
            line, column = _locate(lines, doc.where(path)[0], char)
            out.append(Diagnostic(doc.file, line, column, format_path(path),
                                  f"{_describe(char)} is in no configured font; "
                                  f"{_advice(char, fonts)}"))
    return out


def coverage_errors(course: Course) -> list[Diagnostic]:
    """Every character in course.yaml and the modules that no configured font covers."""
    try:
        return [d for doc in course.sources for d in document_errors(doc, course.root)]
    except FontconfigMissing:
        return [Diagnostic("course.yaml", 0, 0, "", "cannot check which characters the fonts "
                           "cover: fc-list is missing; install the Debian package fontconfig")]


def check_coverage(course: Course) -> None:
    """Raise ContentError when some character of the course would be drawn as an empty box."""
    problems = coverage_errors(course)
    if problems:
        raise ContentError(problems)
