"""Security of `hscourse import` (issue 12, findings 4, 11 and 14): hidden HTML stays hidden,
adversarial banks are read in linear time, and only the images kept items show are written,
never over an existing file."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from hscourse.cli import main
from hscourse.course.load import load_file
from hscourse.errors import ContentError
from hscourse.formats.importing import import_bank, read_bank
from hscourse.render.workers import time_limit

BUDGET = 2.0  # seconds per 100 KB - 1 MB input; the old readers took 13 s to minutes
SECRET = "Answer: Lagash"


def moodle(question_html: str, files: str = "", answers: tuple[str, str] = ("Ur", "Uruk"),
           extra: str = "") -> str:
    """A Moodle XML bank holding one single-choice question whose text is question_html."""
    escaped = question_html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="multichoice">
    <name><text>City</text></name>
    <questiontext format="html">
      <text>{escaped}</text>{files}
    </questiontext>
    <single>true</single>
    <answer fraction="100"><text>{answers[0]}</text></answer>
    <answer fraction="0"><text>{answers[1]}</text></answer>
  </question>{extra}
</quiz>
"""


def bank(tmp_path: Path, text: str, name: str = "bank.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- finding 4: hidden HTML ---------------------------------------------------------------------

HIDDEN = [
    ('<span style="display:none">{s}</span>', "display:none"),
    ('<span style="DISPLAY : None !important">{s}</span>', "display:none"),
    ("<div hidden>{s}</div>", "hidden attribute"),
    ('<span class="sr-only">{s}</span>', 'class="sr-only"'),
    ('<span class="x visually-hidden">{s}</span>', 'class="visually-hidden"'),
    ('<span class="accesshide">{s}</span>', 'class="accesshide"'),
    ('<p class="hidden">{s}</p>', 'class="hidden"'),
    ('<span aria-hidden="true">{s}</span>', 'aria-hidden="true"'),
    ("<details><summary>Show</summary>{s}</details>", "collapsed <details>"),
    ("<template>{s}</template>", "<template>"),
    ("<noscript>{s}</noscript>", "<noscript>"),
    ("<style>/* {s} */</style>", "<style>"),
    ("<script>var a = '{s}';</script>", "<script>"),
    ('<span style="visibility:hidden">{s}</span>', "visibility:hidden"),
    ('<span style="font-size:0">{s}</span>', "font-size:0"),
    ('<span style="font-size: 1px">{s}</span>', "font-size:1px"),
    ('<span style="opacity:0">{s}</span>', "opacity:0"),
    ('<span style="color:#fff">{s}</span>', "coloured like its background"),
    ('<span style="color: rgb(254, 254, 254)">{s}</span>', "coloured like its background"),
    ('<font color="white">{s}</font>', "coloured like its background"),
    ('<div style="background:#000"><span style="color:#111">{s}</span></div>',
     "coloured like its background"),
    ('<span style="color:transparent">{s}</span>', "transparent text"),
    ('<span style="position:absolute; left:-9999px">{s}</span>', "off the page"),
    ('<span style="clip: rect(0 0 0 0)">{s}</span>', "clip:rect"),
    ('<div style="height:0;overflow:hidden">{s}</div>', "height:0 with overflow hidden"),
    ("<!-- {s} -->", "an HTML comment"),
    ('<span style="display:none"><b>{s}</b> and more</span>', "display:none"),
    ('<span style="display:none"/>{s}</span>', "display:none"),  # "/>" does not close it
]


@pytest.mark.parametrize("markup, reason", HIDDEN, ids=[h[1] + str(i) for i, h in
                                                        enumerate(HIDDEN)])
def test_hidden_moodle_content_is_left_out_and_named(tmp_path: Path, markup: str,
                                                     reason: str) -> None:
    html = "<p>Which city\nwas the capital?\n" + markup.format(s=SECRET) + " Pick one.</p>"
    result = read_bank(bank(tmp_path, moodle(html)), "x")
    prompt = result.items[0]["prompt"]
    assert "Lagash" not in prompt and prompt.startswith("Which city was the capital?")
    assert prompt.endswith("Pick one.")
    notes = [str(n) for n in result.notes if "hidden content left out" in n.message]
    assert len(notes) == 1, result.notes
    # the bank's question text starts on line 6; the hidden element is on its third line
    assert notes[0].startswith(f"{tmp_path / 'bank.xml'}:8:1: hidden content left out")
    assert reason in notes[0] and "Lagash" in notes[0] and "remove what hides it" in notes[0]


@pytest.mark.parametrize("markup", [
    '<span style="display:block">{s}</span>', '<span class="shown">{s}</span>',
    '<span style="color:#333; font-size:12px">{s}</span>', '<details open>{s}</details>',
    '<span style="background:#000;color:#fff">{s}</span>', '<span aria-hidden="false">{s}</span>',
    '<div class="collapse show">{s}</div>', '<span style="opacity:1">{s}</span>'])
def test_visible_content_is_kept_without_a_note(tmp_path: Path, markup: str) -> None:
    result = read_bank(bank(tmp_path, moodle("<p>" + markup.format(s=SECRET) + "</p>")), "x")
    assert "Lagash" in result.items[0]["prompt"]
    assert not [n for n in result.notes if "hidden" in n.message]


def test_hidden_content_ends_where_its_element_ends(tmp_path: Path) -> None:
    html = ('<div hidden><div>inner</div>still hidden</div>shown '
            '<span class="sr-only">a</span>also shown <div hidden>unclosed </p> stays hidden')
    result = read_bank(bank(tmp_path, moodle(html)), "x")
    assert result.items[0]["prompt"] == "shown also shown"
    assert len([n for n in result.notes if "hidden content" in n.message]) == 3


def test_hidden_gift_content_is_left_out_in_every_field(tmp_path: Path) -> None:
    source = bank(tmp_path, "// a comment\n"
                  "::q1::[html]Which city?<span style\\=\"display:none\">Answer\\: Lagash</span>"
                  "{=Ur#Right<span hidden>Lagash</span> ~Uruk#<i class\\=\"sr-only\">Lagash</i>"
                  "####Why<details>Lagash</details>}\n", "bank.gift")
    result = read_bank(source, "x")
    item = result.items[0]
    assert "Lagash" not in str(item)
    assert item["prompt"] == "Which city?"
    notes = [str(n) for n in result.notes]
    assert len(notes) == 4 and all(n.startswith(f"{source}:2:1: hidden content left out")
                                   for n in notes), notes


def test_hidden_html_inside_gift_markdown_is_cut_out(tmp_path: Path) -> None:
    """hscourse prints HTML in Markdown as text, so a hidden span would show its answer."""
    source = bank(tmp_path, "::q1::[markdown]Which *city*?\n<span style\\=\"display\\:none\">"
                  "Answer\\: Lagash</span> <!-- Lagash -->\nPick one.{=Ur ~Uruk}\n", "bank.gift")
    result = read_bank(source, "x")
    assert result.items[0]["prompt"] == "Which *city*?\n \nPick one."
    assert [n.message.split(":")[0] for n in result.notes] == [
        "hidden content left out (<span> with display", "hidden content left out (an HTML comment)"]


def test_hidden_images_are_neither_shown_nor_written(tmp_path: Path) -> None:
    files = ('<file name="answer.png" path="/" encoding="base64">'
             f'{base64.b64encode(b"PNG answer").decode()}</file>')
    html = ('<p>Where?</p><div style="display:none"><img src="@@PLUGINFILE@@/answer.png" '
            'alt="the answer"></div>')
    written, result = import_bank(bank(tmp_path, moodle(html, files)), tmp_path / "mod")
    assert "answer" not in load_file(written, "module.yaml").data["quiz"][0]["prompt"]
    assert not (tmp_path / "mod" / "answer.png").exists()
    assert any("'answer.png' is not shown by the text: not written" in n.message
               for n in result.notes)


def test_hidden_matching_answers_and_unfinished_markup(tmp_path: Path) -> None:
    extra = """
  <question type="matching">
    <name><text>pairs</text></name>
    <questiontext format="html"><text>Match</text></questiontext>
    <subquestion format="html"><text>A</text><answer><text>one&lt;span hidden&gt;Lagash&lt;/span&gt;</text></answer></subquestion>
    <subquestion format="html"><text>B</text><answer><text>two</text></answer></subquestion>
    <subquestion format="html"><text>C</text><answer><text>three</text></answer></subquestion>
  </question>"""
    result = read_bank(bank(tmp_path, moodle("Odd <b class='x' <!-- Lagash", extra=extra)), "x")
    assert [p["right"] for p in result.items[1]["pairs"]] == ["one", "two", "three"]
    assert result.items[0]["prompt"] == "Odd"
    assert any("unfinished markup at the end of the text left out" in n.message
               and "&lt;" in n.message for n in result.notes)


def test_unreadable_declaration_is_a_note_not_a_crash(tmp_path: Path) -> None:
    result = read_bank(bank(tmp_path, moodle("<p>Which city?</p><![ x]]> rest")), "x")
    assert result.items[0]["prompt"] == "Which city?"
    assert any("markup the HTML reader cannot read" in n.message for n in result.notes)


# -- finding 11: linear time --------------------------------------------------------------------

def gift_question(stem: str) -> str:
    return "::q::[html]" + stem + "{=a ~b}\n"


def html_question(html: str) -> str:
    """html as the GIFT stem of a question (GIFT's specials escaped)."""
    escaped = "".join("\\" + c if c in "~=#{}:\\" else c for c in html)
    return gift_question(escaped)


K = 1 << 10
ADVERSARIAL: dict[str, Callable[[], tuple[str, str]]] = {
    "gift: spaces before a line break": lambda: (
        "::q::Q" + " \t" * (100 * K) + "x{=a ~b}\n", "gift"),
    "gift: [id: marks never closed": lambda: ("// " + "[id:" * (50 * K) + "\n::q::Q{=a ~b}\n",
                                              "gift"),
    "gift: 5,000 questions of one name": lambda: (("::x::" + "Q" * 20 + "{=a ~b}\n\n") * 5000,
                                                  "gift"),
    "gift: 1 MB of text": lambda: ("::q::" + "word " * (200 * K) + "{=a ~b}\n", "gift"),
    "html: <a <a <a": lambda: (html_question("<a " * (70 * K)), "gift"),
    "html: <!--<!--": lambda: (html_question("x<!--" * (40 * K)), "gift"),
    "html: </a</a": lambda: (html_question("x</a" * (50 * K)), "gift"),
    "html: spaces in <pre>": lambda: (html_question("<pre>" + " " * (200 * K) + "x</pre>"),
                                      "gift"),
    "html: blank lines in <pre>": lambda: (html_question("<pre>" + " \n" * (100 * K)
                                                         + "x</pre>"), "gift"),
    "html: spaces between blocks": lambda: (html_question("<p>a</p>" + " " * (200 * K)
                                                          + "<p>b</p>"), "gift"),
    "html: 16,000 nested spans": lambda: (html_question("<span>" * (16 * K) + "x"
                                                        + "</b>" * (16 * K)), "gift"),
    "html: nested hidden spans": lambda: (html_question(
        '<span style="display:none">' * (5 * K) + "x"), "gift"),
    "html: a 1 MB style attribute": lambda: (html_question(
        '<span style="' + "color:red;" * (100 * K) + '">x</span>'), "gift"),
    "html: a table of 10,000 cells": lambda: (html_question(
        "<table>" + "<tr><td>abcdefgh<td>ijklmnop" * (5 * K) + "</table>"), "gift"),
    "moodle: <a <a <a (escaped)": lambda: (moodle("<a " * (70 * K)), "xml"),
    "moodle: 1 MB of entities": lambda: (moodle("x&amp;" * (170 * K)), "xml"),
    "moodle: auto-format <a <a": lambda: (moodle("q").replace('format="html"', 'format="moodle_'
                                          'auto_format"', 1).replace(
        "<text>q</text>", "<text>" + "&lt;a " * (70 * K) + "</text>"), "xml"),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_input_is_read_in_linear_time(tmp_path: Path, name: str) -> None:
    """Eleven shapes failed on the old readers (over budget, most stopped at 10 s); six (the
    1 MB text, blank lines in <pre>, spaces between blocks, nested spans, nested hidden spans,
    the table) guard the new reader's own costs. The best of up to three runs counts (the
    machine is shared); a run past five budgets is stopped."""
    text, suffix = ADVERSARIAL[name]()
    source = bank(tmp_path, text, "bank." + suffix)
    times: list[float] = []
    while len(times) < 3 and min(times, default=BUDGET) >= BUDGET:
        start = time.perf_counter()
        with time_limit(BUDGET * 5):  # raises RenderLimit, failing the test, past that
            read_bank(source, "x")
        times.append(time.perf_counter() - start)
    print(f"{name}: {len(text.encode()) / K:,.0f} KB read in "
          + ", ".join(f"{t:.3f}" for t in times) + " s")
    assert min(times) < BUDGET, f"{name}: {min(times):.2f} s"


def test_tidy_matches_the_patterns_it_replaces() -> None:
    """The line-by-line tidy gives what the two (quadratic) patterns gave, on every short
    text of its alphabet."""
    import itertools
    import re

    from hscourse.formats.html_markdown import tidy

    def old(text: str) -> str:
        text = re.sub(r"[ \t]*\n[ \t]*\n\s*", "\n\n", text)
        return re.sub(r"^(?!\s*[-\d]| {3})[ \t]+", "", text, flags=re.MULTILINE).strip()

    for size in range(7):
        for chars in itertools.product(" \n-a1", repeat=size):
            text = "".join(chars)
            assert tidy(text) == old(text), repr(text)


# -- finding 14 (import): files -----------------------------------------------------------------

def png(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_only_images_a_kept_question_shows_are_written(tmp_path: Path) -> None:
    files = (f'<file name="map.png" path="/" encoding="base64">{png(b"map")}</file>'
             f'<file name="unused.png" path="/" encoding="base64">{png(b"unused")}</file>'
             f'<file name="evil.sh" path="/" encoding="base64">{png(b"#!/bin/sh")}</file>')
    skipped = f"""
  <question type="multichoice">
    <name><text>No right answer</text></name>
    <questiontext format="html"><text>&lt;img src="@@PLUGINFILE@@/skipped.png"&gt;Q</text>
      <file name="skipped.png" path="/" encoding="base64">{png(b"skipped")}</file></questiontext>
    <single>true</single>
    <answer fraction="0"><text>a</text></answer><answer fraction="0"><text>b</text></answer>
  </question>"""
    html = '<p>Where? <img src="@@PLUGINFILE@@/map.png" alt="map"></p>'
    written, result = import_bank(bank(tmp_path, moodle(html, files, extra=skipped)),
                                  tmp_path / "mod")
    assert sorted(p.name for p in (tmp_path / "mod").iterdir()) == ["map.png", "module.yaml"]
    assert load_file(written, "module.yaml").data["quiz"][0]["prompt"] == \
        "Where? ![map](<map.png>)"
    messages = [n.message for n in result.notes]
    assert "embedded file 'unused.png' is not shown by the text: not written" in messages
    assert "embedded file 'evil.sh' is not shown by the text: not written" in messages


def test_existing_images_are_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "mod"
    folder.mkdir()
    (folder / "map.png").write_bytes(b"the instructor's own map")
    (folder / "MAP-2.png").write_bytes(b"another")
    files = f'<file name="map.png" path="/" encoding="base64">{png(b"imported")}</file>'
    html = '<p>Where? <img src="@@PLUGINFILE@@/map.png" alt="map"></p>'
    outcome = CliRunner().invoke(main, ["import", str(bank(tmp_path, moodle(html, files))),
                                        "-o", str(folder)])
    assert outcome.exit_code == 0, outcome.output
    assert (folder / "map.png").read_bytes() == b"the instructor's own map"
    assert (folder / "MAP-2.png").read_bytes() == b"another"
    assert (folder / "map-3.png").read_bytes() == b"imported"
    assert "bank.xml:6:1: image 'map.png' saved as 'map-3.png': the folder already has a " \
           "file of that name" in outcome.output
    prompt = load_file(folder / "module.yaml", "module.yaml").data["quiz"][0]["prompt"]
    assert prompt == "Where? ![map](<map-3.png>)"


def test_images_of_one_name_with_other_content_are_kept_apart(tmp_path: Path) -> None:
    def question(name: str, content: bytes) -> str:
        return f"""
  <question type="multichoice">
    <name><text>{name}</text></name>
    <questiontext format="html"><text>&lt;img src="@@PLUGINFILE@@/map.png"&gt; {name}</text>
      <file name="map.png" path="/" encoding="base64">{png(content)}</file></questiontext>
    <single>true</single>
    <answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>
  </question>"""
    text = moodle("First", extra=question("Second", b"two") + question("Third", b"one")
                  + question("Fourth", b"two"))
    text = text.replace("<text>First</text>", "<text>&lt;img src=\"@@PLUGINFILE@@/map.png\""
                        "&gt; First</text><file name=\"map.png\" path=\"/\" encoding=\"base64\">"
                        f"{png(b'one')}</file>")
    written, _ = import_bank(bank(tmp_path, text), tmp_path / "mod")
    prompts = [i["prompt"] for i in load_file(written, "module.yaml").data["quiz"]]
    image = "![TO DO: describe this image]"
    assert prompts == [f"{image}(<map.png>) First", f"{image}(<map-2.png>) Second",
                       f"{image}(<map.png>) Third", f"{image}(<map-2.png>) Fourth"]
    assert (tmp_path / "mod" / "map.png").read_bytes() == b"one"
    assert (tmp_path / "mod" / "map-2.png").read_bytes() == b"two"


def test_a_file_appearing_during_the_import_is_not_replaced(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from hscourse.formats import bank as to_module

    folder = tmp_path / "mod"
    files = f'<file name="map.png" path="/" encoding="base64">{png(b"imported")}</file>'
    html = '<p>Where? <img src="@@PLUGINFILE@@/map.png" alt="map"></p>'
    real = to_module.write_new

    def racing(path: Path, data: bytes) -> None:
        if path.name == "module.yaml":
            path.write_text("written by someone else")
        real(path, data)

    monkeypatch.setattr(to_module, "write_new", racing)
    with pytest.raises(ContentError, match="appeared in the folder during the import"):
        import_bank(bank(tmp_path, moodle(html, files)), folder)
    assert (folder / "module.yaml").read_text() == "written by someone else"
    assert not (folder / "map.png").exists()
    assert not list(folder.glob(".hscourse-*"))


# -- issue 14, item 3: tables -------------------------------------------------------------------

def test_a_moodle_table_becomes_a_markdown_table(tmp_path: Path) -> None:
    html = ("<p>Match the data:</p><table><caption>Rivers</caption>"
            "<tr><th>River</th><th>Length | km</th></tr>"
            "<tr><td>Nile</td><td><b>6650</b></td></tr><tr><td>Amazon<td>6400</table>"
            "<p>Which is longer?</p>")
    result = read_bank(bank(tmp_path, moodle(html)), "x")
    assert result.items[0]["prompt"] == (
        "Match the data:\n\nRivers\n\n| River | Length \\| km |\n| --- | --- |\n"
        "| Nile | **6650** |\n| Amazon | 6400 |\n\nWhich is longer?")
    assert result.notes == []


def test_imported_images_and_tables_pass_the_check(tmp_path: Path) -> None:
    """An image a Moodle question shows is written beside module.yaml and resolves there; the
    table and the alt-text placeholder pass `hscourse check` (issue 14, item 3)."""
    import struct
    import zlib

    from lms.courses import EXAMPLE

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4)))
    image = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    course = tmp_path / "course"
    (course / "modules").mkdir(parents=True)
    (course / "course.yaml").write_text(
        (EXAMPLE / "course.yaml").read_text().replace("  - example\n", "  - imported\n"))
    html = ('<p>Which?</p><table><tr><td>a</td><td>b</td></tr></table>'
            '<p><img src="@@PLUGINFILE@@/red_square.png"></p>')
    files = f'<file name="red_square.png" path="/" encoding="base64">{png(image)}</file>'
    text = moodle(html, files)
    runner = CliRunner()
    outcome = runner.invoke(main, ["import", str(bank(tmp_path, text)), "-o",
                                   str(course / "modules" / "imported")])
    assert outcome.exit_code == 0, outcome.output
    assert (course / "modules" / "imported" / "red_square.png").read_bytes() == image
    checked = runner.invoke(main, ["check", "-p", str(course)])
    assert checked.exit_code == 0, checked.output
    assert "OK: 1 module, 1 quiz items" in checked.output
