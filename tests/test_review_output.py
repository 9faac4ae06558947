"""`hscourse review` as a command and as a document: exit codes, the JSON and GitHub formats,
the golden findings of the shipped course, and the review PDF.

The shipped course's findings are kept in tests/golden/review-shipped.json. After the modules
or the rules change on purpose, regenerate it with
`HSCOURSE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_review_output.py` and read the
diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from hscourse.assess.review import Finding, review_project
from hscourse.assess.review.report import as_json, github_line
from hscourse.cli import main

from conftest import REPO, copy_course, pdf_text, replace_once, squash

FIXTURE = REPO / "tests" / "fixtures" / "review"
GOLDEN = REPO / "tests" / "golden" / "review-shipped.json"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture(scope="module")
def no_errors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture with the rules that report errors switched off: warnings only."""
    root = copy_course(FIXTURE, tmp_path_factory.mktemp("review") / "course")
    replace_once(root / "course.yaml", "modules:",
                 "review:\n  ignore: [placeholder, item-without-objective]\nmodules:")
    return root


def test_exit_codes(no_errors: Path) -> None:
    code, out = run("review", "-p", str(FIXTURE))
    assert code == 1 and "error: placeholder: [p1]" in out
    assert run("review", "-p", str(no_errors))[0] == 0
    assert run("review", "-p", str(no_errors), "--strict")[0] == 1
    assert run("review", "-p", str(no_errors), "--format", "xml")[0] == 2
    code, out = run("review", "-p", str(no_errors / "nowhere"))
    assert code == 1 and "no course.yaml" in out


def test_text_lines_name_file_line_column_rule_and_item() -> None:
    _, out = run("review", "-p", str(FIXTURE))
    assert ("modules/labelled/module.yaml:264:15: warning: word-repeat: [w1] the stem word "
            "'treaty' reappears") in out
    items = len(yaml.safe_load((FIXTURE / "labels.yaml").read_text()))
    assert out.splitlines()[-1].endswith(f"in {items} items of 2 modules")


def test_json_format(no_errors: Path) -> None:
    code, out = run("review", "-p", str(FIXTURE), "--format", "json")
    data = json.loads(out)
    assert code == 1 and set(data) == {"findings", "summary"}
    for finding in data["findings"]:
        assert list(finding) == ["rule", "severity", "file", "line", "column", "item", "message"]
    by_severity = {s: sum(f["severity"] == s for f in data["findings"])
                   for s in ("error", "warning", "info")}
    assert {k: data["summary"][k + "s"] for k in by_severity} == by_severity
    labels = yaml.safe_load((FIXTURE / "labels.yaml").read_text())
    assert data["summary"]["items"] == len(labels) and data["summary"]["modules"] == 2
    assert sum(data["summary"]["rules"].values()) == len(data["findings"])
    assert any(f["item"] is None for f in data["findings"])


def test_github_format_escapes_what_workflow_commands_need() -> None:
    finding = Finding("placeholder", "info", "modules/a,b/module.yaml", 3, 7, "q1",
                      "50% done:\nline two")
    assert github_line(finding) == ("::notice file=modules/a%2Cb/module.yaml,line=3,col=7,"
                                    "title=review placeholder [q1]::50%25 done:%0Aline two")
    _code, out = run("review", "-p", str(FIXTURE), "--format", "github")
    lines = out.splitlines()
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines[:-1])
    assert ("::warning file=modules/labelled/module.yaml,line=264,col=15,title=review "
            "word-repeat [w1]::the stem word 'treaty'") in out


def test_shipped_course_findings_match_the_golden_file() -> None:
    _, report = review_project(REPO)
    text = as_json(report)
    if os.environ.get("HSCOURSE_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_review_pdf_shows_summary_coverage_levels_and_findings(review_pdf: Path) -> None:
    """The review PDF of the fixture's short second module (conftest's review_pdf)."""
    text = squash(pdf_text(review_pdf))
    for expected in ("Item review", "0 errors, 1 warning, 1 note in 1 item of 1 module",
                     "Findings per module", "Quiz points per level",
                     "Coverage: a mark where an item names the objective", "s-recall",
                     "The module", "only 0% of the quiz's points are at apply or above",
                     "Item d2", "no level given; suggested: remember"):
        assert squash(expected) in text, expected


def test_review_pdf_chart_has_alt_text_and_is_reproducible() -> None:
    from hscourse.assess.review.document import review_html

    course, report = review_project(FIXTURE)
    first, second = review_html(course, report), review_html(course, report)
    assert first == second and "data:image/svg+xml;base64," in first
    quiz = yaml.safe_load((FIXTURE / "modules/second/module.yaml").read_text())["quiz"]
    points = sum(item["points"] for item in quiz if item["level"] == "remember")
    assert ("each module. Rivers, Dams and Human Security: " in first
            and f"; A Second Module: {points:g} remember." in first)


def test_build_writes_review_pdf_only_when_asked(tmp_path: Path) -> None:
    from hscourse.course.project import load_course
    from hscourse.render.documents import review_documents

    root = copy_course(FIXTURE, tmp_path / "course")
    assert review_documents(load_course(root)) == []
    replace_once(root / "course.yaml", "modules:", "review: true\nmodules:")
    [doc] = review_documents(load_course(root))
    assert (doc.entry.path, doc.entry.kind, doc.entry.audience) == (
        "instructor/review.pdf", "review", "instructor")
    replace_once(root / "course.yaml", "review: true", "review: {pdf: false, ignore: [placeholder]}")
    assert review_documents(load_course(root)) == []
