"""Item analysis against an independent computation, the miskey detector, the report PDFs and
the Moodle Responses report reader."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hscourse.assess.analysis import ItemData, analyse, cronbach_alpha
from hscourse.assess.grade import grade_table, quiz_forms
from hscourse.assess.lms_reports import read_moodle_responses
from hscourse.assess.report import GradeOptions, grade, item_data
from hscourse.assess.responses import parse, read_table
from hscourse.course.resolve import load_resolved
from hscourse.errors import ContentError

from conftest import EXAMPLE
from grade_sim import MISKEYED, make_course, simulate

FIXTURES = Path(__file__).parent / "fixtures" / "grade"
STUDENTS = 500


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory):
    """A 24-item quiz on three forms, 500 simulated (2PL) students, one miskeyed item."""
    root = make_course(tmp_path_factory.mktemp("analysis") / "course", items=24, versions=3)
    course = load_resolved(root)
    quiz = quiz_forms(course, "sim")
    data, expected = simulate(quiz, STUDENTS, seed=11, miskeyed=MISKEYED)
    grading = grade_table(parse(data.decode(), "responses.csv"), quiz)
    items, scores = item_data(grading)
    return root, grading, items, scores, analyse("sim", items, scores), expected


def independent_alpha(x: np.ndarray) -> float:
    """Cronbach's alpha from the covariance matrix: k/(k-1) (1 - trace / sum)."""
    c = np.cov(x, rowvar=False)
    k = x.shape[1]
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


def test_scores_are_the_simulated_ones(simulated) -> None:
    _root, _grading, _items, scores, _a, expected = simulated
    assert np.abs(scores - expected).max() < 1e-4  # item scores are rounded to 4 decimals


def test_summary_against_numpy(simulated) -> None:
    _root, _grading, items, scores, analysis, _expected = simulated
    totals = scores.sum(axis=1)
    s = analysis["summary"]
    n = len(totals)
    assert analysis["students"] == n == STUDENTS
    assert s["mean"] == pytest.approx(sum(totals) / n, abs=1e-9)
    assert s["median"] == pytest.approx(sorted(totals)[n // 2 - 1:n // 2 + 1][0] / 2
                                        + sorted(totals)[n // 2] / 2, abs=1e-9)
    sd = math.sqrt(sum((t - totals.mean()) ** 2 for t in totals) / (n - 1))
    assert s["sd"] == pytest.approx(sd, abs=1e-9)
    assert (s["min"], s["max"]) == (totals.min(), totals.max())
    alpha = independent_alpha(scores)
    assert s["alpha"] == pytest.approx(alpha, abs=1e-9)
    assert s["sem"] == pytest.approx(sd * math.sqrt(1 - alpha), abs=1e-9)
    assert s["max_points"] == sum(i.points for i in items)
    assert sum(b["count"] for b in s["histogram"]) == n
    print(f"\nalpha {alpha:.3f}, SEM {s['sem']:.3f}, mean {s['mean']:.2f}/{s['max_points']:g}")


def test_items_against_numpy(simulated) -> None:
    _root, _grading, items, scores, analysis, _expected = simulated
    totals = scores.sum(axis=1)
    n = len(totals)
    g = int(0.27 * n + 0.5)
    ranked = sorted(range(n), key=lambda s: totals[s])  # Python's sort is stable too
    low, high = ranked[:g], ranked[-g:]
    for j, (item, stats) in enumerate(zip(items, analysis["items"])):
        x = scores[:, j]
        rest = totals - x
        assert stats["id"] == item.id
        assert stats["facility"] == pytest.approx(x.mean() / item.points, abs=1e-9)
        assert stats["item_rest_correlation"] == pytest.approx(np.corrcoef(x, rest)[0, 1],
                                                               abs=1e-9)
        assert stats["discrimination"] == pytest.approx(
            (x[high].mean() - x[low].mean()) / item.points, abs=1e-9)
        assert stats["alpha_if_deleted"] == pytest.approx(
            independent_alpha(np.delete(scores, j, axis=1)), abs=1e-9)
        for option, data in zip(stats["options"], item.options or []):
            chosen = data.chosen.astype(float)
            assert option["count"] == int(chosen.sum())
            assert option["proportion"] == pytest.approx(chosen.mean(), abs=1e-12)
            if 0 < chosen.sum() < n:
                assert option["correlation"] == pytest.approx(np.corrcoef(chosen, rest)[0, 1],
                                                              abs=1e-9)
            else:
                assert option["correlation"] is None


def test_kr20_for_dichotomous_items() -> None:
    rng = np.random.default_rng(4)
    theta = rng.normal(size=300)[:, None]
    b = rng.normal(size=15)[None, :]
    x = (rng.random((300, 15)) < 1 / (1 + np.exp(-(theta - b)))).astype(float)
    p = x.mean(axis=0)
    kr20 = 15 / 14 * (1 - (p * (1 - p)).sum() / x.sum(axis=1).var())
    assert cronbach_alpha(x) == pytest.approx(kr20, abs=1e-9)
    items = [ItemData(f"i{j}", "f", 1, 1.0) for j in range(15)]
    assert analyse("q", items, x)["summary"]["reliability_method"] == "KR-20"


def test_miskeyed_item_is_flagged_with_the_top_groups_choice(simulated) -> None:
    root, _grading, _items, _scores, analysis, _expected = simulated
    flagged = {i["id"]: i for i in analysis["items"]
               if any(f["flag"] == "negative-discrimination" for f in i["flags"])}
    others = len(flagged) - (MISKEYED in flagged)
    print(f"\nnegative-discrimination: miskeyed item flagged {MISKEYED in flagged}, "
          f"{others} of {len(analysis['items']) - 1} correctly keyed items flagged")
    assert MISKEYED in flagged and others == 0
    item = flagged[MISKEYED]
    flag = next(f for f in item["flags"] if f["flag"] == "negative-discrimination")
    assert flag["option"] == "Option 3 of question 2"  # what the able students chose
    assert f"{item['file']}:{item['line']}" in flag["message"] and "check the key" in flag["message"]
    line = (root / item["file"]).read_text().splitlines()[item["line"] - 1]
    assert f"id: {MISKEYED}" in line


def test_non_functioning_distractor_threshold() -> None:
    n = 200
    chosen = np.zeros((n, 3), dtype=bool)
    chosen[:150, 0] = True  # the key
    chosen[150:191, 1] = True  # 20.5%
    chosen[191:200, 2] = True  # 4.5%: below 5%
    scores = np.zeros((n, 2))
    scores[:150, 0] = 1
    scores[:, 1] = np.arange(n) % 2
    from hscourse.assess.analysis import OptionData

    options = [OptionData(t, t == "key", chosen[:, j]) for j, t in enumerate(("key", "b", "c"))]
    items = [ItemData("a", "f", 1, 1.0, "single_choice", options=options),
             ItemData("b", "f", 2, 1.0)]
    flags = analyse("q", items, scores)["items"][0]["flags"]
    assert [f.get("option") for f in flags if f["flag"] == "non-functioning-distractor"] == ["c"]


def test_means_per_objective_and_level(simulated) -> None:
    _root, _grading, items, scores, analysis, _expected = simulated
    by_objective = {o["id"]: o for o in analysis["objectives"]}
    idx = [j for j, i in enumerate(items) if "obj-1" in i.objectives]
    expected = scores[:, idx].sum(axis=1).mean() / sum(items[j].points for j in idx)
    assert by_objective["obj-1"]["mean_percent"] == pytest.approx(100 * expected, abs=1e-9)
    assert {lv["id"] for lv in analysis["levels"]} == {"remember", "apply"}


def _text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_report_and_feedback_pdfs(graded: Path, tmp_path: Path) -> None:
    """The PDFs render (restricted fetcher), carry the flag and the answers, and are
    byte-identical when made twice (the class graded once per run, grade_sim.graded_class,
    then its feedback again here)."""
    report = _text(graded / "report" / "item-analysis.pdf")
    assert "negative-discrimination" in report and "Option 3 of question 2" in report
    expected = [f"feedback/s0000{i}.pdf" for i in range(3)]
    assert sorted(p.relative_to(graded / "one").as_posix()
                  for p in (graded / "one").rglob("feedback/*.pdf")) == expected
    result = grade(graded / "course", graded / "few.csv", "sim", out=tmp_path / "two",
                   options=GradeOptions(pdf=False, feedback=True))
    assert [f for f in result.files if f.startswith("feedback/")] == expected
    assert (result.folder / "feedback" / "s00000.pdf").read_bytes() == (
        graded / "one" / "feedback" / "s00000.pdf").read_bytes()
    sheet = _text(graded / "one" / "feedback" / "s00000.pdf")
    assert "Zhang Min" in sheet and "Correct answer" in sheet and "Because of reason 1." in sheet


def test_moodle_responses_report() -> None:
    course = load_resolved(EXAMPLE)
    quiz = quiz_forms(course, "example")
    grading = read_moodle_responses(read_table(FIXTURES / "moodle-responses.csv"), quiz, course)
    students = {s.student_id: s.points for s in grading.students}
    assert list(students) == ["wei.li@example.edu", "ana.garcia@example.edu",
                              "chidi.okafor@example.edu"]  # the attempt in progress skipped
    assert students["wei.li@example.edu"] == {"ex-q1": 1, "ex-q2": 2, "ex-q3": 1, "ex-q4": 0,
                                              "ex-q6": 3}
    assert students["ana.garcia@example.edu"] == {"ex-q1": 0, "ex-q2": 0, "ex-q3": 0,
                                                  "ex-q4": 0, "ex-q6": 1}
    assert students["chidi.okafor@example.edu"] == {"ex-q1": 1, "ex-q2": 1, "ex-q3": 0,
                                                    "ex-q4": 0, "ex-q6": 3}
    assert set(grading.unmatched) == {("ex-q4", "world bank"), ("ex-q4", "The IMF")}
    assert [i["id"] for i in grading.quiz.items] == ["ex-q1", "ex-q2", "ex-q3", "ex-q4", "ex-q6"]


def test_moodle_report_with_an_unknown_option_is_refused(tmp_path: Path) -> None:
    course = load_resolved(EXAMPLE)
    quiz = quiz_forms(course, "example")
    text = (FIXTURES / "moodle-responses.csv").read_text().replace("In 1960,", "In 1961,", 1)
    with pytest.raises(ContentError, match=r"x.csv:3:\d+: Response 2: item 'ex-q1': 'In 1961'"):
        read_moodle_responses(parse(text, "x.csv"), quiz, course)
