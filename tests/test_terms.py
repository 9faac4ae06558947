"""Terms: settings, schedule and per-module changes layered over the course, never editing it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from hscourse.cli import main
from hscourse.course.compare import differences
from hscourse.course.model import module_view
from hscourse.course.resolve import load_resolved
from hscourse.errors import ContentError
from hscourse.render.html import EDITIONS, render_edition

from conftest import EXAMPLE, copy_course, pdf_text, replace_once, squash

SPRING = EXAMPLE / "terms" / "2027-spring.yaml"
AUTUMN = EXAMPLE / "terms" / "2027-autumn.yaml"
TERM = "terms/2027-spring.yaml"


def html(course, kind: str) -> str:
    edition = next(e for e in EDITIONS if e.kind == kind)
    return render_edition(course, course.modules[0], edition)


def problems(root: Path, term: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_resolved(root, term)
    return [str(d) for d in caught.value.diagnostics]


def test_term_settings_override_the_course_and_say_where() -> None:
    course = load_resolved(EXAMPLE, SPRING)
    assert course.term == "2027-spring"
    assert course.settings.paper == "A4" and course.settings.instructor == "Dr. Term"
    assert course.settings.date == "2027-01-11"  # the start date dates the documents
    origins = {name: origin for name, _, origin in course.origins}
    assert origins["paper"] == f"{TERM}:5" and origins["code"] == "course.yaml:2"
    assert origins["example.exclude_quiz"] == f"{TERM}:13"


def test_the_shipped_module_file_is_untouched() -> None:
    before = (EXAMPLE / "modules/example/module.yaml").read_bytes()
    load_resolved(EXAMPLE, SPRING)
    assert (EXAMPLE / "modules/example/module.yaml").read_bytes() == before


def test_excluded_item_leaves_quiz_guide_and_answer_key() -> None:
    course = load_resolved(EXAMPLE, SPRING)
    prompt = "Most water conflicts happen between states."
    assert prompt in html(load_resolved(EXAMPLE), "quiz")
    for kind in ("quiz", "guide"):
        assert prompt not in html(course, kind)
    assert "<td>ex-q3</td>" not in html(course, "guide")
    assert "<td>ex-q2</td>" in html(course, "guide")


def test_overlay_item_in_both_editions_answer_only_in_guide() -> None:
    course = load_resolved(EXAMPLE, SPRING)
    quiz, guide, handout = html(course, "quiz"), html(course, "guide"), html(course, "handout")
    assert "OWN-PROMPT" in quiz and "OWN-PROMPT" in guide
    assert "OWN-READING-NOTES" in handout
    for secret in ("OWN-ACCEPTED-ANSWER", "OWN-EXPLANATION"):
        assert secret in guide and secret not in quiz and secret not in handout


def test_points_title_and_schedule() -> None:
    course = load_resolved(EXAMPLE, SPRING)
    view = module_view(course.modules[0], "instructor", "")
    assert view["title"] == "The Example, Retitled"
    assert next(i for i in view["quiz"] if i["id"] == "ex-q1")["points"] == 5
    for kind in ("handout", "quiz", "guide"):
        assert "Week 2 · 18 January 2027" in html(course, kind)
        assert "Section 02" in html(course, kind)


def test_template_override_changes_the_title_block_of_both_editions() -> None:
    course = load_resolved(EXAMPLE, SPRING)
    for kind in ("handout", "quiz", "guide"):
        assert "TERM-OVERRIDE-BANNER" in html(course, kind)
        assert "The Example, Retitled</h1>" in html(course, kind)  # super() kept the rest
    assert "TERM-OVERRIDE-BANNER" not in html(load_resolved(EXAMPLE), "quiz")


def test_pool_draw_is_reproducible() -> None:
    first = [i["id"] for i in load_resolved(EXAMPLE, AUTUMN).modules[0].data["quiz"]]
    second = [i["id"] for i in load_resolved(EXAMPLE, AUTUMN).modules[0].data["quiz"]]
    assert first == second
    pool = [i for i in first if i in ("ex-q2", "ex-q3", "ex-q4")]
    assert len(pool) == 2 and len(first) == 6


def test_unknown_item_names_the_term_line_and_nearest_ids(example_course: Path) -> None:
    term = example_course / TERM
    replace_once(term, "exclude_quiz: [ex-q3]", "exclude_quiz: [ex-q33]")
    assert problems(example_course, term) == [
        f"{TERM}:13:20: modules.example.exclude_quiz[0]: module 'example' has no quiz item "
        "'ex-q33'; did you mean 'ex-q3' or 'ex-q7' or 'ex-q6'?"]


def test_term_errors_are_collected(example_course: Path) -> None:
    term = example_course / TERM
    replace_once(term, "points: {ex-q1: 5}", "points: {ex-q9: 5}")
    replace_once(term, "  - module: example\n", "  - module: example\n  - module: exampel\n")
    found = problems(example_course, term)
    assert found == [
        f"{TERM}:8:13: schedule[1].module: no module file modules/exampel/module.yaml; "
        "did you mean 'example'?",
        f"{TERM}:15:14: modules.example.points.ex-q9: module 'example' has no quiz item 'ex-q9' "
        "this term; did you mean 'ex-q7' or 'ex-q6' or 'ex-q5'?",
    ]


def test_overlay_files_are_checked_like_modules(example_course: Path) -> None:
    overlay = example_course / "terms/2027-spring/extra.yaml"
    replace_once(overlay, "reading: my-reading", "reading: not-a-reading")
    assert problems(example_course, example_course / TERM) == [
        "terms/2027-spring/extra.yaml:13:14: quiz[0].reading: no reading 'not-a-reading' in this "
        "module; did you mean 'my-reading'?"]
    replace_once(overlay, "    points: 2\n", "    points: 2\n    explantion: x\n")
    assert problems(example_course, example_course / TERM) == [
        "terms/2027-spring/extra.yaml:13:5: quiz[0].explantion: unknown field 'explantion'; "
        "did you mean 'explanation'?"]


def test_overlay_cannot_be_outside_the_term_folder(example_course: Path) -> None:
    term = example_course / TERM
    replace_once(term, "add: [extra.yaml]", "add: [../../course.yaml]")
    assert problems(example_course, term) == [
        f"{TERM}:15:11: modules.example.add[0]: no overlay file '../../course.yaml' in "
        "2027-spring/ (overlays live in the term's own folder)"]


def test_overlay_ids_must_not_clash_with_module_ids(example_course: Path) -> None:
    replace_once(example_course / "terms/2027-spring/extra.yaml", "id: own-q1", "id: ex-q1")
    assert problems(example_course, example_course / TERM) == [
        "terms/2027-spring/extra.yaml:8:9: quiz[0].id: id 'ex-q1' is already used at "
        "modules/example/module.yaml:39"]


def test_impossible_calendar_date(example_course: Path) -> None:
    replace_once(example_course / TERM, 'date: "2027-01-18"', 'date: "2027-02-30"')
    assert problems(example_course, example_course / TERM) == [
        f"{TERM}:9:11: schedule[0].date: '2027-02-30' is not a date on the calendar"]


def test_diff_lists_what_differs() -> None:
    lines = differences(load_resolved(EXAMPLE, SPRING), load_resolved(EXAMPLE, AUTUMN))
    assert "paper: A4 -> Letter" in lines
    assert "example: week 2 -> 1" in lines
    assert "example: quiz item own-q1 only in the first" in lines
    assert "example: ex-q1 points 5 -> 1" in lines
    assert "example: title 'The Example, Retitled' -> 'An Example Module'" in lines


def test_cli_config_explain_and_diff() -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["config", "-p", str(EXAMPLE), "--term", str(SPRING),
                               "--explain"]).stdout
    assert any(line.split()[:2] == ["paper", "A4"] and line.endswith(f"({TERM}:5)")
               for line in out.splitlines())
    result = runner.invoke(main, ["diff", "-p", str(EXAMPLE), TERM, "terms/2027-autumn.yaml"])
    assert result.exit_code == 0 and "paper: A4 -> Letter" in result.stdout


def test_terms_build_side_by_side(example_course: Path) -> None:
    runner = CliRunner()
    for term in (TERM, "terms/2027-autumn.yaml"):
        result = runner.invoke(main, ["build", "-q", "-p", str(example_course), "--term", term])
        assert result.exit_code == 0, result.stderr
    for term in ("2027-spring", "2027-autumn"):
        manifest = json.loads((example_course / "dist" / term / "manifest.json").read_text())
        assert len(manifest["outputs"]) == 4  # 3 PDFs and the responses template
    spring_quiz = squash(pdf_text(example_course / "dist/2027-spring/student/example-quiz.pdf"))
    assert squash("OWN-PROMPT") in spring_quiz and squash("OWN-ACCEPTED") not in spring_quiz


def test_new_module_skeleton_passes_check(example_course: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["new-module", "-p", str(example_course), "food-security"])
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(main, ["check", "-p", str(example_course)])
    assert result.exit_code == 0, result.stderr
    assert "note: modules/food-security is valid but not taught" in result.stdout
    bad = runner.invoke(main, ["new-module", "-p", str(example_course), "../escape"])
    assert bad.exit_code == 1 and "lowercase letters" in bad.stderr


def test_new_module_with_a_mistake_is_reported(example_course: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["new-module", "-p", str(example_course), "food-security"])
    replace_once(example_course / "modules/food-security/module.yaml", "points: 1", "points: one")
    result = runner.invoke(main, ["check", "-p", str(example_course)])
    assert result.exit_code == 1
    assert "modules/food-security/module.yaml:32:13: quiz[0].points: expected a number, " \
           "got 'one'" in result.stderr


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1 and "not empty" in result.stderr


def test_extra_css_adds_to_the_built_in_stylesheet_in_every_edition(tmp_path: Path) -> None:
    from hscourse.course.project import load_course
    from hscourse.render.html import EDITIONS, READERS, render_edition, render_reader

    root = copy_course(EXAMPLE, tmp_path / "course")
    (root / "templates").mkdir()
    (root / "templates/extra.css").write_text("h1 { color: #123456; }\n", encoding="utf-8")
    with (root / "course.yaml").open("a", encoding="utf-8") as f:
        f.write("extra_css: extra.css\n")
    course = load_course(root)
    pages = [render_edition(course, course.modules[0], e) for e in EDITIONS]
    pages += [render_reader(course, r) for r in READERS]
    for html in pages:
        assert "h1 { color: #123456; }" in html
        assert html.index("h1 { color: #123456; }") > html.index(".advisory")  # after print.css


def _fill_colours(pdf: bytes) -> Counter[str]:
    """How often the pages' content streams set each non-stroking RGB colour ("r g b rg")."""
    import re
    from io import BytesIO

    import pikepdf

    with pikepdf.open(BytesIO(pdf)) as document:
        streams = b"".join(page.Contents.read_bytes() if isinstance(page.Contents, pikepdf.Stream)
                           else b"".join(c.read_bytes() for c in page.Contents)
                           for page in document.pages)
    return Counter(" ".join(f"{round(float(v) * 255):02x}" for v in m.groups())
                   for m in re.finditer(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", streams))


def test_extra_css_wins_over_a_more_specific_built_in_rule(tmp_path: Path) -> None:
    """extra_css comes in a <style> of its own after the built-in stylesheet, which a render
    takes apart (render/pdf.py, split_stylesheet): its `p` beats the built-in `.kicker`."""
    from hscourse.course.project import load_course
    from hscourse.render.pdf import write_pdf

    root = copy_course(EXAMPLE, tmp_path / "course")
    (root / "templates").mkdir()
    (root / "templates/extra.css").write_text("p { color: #123456; }\n", encoding="utf-8")
    plain = load_course(root)
    quiz = next(e for e in EDITIONS if e.kind == "quiz")
    before = _fill_colours(write_pdf(render_edition(plain, plain.modules[0], quiz), root))
    with (root / "course.yaml").open("a", encoding="utf-8") as f:
        f.write("extra_css: extra.css\n")
    course = load_course(root)
    after = _fill_colours(write_pdf(render_edition(course, course.modules[0], quiz), root))
    assert "12 34 56" not in before and after["12 34 56"] > 0
    assert after["1f 4e 79"] < before["1f 4e 79"]  # the kicker's built-in colour, one use fewer


def test_a_base_override_reaches_the_reader(tmp_path: Path) -> None:
    from hscourse.course.project import load_course
    from hscourse.render.html import READERS, render_reader

    root = copy_course(EXAMPLE, tmp_path / "course")
    (root / "templates").mkdir()
    (root / "templates/base.html.j2").write_text(
        '{% extends "builtin/base.html.j2" %}{% block head %}<meta name="x-dept" '
        'content="DEPT-OVERRIDE">{% endblock %}', encoding="utf-8")
    course = load_course(root)
    assert all('content="DEPT-OVERRIDE"' in render_reader(course, r) for r in READERS)
