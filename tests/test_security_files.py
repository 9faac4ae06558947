"""Findings 2, 5 and 10 of the second security pass: what files a module's content may read.

A module's content reads only its own folder (images inside SVGs included); an image only
instructor-only fields show is itself an answer, found by its pixels in student PDFs; hard
links and symbolic links (even one swapped in after the check) are refused; images that would
take minutes or gigabytes to draw are refused by `check`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from hscourse.build import Options, build
from hscourse.cli import main
from hscourse.errors import ContentError
from hscourse.render.pdf import RenderError, check_reference, read_course_file, write_pdf

from conftest import EXAMPLE, copy_course, replace_once

MODULE = "modules/example/module.yaml"
PROMPT = "    prompt: When was the last recorded war between states over water?\n"
EXPLANATION = "    explanation: EXPLANATION-Q1 the notes on Postel and Wolf say about 4,500 years ago.\n"


def png(path: Path, size: tuple[int, int] = (24, 16), colour: str = "red") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def two_modules(tmp_path: Path) -> Path:
    """The example course plus a module `other` whose folder holds an answer image."""
    root = copy_course(EXAMPLE, tmp_path / "course")
    other = root / "modules/other"
    shutil.copytree(root / "modules/example", other)
    module = other / "module.yaml"
    module.write_text(module.read_text(encoding="utf-8").replace("ex-", "ot-").replace(
        "id: example", "id: other"), encoding="utf-8")
    replace_once(root / "course.yaml", "  - example\n", "  - example\n  - other\n")
    png(other / "answer.png")
    return root


def check(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "-p", str(root)])
    return result.exit_code, result.output


def test_a_prompt_cannot_embed_another_modules_image(tmp_path: Path) -> None:
    root = two_modules(tmp_path)
    replace_once(root / MODULE, PROMPT, PROMPT.rstrip("\n") + " ![a](modules/other/answer.png)\n")
    code, output = check(root)
    assert code == 1
    assert "quiz[0].prompt: no file 'modules/other/answer.png' in example/" in output


def test_an_svg_cannot_reach_into_another_module(tmp_path: Path) -> None:
    root = two_modules(tmp_path)
    (root / "modules/example/map.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
        '<image href="../other/answer.png" width="9" height="9"/></svg>')
    replace_once(root / MODULE, PROMPT, PROMPT.rstrip("\n") + " ![a map](map.svg)\n")
    code, output = check(root)
    assert code == 1
    assert "the SVG refers to '../other/answer.png', outside the module's folder" in output


def test_the_render_itself_refuses_other_modules_files(tmp_path: Path) -> None:
    """Should a check be bypassed, the fetcher still reads only the document's own folders."""
    root = two_modules(tmp_path)
    html = ('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
            '<img src="modules/other/answer.png" alt="x"><p>x</p></body></html>')
    assert write_pdf(html, root)  # allowed where no folders are named (tests, tools)
    with pytest.raises(RenderError, match="outside this module's folder"):
        write_pdf(html, root, folders=("modules/example", "templates"))


def test_an_image_only_instructor_fields_show_is_caught_in_a_student_pdf(tmp_path: Path
                                                                         ) -> None:
    """A template override that puts the explanation's image on the student quiz is caught by
    the image's pixels, though no instructor-only text is printed."""
    root = copy_course(EXAMPLE, tmp_path / "course")
    png(root / "modules/example/key-map.png", (40, 30), "navy")
    replace_once(root / MODULE, EXPLANATION, EXPLANATION.rstrip("\n") + " ![the key](key-map.png)\n")
    (root / "templates").mkdir()
    (root / "templates/quiz.html.j2").write_text(
        '{% extends "builtin/quiz.html.j2" %}{% block title_block %}{{ super() }}'
        '<img src="modules/example/key-map.png" alt="map">{% endblock %}', encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        build(root, dist=tmp_path / "dist", options=Options(jobs=1))
    messages = [str(d) for d in caught.value.diagnostics]
    assert any("an image only instructor-only fields show (key-map.png, quiz item 'ex-q1') "
               "appears in student/example-quiz.pdf (images)" in m and "quiz[0].explanation" in m
               for m in messages), messages


def test_a_hard_link_is_refused_unless_allowed(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    outside = png(tmp_path / "outside/secret.png")
    os.link(outside, root / "modules/example/evil.png")
    replace_once(root / MODULE, PROMPT, PROMPT.rstrip("\n") + " ![e](evil.png)\n")
    code, output = check(root)
    assert code == 1 and "cannot use 'evil.png': the file has other hard links" in output
    with (root / "course.yaml").open("a", encoding="utf-8") as f:
        f.write("allow_hard_links: true\n")
    assert check(root)[0] == 0


def test_a_symlink_is_refused(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    (root / "modules/example/evil.png").symlink_to(png(tmp_path / "outside/secret.png"))
    replace_once(root / MODULE, PROMPT, PROMPT.rstrip("\n") + " ![e](evil.png)\n")
    code, output = check(root)
    assert code == 1 and "cannot use 'evil.png': it is a symbolic link" in output


@pytest.mark.parametrize("swap", ["file", "folder"])
def test_a_symlink_swapped_in_after_the_check_is_not_read(tmp_path: Path, swap: str) -> None:
    root = tmp_path / "course"
    image = png(root / "modules/m/img/dot.png")
    outside = png(tmp_path / "outside/img/dot.png", colour="blue")
    path, reason = check_reference(image.as_uri(), root.resolve())
    assert reason == "" and path is not None
    if swap == "file":
        image.unlink()
        image.symlink_to(outside)
    else:
        shutil.rmtree(root / "modules/m/img")
        (root / "modules/m/img").symlink_to(outside.parent)
    with pytest.raises(OSError, match="symbolic link"):
        read_course_file(root.resolve(), path)


def test_nested_svg_use_elements_are_refused(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    levels = ['<g id="l0"><rect width="1" height="1"/></g>']
    for i in range(1, 7):
        levels.append(f'<g id="l{i}">' + f'<use href="#l{i - 1}"/>' * 10 + "</g>")
    (root / "modules/example/bomb.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><defs>'
        + "".join(levels) + '</defs><use href="#l6"/></svg>')
    replace_once(root / MODULE, PROMPT, PROMPT.rstrip("\n") + " ![b](bomb.svg)\n")
    code, output = check(root)
    assert code == 1 and "nests <use> elements more than 3 deep" in output


def test_an_image_over_the_pixel_budget_is_refused(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    Image.new("1", (9400, 9400)).save(root / "modules/example/huge.png")
    assert (root / "modules/example/huge.png").stat().st_size < 100_000
    replace_once(root / MODULE, PROMPT, PROMPT.rstrip("\n") + " ![h](huge.png)\n")
    code, output = check(root)
    assert code == 1 and "9400 x 9400 pixels is more than the budget of 40 million" in output
