"""Content is data, never markup or code: raw HTML is shown as text, templates autoescape, and
no content is ever compiled as a template."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hscourse.course.paths import WINDOWS_RESERVED, markdown_references, reference_problem
from hscourse.course.project import load_course
from hscourse.course.schema import ID_PATTERN
from hscourse.render.html import EDITIONS, render_edition
from hscourse.render.markdown import render_block, render_inline, render_run_in

EXAMPLE = Path(__file__).parent / "fixtures" / "course"
HOSTILE_HTML = ('<script>alert(1)</script> <link rel="attachment" href="file:///etc/hostname"> '
                '<img src="file:///etc/hostname"> {{ 7 * 7 }} {% include "base.html.j2" %}')
HOSTILE = HOSTILE_HTML + " [x](javascript:alert(1)) ![y](file:///etc/hostname)"


def test_markdown_shows_raw_html_as_text() -> None:
    html = str(render_block(HOSTILE)) + str(render_inline(HOSTILE))
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html and 'src="file:' not in html


@pytest.mark.parametrize("text, has_lead", [
    ("One *paragraph* with [a link](https://example.org/).", True),
    ("First paragraph.\n\nSecond, with ![a map](map.png).\n\n- a list", True),
    ("- a list first\n- then more\n\nA paragraph after.", False),
    ("| a | b |\n|---|---|\n| 1 | 2 |", False),
    (HOSTILE, True),
])
def test_a_run_in_split_renders_what_the_whole_text_renders(text: str, has_lead: bool) -> None:
    """render_run_in (a heading run into the first paragraph) must render the same Markdown
    as render_block: its lead is that paragraph without <p>, its rest everything after."""
    lead, rest = render_run_in(text, "modules/m/")
    whole = str(render_block(text, "modules/m/"))
    assert bool(lead) == has_lead
    assert (f"<p>{lead}</p>\n{rest}" if has_lead else str(rest)) == whole
    assert "<script" not in lead + rest


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "course"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("dist"))
    module = root / "modules" / "example" / "module.yaml"
    text = module.read_text(encoding="utf-8")
    hostile = HOSTILE_HTML.replace('"', "'")
    text = text.replace("title: An Example Module", f'title: "{hostile}"', 1)
    text = text.replace("overview: >-\n", f'overview: >-\n  {hostile}\n', 1)
    module.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("edition", EDITIONS, ids=[e.kind for e in EDITIONS])
def test_templates_autoescape_and_never_compile_content(hostile_course: Path, edition) -> None:  # type: ignore[no-untyped-def]
    course = load_course(hostile_course)
    html = render_edition(course, course.modules[0], edition)
    assert "<script" not in html and 'href="file:' not in html and 'src="file:' not in html
    assert "{{ 7 * 7 }}" in html and "49" not in html
    assert "{% include ‘base.html.j2’ %}" in html  # shown as text (with typographic quotes)


def test_reserved_names_match_the_id_pattern() -> None:
    import re

    for name in WINDOWS_RESERVED:
        assert not re.search(ID_PATTERN, name)
    for name in ("console", "null", "aux-1", "com10", "water-conflict"):
        assert re.search(ID_PATTERN, name)


def test_markdown_references_include_ones_rendering_drops() -> None:
    refs = list(markdown_references("![a](file:///etc/x) [b](javascript:x) [c][r]\n\n[r]: ../y"))
    assert refs == [("image", "file:///etc/x"), ("link", "javascript:x"), ("link", "../y")]


@pytest.mark.parametrize("kind, url, ok", [
    ("image", "modules/example/map.png", True),
    ("image", "data:image/png;base64,AAAA", True),
    ("image", "data:text/html,<b>", False),
    ("image", "https://example.org/x.png", False),
    ("image", "modules/%2E%2E/../x.png", False),
    ("image", "C:\\windows\\x.png", False),
    ("link", "https://example.org/", True),
    ("link", "mailto:a@example.org", True),
    ("link", "#readings", True),
    ("link", "//evil.example/x", False),
    ("link", "ftp://example.org/", False),
    ("link", "notes.pdf", False),
    ("link", "modules/example/data.csv", False),
])
def test_reference_rules(kind: str, url: str, ok: bool) -> None:
    assert (reference_problem(kind, url) == "") is ok
