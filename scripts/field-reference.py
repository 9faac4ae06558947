"""Rewrite the field reference in docs/module-format.md from the schema (`make docs`)."""

from __future__ import annotations

from pathlib import Path

from hscourse.course.fieldref import BEGIN, END, field_reference

DOC = Path(__file__).resolve().parents[1] / "docs" / "module-format.md"

text = DOC.read_text(encoding="utf-8")
start, end = text.index(BEGIN), text.index(END) + len(END)
DOC.write_text(text[:start] + field_reference().rstrip("\n") + text[end:], encoding="utf-8")
print(f"updated {DOC}")
