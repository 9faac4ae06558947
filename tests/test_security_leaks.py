"""Answer secrecy, end to end: canary tokens in every instructor-only field never reach a student
artefact through any channel, all reach the instructor guide, and a leaking template is caught."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from hscourse.course.load import load_text
from hscourse.course.model import instructor_only_texts
from hscourse.course.project import load_course
from hscourse.output import Output
from hscourse.render.documents import render_all
from hscourse.render.html import EDITIONS, render_edition
from hscourse.render.leakcheck import CATCH_ALL, artefact_channels, find_leaks
from hscourse.render.pdf import write_pdf
from hscourse.render.secrets import needles_for

EXAMPLE = Path(__file__).parent / "fixtures" / "course"
CHANNELS = ("page text (PDFium)", "page text (pdftotext)", "content streams", "metadata",
            "bookmarks", "named destinations", "annotations and links", "attachments",
            "structure tree (alt text)", CATCH_ALL)


def plant(data: Any, schema_texts: set[str], counter: list[int]) -> Any:
    """Replace every instructor-only text with a unique canary token (a copy of data)."""
    if isinstance(data, dict):
        return {k: plant(v, schema_texts, counter) for k, v in data.items()}
    if isinstance(data, list):
        return [plant(v, schema_texts, counter) for v in data]
    if isinstance(data, str) and data in schema_texts:
        counter[0] += 1
        return f"Canary{counter[0]:03d}zq unique instructor token"
    return data


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[Output, bytes], set[str]]:
    root = tmp_path_factory.mktemp("canary") / "course"
    shutil.copytree(EXAMPLE, root)
    module_file = root / "modules" / "example" / "module.yaml"
    data = load_text(module_file.read_text(encoding="utf-8"), "module.yaml").data
    # Matching pairs and ordering entries are shown to students shuffled: not secrets.
    shown = {p[side] for q in data["quiz"] for p in q.get("pairs", []) for side in ("left", "right")}
    shown |= {e for q in data["quiz"] for e in q.get("correct_order", [])}
    secrets = set(instructor_only_texts(data)) - shown
    planted = plant(data, secrets, [0])
    module_file.write_text(yaml.safe_dump(planted, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    course = load_course(root)
    tokens = {re.match(r"Canary\d+zq", t)[0] for t in instructor_only_texts(planted)
              if t.startswith("Canary")}
    assert len(tokens) >= 20
    return course, render_all(course), tokens


def test_no_token_in_any_student_channel(canary: Any) -> None:
    course, files, tokens = canary
    students = [e for e in files if e.audience == "student"]
    assert {e.kind for e in students} == {"handout", "quiz"}
    for entry in students:
        channels = artefact_channels(entry.path, files[entry])
        assert set(CHANNELS) == set(channels)
        for channel, text in channels.items():
            squashed = "".join(text.split()).casefold()
            found = [t for t in tokens if t.casefold() in squashed]
            assert not found, f"{entry.path}: {channel}: {found}"
    assert find_leaks(needles_for(course), files) == []


def test_every_token_in_the_instructor_guide(canary: Any) -> None:
    _, files, tokens = canary
    guide = next(e for e in files if e.kind == "guide")
    text = artefact_channels(guide.path, files[guide])["page text (PDFium)"]
    assert sorted(t for t in tokens if t not in text) == []


def test_the_check_sees_the_guide_as_a_leak_if_given_to_students(canary: Any) -> None:
    """The same bytes labelled as a student artefact: every searched secret is reported."""
    course, files, _ = canary
    guide = next(e for e in files if e.kind == "guide")
    as_student = Output("student/leaked.pdf", "student", "handout", "example", guide.sha256)
    leaks = find_leaks(needles_for(course), {as_student: files[guide]})
    assert len(leaks) >= 20
    assert all(d.file == "modules/example/module.yaml" and d.line > 0 for d in leaks)


LEAKY_HANDOUT = """{% extends "builtin/handout.html.j2" %}
{% block content %}{{ super() }}
<h2 style="visibility: hidden">EXPLANATION-Q1 the notes on Postel and Wolf say about 4,500 years ago.</h2>
<p style="color: white">MODEL-ANSWER-unlikely between states.</p>
<p id="INSTRUCTOR-NOTES-keep it short.">.</p>
<p style="position: absolute; left: -500mm">FACILITATION-start in pairs.</p>
{% endblock %}
"""


def test_leaking_template_override_is_caught(tmp_path: Path) -> None:
    root = tmp_path / "course"
    shutil.copytree(EXAMPLE, root)
    (root / "templates").mkdir()
    (root / "templates" / "handout.html.j2").write_text(LEAKY_HANDOUT, encoding="utf-8")
    course = load_course(root)
    handout = next(e for e in EDITIONS if e.kind == "handout")
    pdf = write_pdf(render_edition(course, course.modules[0], handout), course.root)
    entry = Output("student/example-handout.pdf", "student", "handout", "example", "")
    leaks = {d.field: d.message for d in find_leaks(needles_for(course), {entry: pdf})}
    assert set(leaks) == {"quiz[0].explanation", "quiz[4].model_answer",
                          "instructor_notes.notes", "discussion[0].facilitation"}
    assert "bookmarks" in leaks["quiz[0].explanation"]
    assert "page text (PDFium)" in leaks["quiz[4].model_answer"]
    assert "named destinations" in leaks["instructor_notes.notes"]
    assert "page text (PDFium)" in leaks["discussion[0].facilitation"]
    assert "page text (pdftotext)" not in leaks["discussion[0].facilitation"]
