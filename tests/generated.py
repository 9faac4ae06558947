"""Docs sections generated from the tests (the authoring-mistake catalogues): Markdown helpers
and the one check that a section is current, regenerating it on request."""

from __future__ import annotations

import os
import re
from pathlib import Path


def code(text: str) -> str:
    """text as a Markdown code span inside a table cell."""
    fence = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def escape(text: str) -> str:
    """text with the characters Markdown would act on backslash-escaped."""
    return re.sub(r"([\\`*_\[\]{}<>|#!&])", r"\\\1", text)


def assert_section_current(path: Path, start: str, end: str, body: str) -> None:
    """The text between start and end in path is body; with HSCOURSE_UPDATE_CATALOGUE set,
    it is written there first."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(start + "\n", 1)
    _, tail = rest.split(end, 1)
    current = f"{head}{start}\n{body}{end}{tail}"
    if os.environ.get("HSCOURSE_UPDATE_CATALOGUE"):
        path.write_text(current, encoding="utf-8")
        text = path.read_text(encoding="utf-8")
    assert text == current, (f"{path.name} is out of date; regenerate it with "
                             "HSCOURSE_UPDATE_CATALOGUE=1 (see the test file's docstring)")
