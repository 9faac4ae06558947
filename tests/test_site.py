"""The student web edition (`html: true`): what it writes, that no answer reaches it (and a
planted one fails the build), self-check pages, byte-identical rebuilds, and WCAG 2.1 AA in a
real browser (axe-core in Debian's Chromium, tests/site_browser.js)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hscourse.build import Options, build
from hscourse.course.load import load_text
from hscourse.course.model import instructor_only_texts
from hscourse.course.resolve import load_resolved
from hscourse.errors import ContentError
from hscourse.render.leakcheck import find_leaks
from hscourse.render.secrets import needles_for
from hscourse.site.build import SELF_CHECK_KIND, self_check_needles, site_files

from conftest import EXAMPLE, REPO, copy_built, copy_course, prebuilt, replace_once, shared_files

pytestmark = pytest.mark.slow  # builds the example course's PDFs, drives Chromium

TERM = "terms/2027-spring.yaml"
# A 2x2 red PNG: an image shown in the overview, with its alt text.
RED_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DA"
                           "wMDAxMDAwMAAAA0gAQ0L2ZPtAAAAAElFTkSuQmCC")
NODE_DIR = REPO / "tests" / ".node"
CHROMIUM = Path("/usr/bin/chromium")


def with_site(root: Path, *extra: str) -> Path:
    """The course at root with `html: true` (and extra lines) in course.yaml, and an image in
    the example module's overview."""
    with (root / "course.yaml").open("a", encoding="utf-8") as handle:
        handle.write("".join(f"{line}\n" for line in ("html: true", *extra)))
    module = root / "modules" / "example"
    (module / "red.png").write_bytes(RED_PNG)
    replace_once(module / "module.yaml", "  and shows that <b>raw HTML</b> stays text.",
                 "  and shows that <b>raw HTML</b> stays text.\n\n  ![A red square](red.png)")
    return root


@pytest.fixture(scope="module")
def prebuilt_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def make(target: Path) -> Path:
        return with_site(copy_course(EXAMPLE, target))
    return prebuilt(tmp_path_factory, "site", make, Options())


def test_site_pages_images_and_manifest(prebuilt_site: Path) -> None:
    site = prebuilt_site / "dist" / "site"
    names = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert names == ["example/handout.html", "example/quiz.html", "example/red.png",
                     "index.html", "print.css", "site.css"]
    manifest = json.loads((site.parent / "manifest.json").read_text())
    entries = manifest["outputs"] if isinstance(manifest, dict) else manifest
    listed = {e["path"]: e for e in entries if e["path"].startswith("site/")}
    assert sorted(p.removeprefix("site/") for p in listed) == names
    assert {e["audience"] for e in listed.values()} == {"student"}
    assert (site / "example" / "red.png").read_bytes() == RED_PNG
    handout = (site / "example" / "handout.html").read_text()
    assert '<img src="red.png" alt="A red square" />' in handout
    assert '<html lang="en" dir="ltr">' in handout
    assert ('<span lang="zh-Hans" class="original-title script-han-simplified">'
            '中国应对气候变化的政策与行动</span>') in handout
    # raw HTML in content stays text, as in the PDFs
    assert "&lt;b&gt;raw HTML&lt;/b&gt;" in handout
    # links to the PDFs, relative, and every one of them exists
    links = re.findall(r'href="([^"]+\.pdf)"', handout)
    assert links == ["../../student/example-handout.pdf", "../../student/example-quiz.pdf"]
    assert all((site / "example" / link).resolve().is_file() for link in links)


def test_home_page_has_course_and_schedule(tmp_path: Path) -> None:
    root = with_site(copy_course(EXAMPLE, tmp_path / "course"))
    write_site(root, tmp_path / "out", root / TERM)
    home = (tmp_path / "out" / "site" / "index.html").read_text()
    assert "<h1>Example Course</h1>" in home
    assert "Dr. Term" in home and "Section 02" in home  # the term's settings
    schedule = home[home.index('id="schedule-title"'):home.index('id="modules-title"')]
    assert "Week 2 · 18 January 2027" in schedule and "The Example, Retitled" in schedule
    assert 'href="example/handout.html"' in home and 'href="example/quiz.html"' in home


def test_quiz_page_is_a_real_list_without_answers(prebuilt_site: Path) -> None:
    quiz = (prebuilt_site / "dist" / "site" / "example" / "quiz.html").read_text()
    options = re.search(r'<ol class="options[^"]*" type="A">(.*?)</ol>', quiz, re.S)
    assert options and options.group(1).count("<li") == 3
    for marker in ("EXPLANATION-", "FEEDBACK-", "(correct)", "STRONG-ANSWER", "INSTRUCTOR-"):
        assert marker not in quiz
    assert "<script" not in quiz and "<details" not in quiz
    # The web edition sets each prompt's first paragraph on a line of its own (site.css
    # targets its span; the printed quiz, tests/golden, runs it in as plain text).
    heads = re.findall(r'<div class="run-in item-head">.*?</div>', quiz, re.S)
    assert heads and all('<span class="lead">' in head for head in heads)


@pytest.fixture(scope="module")
def canary_course(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """The example course with every instructor-only text replaced by a unique token."""
    root = copy_course(EXAMPLE, tmp_path_factory.mktemp("canary") / "course")
    module_file = root / "modules" / "example" / "module.yaml"
    data = load_text(module_file.read_text(encoding="utf-8"), "module.yaml").data
    # Matching pairs and ordering entries are shown to students shuffled: not secrets.
    shown = {p[side] for q in data["quiz"] for p in q.get("pairs", []) for side in ("left", "right")}
    shown |= {e for q in data["quiz"] for e in q.get("correct_order", [])}
    count = [0]

    def plant(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plant(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plant(v) for v in value]
        if isinstance(value, str) and value in secrets:
            count[0] += 1
            return f"Canary{count[0]:03d}zq unique instructor token"
        return value

    secrets = set(instructor_only_texts(data)) - shown
    module_file.write_text(yaml.safe_dump(plant(data), allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    return root, {f"Canary{i:03d}zq" for i in range(1, count[0] + 1)}


def test_no_instructor_text_reaches_any_page(canary_course: tuple[Path, set[str]]) -> None:
    root, tokens = canary_course
    assert len(tokens) >= 20
    course = load_resolved(root, None)
    course.settings = course.settings.changed(html=True)
    files = site_files(course, [])
    text = "\n".join(d.decode() for o, d in files.items() if not o.path.endswith(".png"))
    assert not {t for t in tokens if t in text}
    assert not find_leaks(needles_for(course), files)


def test_self_check_reveals_answers_and_nothing_else(canary_course: tuple[Path, set[str]]
                                                     ) -> None:
    root, tokens = canary_course
    course = load_resolved(root, None)
    course.settings = course.settings.changed(html=True, self_check=True)
    files = site_files(course, [])
    quiz = next(d.decode() for o, d in files.items() if o.kind == SELF_CHECK_KIND)
    shown = {t for t in tokens if t in quiz}
    data = course.modules[0].data
    revealed = {item["explanation"] for item in data["quiz"]}
    revealed |= {o["feedback"] for item in data["quiz"] for o in item.get("options", [])
                 if "feedback" in o}
    revealed |= {item["model_answer"] for item in data["quiz"] if "model_answer" in item}
    revealed |= {a for item in data["quiz"] for a in item.get("accepted_answers", [])}
    assert shown == {re.match(r"Canary\d+zq", t)[0] for t in revealed}
    assert quiz.count('<details class="self-check">') == len(data["quiz"])
    # the rest (reading notes for instructors, discussion answers, rubrics) stays secret
    assert not find_leaks(self_check_needles(course), {o: d for o, d in files.items()
                                                       if o.kind == SELF_CHECK_KIND})
    others = {o: d for o, d in files.items() if o.kind != SELF_CHECK_KIND}
    assert not {t for t in tokens if any(t.encode() in d for d in others.values())}


def build_with_planted_text(root: Path, text: str) -> pytest.ExceptionInfo[ContentError]:
    """Build root with a quiz-page template override that prints text: the build's error."""
    (root / "templates" / "site").mkdir(parents=True)
    (root / "templates" / "site" / "quiz.html.j2").write_text(
        '{% extends "builtin/site/quiz.html.j2" %}{% block main %}{{ super() }}'
        f"<p>{text}</p>{{% endblock %}}")
    with pytest.raises(ContentError) as caught:
        build(root)
    return caught


def test_a_planted_answer_fails_the_build(prebuilt_site: Path, tmp_path: Path) -> None:
    root = copy_built(prebuilt_site, tmp_path / "course")
    before = (root / "dist" / "site" / "example" / "quiz.html").read_bytes()
    caught = build_with_planted_text(root, "Hint: the notes on Postel and Wolf say about "
                                           "4,500 years ago.")
    message = str(caught.value)
    assert "site/example/quiz.html" in message and "explanation" in message
    assert "modules/example/module.yaml" in message
    assert (root / "dist" / "site" / "example" / "quiz.html").read_bytes() == before


def test_rebuilds_are_byte_identical(prebuilt_site: Path, tmp_path: Path) -> None:
    root = copy_built(prebuilt_site, tmp_path / "course")
    first = {p: p.read_bytes() for p in (root / "dist" / "site").rglob("*") if p.is_file()}
    shutil.rmtree(root / "dist" / "site")  # the build makes the site again, reusing the PDFs
    assert build(root).rendered == []
    second = {p: p.read_bytes() for p in (root / "dist" / "site").rglob("*") if p.is_file()}
    assert first == second


def test_self_check_build_prints_a_notice(prebuilt_site: Path, tmp_path: Path) -> None:
    root = copy_built(prebuilt_site, tmp_path / "course")
    with (root / "course.yaml").open("a") as handle:
        handle.write("self_check: true\n")
    result = build(root)
    notices = [w for w in result.warnings if w.field == "self_check"]
    assert len(notices) == 1 and "answer" in notices[0].message
    quiz = (root / "dist" / "site" / "example" / "quiz.html").read_text()
    assert "EXPLANATION-Q1" in quiz
    manifest = (root / "dist" / "manifest.json").read_text()
    assert SELF_CHECK_KIND in manifest


def write_site(root: Path, target: Path, term: Path | None = None, **settings: Any) -> list[Path]:
    """The site of the course at root written to target, linking to the PDFs a build would
    make (their HTML is rendered, not the PDFs); its HTML pages."""
    from hscourse.render.documents import documents

    course = load_resolved(root, term)
    course.settings = course.settings.changed(html=True, **settings)
    for entry, data in site_files(course, [d.entry for d in documents(course)]).items():
        path = target / entry.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return sorted(target.rglob("*.html"))


def browser_check(pages: list[Path], profile: Path, screenshots: list[dict[str, Any]],
                  clicks: list[dict[str, Any]]) -> dict[str, Any]:
    """Run tests/site_browser.js: axe-core and the other checks on every page, one browser."""
    assert CHROMIUM.is_file(), "Debian's chromium is needed: run `make setup`"
    for package in ("axe-core", "puppeteer-core"):
        assert (NODE_DIR / "node_modules" / package).is_dir(), f"{package}: run `make setup`"
    request = {"pages": [str(p) for p in pages], "chromium": str(CHROMIUM),
               "profile": str(profile), "screenshots": screenshots, "clicks": clicks}
    # Its own process group, so that a timeout ends the browser too, not only node.
    process = subprocess.Popen(["node", str(REPO / "tests" / "site_browser.js")],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               env={**os.environ, "NODE_PATH": str(NODE_DIR / "node_modules")})
    try:
        out, err = process.communicate(json.dumps(request), timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert process.returncode == 0, err[-2000:]
    return json.loads(out)


def _check_in_browser(base: Path) -> None:
    pages = write_site(REPO, base / "shipped")
    example = with_site(copy_course(EXAMPLE, base / "example"))
    pages += write_site(example, base / "example-site", example / TERM, self_check=True)
    shots = [{"page": str(base / "shipped" / "site" / "water-conflict" / "quiz.html"),
              "width": 360, "height": 780, "path": str(base / "quiz-360.png")},
             {"page": str(base / "shipped" / "site" / "tibet" / "handout.html"),
              "width": 1280, "height": 900, "path": str(base / "handout-1280.png")}]
    quiz = str(base / "example-site" / "site" / "example" / "quiz.html")
    first, second = "fieldset.choose:nth-of-type(1)", "section.item-multiple_answer + fieldset"
    clicks = [{"page": quiz, "click": [f"{first} input[value=A]"], "read": f"{first} .verdict",
               "open": f"{first} + details"},
              {"page": quiz, "click": [f"{first} input[value=B]"], "read": f"{first} .verdict",
               "open": f"{first} + details"},
              {"page": quiz, "click": [f"{second} input[value=A]", f"{second} button"],
               "read": f"{second} .verdict", "open": f"{second} + details"}]
    results = browser_check(pages, base / "profile", shots, clicks)
    (base / "results.json").write_text(json.dumps(results), encoding="utf-8")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """Every page of the shipped course's site and of the example course's (its term, an
    image, self-check quizzes), checked in one Chromium, once per run; two screenshots."""
    base = shared_files(tmp_path_factory, "browser", _check_in_browser)
    return json.loads((base / "results.json").read_text(encoding="utf-8")), base


def test_axe_finds_no_wcag21_aa_violation(browser: tuple[dict[str, Any], Path]) -> None:
    results = browser[0]["pages"]
    assert len(results) == 14
    violations = {page: r["violations"] for page, r in results.items() if r["violations"]}
    print(f"axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa): {len(results)} pages, "
          f"{sum(len(v) for v in violations.values())} violations")
    assert not violations


def test_headings_landmarks_lang_and_skip_link(browser: tuple[dict[str, Any], Path]) -> None:
    for page, r in browser[0]["pages"].items():
        levels = r["headings"]
        assert levels.count(1) == 1 and levels[0] == 1, page
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), (page, levels)
        assert {"header", "main", "footer"} <= set(r["landmarks"]), page
        assert r["lang"] == "en" and r["skipTarget"] == "#content", page


def test_reflow_at_320_px_and_visible_focus(browser: tuple[dict[str, Any], Path]) -> None:
    for page, r in browser[0]["pages"].items():
        assert r["overflow320"] <= 0, f"{page} scrolls sideways at 320 px"
        assert r["focus"]["element"] == "skip-link" and r["focus"]["visible"], page
        style, width = r["focus"]["outline"].split()
        assert style == "solid" and float(width.removesuffix("px")) >= 2, page


def test_screenshots_at_360_and_1280_px(browser: tuple[dict[str, Any], Path]) -> None:
    from PIL import Image

    base = browser[1]
    for name, width in (("quiz-360.png", 360), ("handout-1280.png", 1280)):
        with Image.open(base / name) as image:
            assert image.size[0] == width
            low, high = image.convert("L").getextrema()
            assert high - low > 100  # drawn: dark text on a light page, not blank


def fetch(url: str) -> tuple[int, str]:
    """Status and body of a GET (error statuses too)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def wait_for_version(base: str, after: int, seconds: float = 90) -> dict[str, Any]:
    """The preview's state once it has rebuilt past version `after`."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = json.loads(fetch(base + "/__hscourse/version")[1])
        if state["version"] > after:
            return state
        time.sleep(0.2)
    raise AssertionError(f"no rebuild within {seconds} s")


def test_serve_rebuilds_on_save_and_shows_errors(prebuilt_site: Path, tmp_path: Path) -> None:
    from hscourse.site.serve import Preview

    root = copy_built(prebuilt_site, tmp_path / "course")
    preview = Preview(root, port=0).start()
    try:
        host, port = preview.server.server_address[:2]
        assert host == "127.0.0.1"
        base = f"http://127.0.0.1:{port}"
        status, page = fetch(base + "/site/example/handout.html")
        assert status == 200 and "<h1>An Example Module</h1>" in page
        assert '<script src="/__hscourse/reload.js" data-version="1">' in page
        assert "reload.js" not in (root / "dist" / "site" / "example" / "handout.html").read_text()
        assert fetch(base + "/student/example-quiz.pdf")[0] == 200
        assert fetch(base + "/instructor/example-guide.pdf")[0] == 404  # private files
        assert fetch(base + "/manifest.json")[0] == 404

        module = root / "modules" / "example" / "module.yaml"
        good = module.read_text(encoding="utf-8")
        module.write_text(good.replace("title: An Example Module", "title: [An Example", 1),
                          encoding="utf-8")
        state = wait_for_version(base, 1)
        assert not state["ok"]
        status, page = fetch(base + "/site/example/handout.html")
        assert status == 500 and "The course did not build" in page
        assert re.search(r"modules/example/module\.yaml:2:\d+", page), page
        assert f'data-version="{state["version"]}"' in page

        module.write_text(good.replace("title: An Example Module", "title: A Renamed Module", 1),
                          encoding="utf-8")
        state = wait_for_version(base, state["version"])
        assert state["ok"]
        status, page = fetch(base + "/site/example/handout.html")
        assert status == 200 and "<h1>A Renamed Module</h1>" in page
    finally:
        preview.stop()


def test_self_check_answers_a_choice(browser: tuple[dict[str, Any], Path]) -> None:
    """In the example, question 1's answer is A and question 2's is A and B."""
    right, wrong, partial = browser[0]["clicks"]
    assert right == {"text": "Correct.", "open": True}
    assert wrong == {"text": "Not quite: the answer is A.", "open": True}
    assert partial == {"text": "Not quite: the answer is A, B.", "open": True}


def test_self_check_pages_still_keep_instructor_notes_out(prebuilt_site: Path, tmp_path: Path
                                                          ) -> None:
    root = copy_built(prebuilt_site, tmp_path / "course")
    with (root / "course.yaml").open("a") as handle:
        handle.write("self_check: true\n")
    caught = build_with_planted_text(root, "INSTRUCTOR-READING-NOTE-Lagash story first.")
    assert "site/example/quiz.html" in str(caught.value)
    assert "instructor_notes" in str(caught.value)


def test_serve_command_prints_its_address_and_stops_on_ctrl_c(prebuilt_site: Path,
                                                              tmp_path: Path) -> None:
    root = copy_built(prebuilt_site, tmp_path / "course")
    process = subprocess.Popen([sys.executable, "-m", "hscourse", "serve", "-p", str(root), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = [process.stdout.readline() for _ in range(2)]  # type: ignore[union-attr]
        serving = next(line for line in lines if line.startswith("Serving"))
        url = re.search(r"http://127\.0\.0\.1:\d+/site/index\.html", serving)
        assert url, lines
        status, page = fetch(url.group())
        assert status == 200 and "<h1>Example Course</h1>" in page
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_pdf_links_are_the_students_in_reading_order() -> None:
    from hscourse.output import Output
    from hscourse.site.build import pdf_links

    outputs = [Output("student/answer-sheets/m-A.pdf", "student", "answer-sheet", "m", "", "A"),
               Output("student/m-quiz-B.pdf", "student", "quiz", "m", "", "B"),
               Output("student/m-quiz-A.pdf", "student", "quiz", "m", "", "A"),
               Output("instructor/m-guide.pdf", "instructor", "guide", "m", ""),
               Output("student/m-handout.pdf", "student", "handout", "m", ""),
               Output("student/n-handout.pdf", "student", "handout", "n", ""),
               Output("student/answer-sheets/m-A-layout.json", "student", "answer-sheet-layout",
                      "m", ""),
               Output("student/reader.pdf", "student", "reader", "", "")]
    assert pdf_links(outputs, "m", "site/m/quiz.html") == [
        {"href": "../../student/m-handout.pdf", "label": "Handout", "form": ""},
        {"href": "../../student/m-quiz-A.pdf", "label": "Quiz", "form": "A"},
        {"href": "../../student/m-quiz-B.pdf", "label": "Quiz", "form": "B"},
        {"href": "../../student/answer-sheets/m-A.pdf", "label": "Answer sheet", "form": "A"}]
    assert pdf_links(outputs, None, "site/index.html") == [
        {"href": "../student/reader.pdf", "label": "Course reader", "form": ""}]


def test_an_image_named_like_a_page_is_an_error_with_its_line(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    module = root / "modules" / "example"
    (module / "quiz.html").write_bytes(RED_PNG)
    replace_once(module / "module.yaml", "  and shows that <b>raw HTML</b> stays text.",
                 "  and shows that <b>raw HTML</b> stays text. ![A red square](quiz.html)")
    course = load_resolved(root, None)
    with pytest.raises(ContentError) as caught:
        site_files(course, [])
    assert re.fullmatch(r"modules/example/module\.yaml:3:\d+: overview: image quiz\.html: the web "
                        r"edition has a page of that name .*rename the image", str(caught.value))
