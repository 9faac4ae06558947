"""hscourse grade: scoring per form, the scoring rules, bad input, the private grades folder."""

from __future__ import annotations

import csv
import io
import itertools
import json
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hscourse.assess.grade import (
    Settings,
    grade_table,
    multiple_answer_fraction,
    normalise,
    quiz_forms,
)
from hscourse.assess.report import GradeOptions, grade, item_data
from hscourse.assess.responses import parse, read_table
from hscourse.cli import main
from hscourse.course.model import LETTERS
from hscourse.course.resolve import load_resolved
from hscourse.errors import ContentError
from hscourse.formats.moodle.write import export_moodle

from grade_sim import _answer, make_course, simulate

FAST = GradeOptions(pdf=False)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    root = make_course(tmp_path_factory.mktemp("grade") / "course", items=14, versions=3)
    course = load_resolved(root)
    return root, course, quiz_forms(course, "sim")


def table(text: str, name: str = "responses.csv"):
    return parse(text, name)


def header(quiz) -> str:
    return "student_id,name,form," + ",".join(str(n) for n in range(1, quiz.question_count() + 1))


def test_simulated_answers_score_as_expected(sim) -> None:
    _root, _course, quiz = sim
    data, expected = simulate(quiz, 150, seed=3)
    grading = grade_table(table(data.decode()), quiz)
    _items, scores = item_data(grading)
    assert np.allclose(scores, np.round(expected, 4), atol=1e-12)


def test_forms_of_the_same_answers_give_identical_scores(sim) -> None:
    """The same decisions written on forms A, B and C (different letters) score the same."""
    _root, _course, quiz = sim
    lines = [header(quiz)]
    for student in range(30):
        for letter in quiz.letters:
            cells = []
            for q in quiz.forms[letter]:
                seed = (student, sorted(i["id"] for i in quiz.items).index(q.item["id"]))
                rng = np.random.default_rng(list(seed))
                right = bool(rng.random() < 0.6)
                cells.append(_answer(q, right, rng, False)[0])
            lines.append(",".join([f"{letter}{student}", "x", letter] + cells))
    grading = grade_table(table("\n".join(lines)), quiz)
    by_student: dict[int, list[dict[str, float]]] = {}
    for s in grading.students:
        by_student.setdefault(int(s.student_id[1:]), []).append(s.points)
    for points in by_student.values():
        assert points[0] == points[1] == points[2]
    written = {letter: [r.split(",")[3:] for r in lines[1:] if r.split(",")[2] == letter]
               for letter in quiz.letters}
    assert written["A"] != written["B"] != written["C"]  # the forms really differ


def test_multiple_answer_credit_matches_the_moodle_export(sim) -> None:
    """Every subset of options scores what Moodle would with the fractions hscourse exports."""
    _root, course, quiz = sim
    xml, _ = export_moodle(course)
    questions = {q.findtext("idnumber"): q for q in ET.fromstring(xml).iter("question")}
    items = [i for i in quiz.items if i["type"] == "multiple_answer"]
    items.append({"options": [{"correct": True}] * 3 + [{}] * 2})  # 3 of 5: 33.33333 each
    checked = 0
    for item in items:
        n = len(item["options"])
        if "id" in item:
            fractions = [float(a.get("fraction")) for a in questions[item["id"]].iter("answer")]
        else:
            fractions = [33.33333] * 3 + [-50.0] * 2
        for size in range(n + 1):
            for chosen in itertools.combinations(range(n), size):
                moodle = min(max(sum(fractions[i] for i in chosen), 0), 100) / 100
                assert multiple_answer_fraction(item, chosen) == pytest.approx(moodle, abs=1e-12)
                checked += 1
    assert checked >= 16


def _one(quiz, letter: str, answers: dict[str, str]) -> str:
    """A row for form `letter` with answers given per item id."""
    cells = [answers.get(q.item["id"], "") for q in quiz.forms[letter]]
    return ",".join(["s1", "A Student", letter] + [f'"{c}"' for c in cells])


def _letter_of(quiz, letter: str, item_id: str, original: int) -> str:
    q = next(q for q in quiz.forms[letter] if q.item["id"] == item_id)
    return LETTERS[q.original.index(original)]


def test_scoring_rules(sim) -> None:
    _root, _course, quiz = sim
    q = {i["type"]: i for i in reversed(quiz.items)}
    form = "B"
    match = next(x for x in quiz.forms[form] if x.item["type"] == "matching").item
    order = next(x for x in quiz.forms[form] if x.item["type"] == "ordering").item
    right_pairs = [f"{n + 1}{LETTERS[match['choices'].index(p['right'])]}"
                   for n, p in enumerate(match["pairs"])]
    first_wrong = right_pairs[0][0] + right_pairs[1][1]
    places = [LETTERS[order["choices"].index(e)] for e in order["correct_order"]]
    answers = {
        q["single_choice"]["id"]: _letter_of(quiz, form, q["single_choice"]["id"], 0),
        q["multiple_answer"]["id"]: _letter_of(quiz, form, q["multiple_answer"]["id"], 0),
        q["true_false"]["id"]: "t" if q["true_false"]["answer"] else "F",
        q["short_answer"]["id"]: "  reply " + q["short_answer"]["id"][-2:].lstrip("0") + "!",
        match["id"]: f"{first_wrong} {right_pairs[2]}",  # 1 of 3 pairs right
        order["id"]: places[1] + places[0] + "".join(places[2:]),  # 2 of 4 places
        q["essay"]["id"]: "1,5",
    }
    student = grade_table(table(header(quiz) + "\n" + _one(quiz, form, answers)),
                          quiz).students[0]
    points = student.points
    assert points[q["single_choice"]["id"]] == 1
    assert points[q["multiple_answer"]["id"]] == 0.5  # one of two correct: 50%
    assert points[q["true_false"]["id"]] == 1
    assert points[q["short_answer"]["id"]] == 1  # "Reply-N": case, spacing, punctuation
    assert points[match["id"]] == round(1 / 3, 4)
    assert points[order["id"]] == 0.5
    assert points[q["essay"]["id"]] == 1.5


def test_negative_marking_all_or_nothing_and_two_letters(sim) -> None:
    _root, _course, quiz = sim
    sc, ma = (next(i for i in quiz.items if i["type"] == t) for t in ("single_choice",
                                                                         "multiple_answer"))
    wrong = _letter_of(quiz, "A", sc["id"], 1)
    half = _letter_of(quiz, "A", ma["id"], 0)
    row = _one(quiz, "A", {sc["id"]: wrong, ma["id"]: half})
    text = header(quiz) + "\n" + row
    plain = grade_table(table(text), quiz).students[0].points
    marked = grade_table(table(text), quiz, Settings(negative_marking=True,
                                                     all_or_nothing=True)).students[0].points
    assert plain[sc["id"]] == 0 and marked[sc["id"]] == round(-1 / 3, 4)
    assert plain[ma["id"]] == 0.5 and marked[ma["id"]] == 0
    two = _one(quiz, "A", {sc["id"]: wrong + _letter_of(quiz, "A", sc["id"], 0)})
    grading = grade_table(table(header(quiz) + "\n" + two), quiz)
    assert grading.students[0].points[sc["id"]] == 0
    assert len(grading.notes) == 1 and "two or more letters" in grading.notes[0].message
    assert grading.notes[0].line == 2


def test_short_answers_unmatched_and_overrides(sim, tmp_path: Path) -> None:
    root, _course, quiz = sim
    sa = next(i for i in quiz.items if i["type"] == "short_answer")
    responses = tmp_path / "r.csv"
    responses.write_text(header(quiz) + "\n" + _one(quiz, "C", {sa["id"]: "Something else"}))
    result = grade(root, responses, "sim", out=tmp_path / "g1", options=FAST)
    assert result.grading.unmatched == {(sa["id"], "Something else"): ["s1"]}
    unmatched = (tmp_path / "g1" / "unmatched-answers.csv").read_text()
    assert f"{sa['id']},Something else,1,s1" in unmatched
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(f"item,answer\n{sa['id']},something   ELSE.\n")
    result = grade(root, responses, "sim", out=tmp_path / "g2", options=FAST,
                   overrides=overrides)
    assert result.grading.students[0].points[sa["id"]] == 1 and not result.grading.unmatched


def test_normalise() -> None:
    assert normalise("  The World-Bank. ") == normalise("the world bank") == "theworldbank"


def _errors(text: str, quiz) -> list[str]:
    with pytest.raises(ContentError) as caught:
        grade_table(table(text), quiz)
    return [str(d) for d in caught.value.diagnostics]


def test_bad_input_is_located_by_row_and_column(sim) -> None:
    _root, _course, quiz = sim
    sc = next(i for i in quiz.items if i["type"] == "single_choice")
    essay = next(i for i in quiz.items if i["type"] == "essay")
    n = quiz.question_count()
    rows = [header(quiz),
            "s1,a,D" + "," * n,
            "s2,b,A," + ",".join("Z" if q.item["id"] == sc["id"] else "" for q in quiz.forms["A"]),
            "s2,c,A" + "," * n,
            "s3,d,B," + ",".join("9" if q.item["id"] == essay["id"] else ""
                                 for q in quiz.forms["B"])]
    errors = _errors("\n".join(rows), quiz)
    sc_column = 3 + next(q.number for q in quiz.forms["A"] if q.item["id"] == sc["id"])
    essay_column = 3 + next(q.number for q in quiz.forms["B"] if q.item["id"] == essay["id"])
    assert any(e.startswith("responses.csv:2:3: form: unknown form 'D'") for e in errors)
    assert any(e.startswith(f"responses.csv:3:{sc_column}:") and "'Z' is not an option" in e
               for e in errors)
    assert any(e.startswith("responses.csv:4:1:") and "also on row 3" in e for e in errors)
    assert any(e.startswith(f"responses.csv:5:{essay_column}:") and "worth 0–2" in e
               for e in errors)


def test_header_problems(sim) -> None:
    _root, _course, quiz = sim
    n = quiz.question_count()
    missing = header(quiz).rsplit(",", 1)[0]
    assert any(f"missing question column(s) {n}" in e for e in _errors(missing + "\n", quiz))
    extra = header(quiz) + f",{n + 1},notes"
    errors = _errors(extra + "\n", quiz)
    assert any(f":1:{n + 4}:" in e and "another quiz" in e for e in errors)
    assert any(f":1:{n + 5}:" in e and "unknown column 'notes'" in e for e in errors)


def test_european_excel_csv_is_read_and_other_encodings_named(sim, tmp_path: Path) -> None:
    _root, _course, quiz = sim
    data, _ = simulate(quiz, 20, seed=5)
    comma = grade_table(parse(data.decode(), "x"), quiz)
    rows = list(csv.reader(io.StringIO(data.decode())))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    european = tmp_path / "excel.csv"
    european.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    semicolons = grade_table(read_table(european), quiz)
    assert [s.points for s in semicolons.students] == [s.points for s in comma.students]
    latin = tmp_path / "latin.csv"
    latin.write_bytes((header(quiz) + "\ns1,Zoë,A\n").encode("cp1252"))
    with pytest.raises(ContentError, match=r"latin.csv:2:\d+: .*Windows-1252"):
        read_table(latin)
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes((header(quiz) + "\n").encode("utf-16"))
    with pytest.raises(ContentError, match="UTF-16"):
        read_table(utf16)


def test_nothing_is_written_on_bad_input(sim, tmp_path: Path) -> None:
    root, _course, quiz = sim
    bad = tmp_path / "bad.csv"
    bad.write_text(header(quiz) + "\ns1,a,Q" + "," * quiz.question_count() + "\n")
    with pytest.raises(ContentError):
        grade(root, bad, "sim", out=tmp_path / "grades" / "sim", options=FAST)
    assert not (tmp_path / "grades").exists()


def test_grades_are_private_and_gradebooks_parse(sim, tmp_path: Path) -> None:
    root, _course, quiz = sim
    data, expected = simulate(quiz, 40, seed=9)
    responses = tmp_path / "r.csv"
    responses.write_bytes(data)
    result = grade(root, responses, "sim", options=FAST)
    folder = root / "dist" / "grades" / "sim"
    assert result.folder == folder.resolve()
    for path in (folder, folder.parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    totals = dict(zip((f"s{i:05d}" for i in range(40)), np.round(expected.sum(axis=1), 2)))
    max_points = result.analysis["summary"]["max_points"]
    # Moodle: a header row naming the columns; users matched on "ID number"; grades numeric.
    moodle = list(csv.DictReader(io.StringIO((folder / "gradebook-moodle.csv").read_text())))
    column = "Simulated Quiz quiz (Real)"
    assert {r["ID number"]: float(r[column]) for r in moodle} == pytest.approx(totals)
    # Canvas: Student, ID, SIS User ID, SIS Login ID, Section, then the assignment; the second
    # row gives the points possible.
    canvas = list(csv.reader(io.StringIO((folder / "gradebook-canvas.csv").read_text())))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0].strip() == "Points Possible" and float(canvas[1][5]) == max_points
    assert {r[2]: float(r[5]) for r in canvas[2:]} == pytest.approx(totals)
    scores = list(csv.DictReader(io.StringIO((folder / "scores.csv").read_text())))
    assert list(scores[0])[3:-2] == [i["id"] for i in quiz.items]
    assert float(scores[0]["percent"]) == pytest.approx(100 * expected[0].sum() / max_points,
                                                        abs=0.006)


def test_build_writes_responses_templates_for_instructors_only(sim) -> None:
    _root, course, quiz = sim
    from hscourse.render.documents import data_files

    files = data_files(course)
    templates = {o.path: (o, d) for o, d in files.items() if o.kind == "responses-template"}
    assert sorted(templates) == [f"instructor/sim-responses-template-{x}.csv" for x in "ABC"]
    for entry, data in templates.values():
        assert entry.audience == "instructor"
        assert data.decode().strip() == header(quiz)


def test_cli_grade(sim, tmp_path: Path) -> None:
    root, _course, quiz = sim
    data, _ = simulate(quiz, 12, seed=2)
    responses = tmp_path / "r.csv"
    responses.write_bytes(data)
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(main, ["grade", str(responses), "--quiz", "sim", "-p", str(root),
                                  "-o", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert "Graded 12 students" in result.stdout
    assert json.loads((out / "item-analysis.json").read_text())["students"] == 12
    responses.write_text(header(quiz) + "\ns1,a,A," + "Q" + "," * (quiz.question_count() - 1))
    result = runner.invoke(main, ["grade", str(responses), "--quiz", "sim", "-p", str(root),
                                  "-o", str(tmp_path / "out2")])
    assert result.exit_code == 1 and f"{responses}:2:4:" in result.stderr
    assert not (tmp_path / "out2").exists()
    result = runner.invoke(main, ["grade", str(responses), "--quiz", "nosuch", "-p", str(root)])
    assert result.exit_code == 1 and "no quiz 'nosuch'" in result.stderr


def test_rubric_columns_are_added_up(sim) -> None:
    _root, _course, quiz = sim
    number = next(q.number for q in quiz.forms["A"] if q.item["type"] == "essay")
    essay = next(q.item["id"] for q in quiz.forms["A"] if q.number == number)
    other = next(f for f in quiz.letters if quiz.forms[f][number - 1].item["type"] != "essay")
    head = header(quiz) + f",{number}.1,{number}.2\n"
    blank = "," * quiz.question_count()
    student = grade_table(table(head + f"s1,a,A{blank},1,0.5\n"), quiz).students[0]
    assert student.points[essay] == 1.5
    errors = _errors(head + f"s1,a,{other}{blank},1,0.5\n", quiz)
    assert any(f"not an essay on form {other}" in e for e in errors)
    errors = _errors(head + f"s1,a,A{blank},1.5,0\n", quiz)  # criterion 1 is worth 1
    column = quiz.question_count() + 4  # the N.1 column
    assert any(f":2:{column}:" in e and "rubric criterion 1, which is worth 0–1" in e
               for e in errors)


def test_grades_stay_out_of_builds_and_student_outputs(tmp_path: Path) -> None:
    """A build lists no grades in its manifest, leaves grades/ alone, and no student output
    holds a student's name or id."""
    from hscourse.build import Options, build

    root = make_course(tmp_path / "course", items=4, versions=1,
                       kinds=("single_choice", "true_false"))
    build(root, options=Options(jobs=1))
    template = root / "dist" / "instructor" / "sim-responses-template.csv"
    assert template.read_text().strip() == "student_id,name,form,1,2,3,4"
    responses = tmp_path / "r.csv"
    responses.write_text(template.read_text() + "SECRET-ID-1,Secret Student,,A,T,B,\n")
    result = grade(root, responses, "sim", options=FAST)
    assert result.grading.students[0].points == {"sim-q01": 1, "sim-q02": 1, "sim-q03": 0,
                                                 "sim-q04": 0}  # q02 is true, q03 false
    build(root, options=Options(jobs=1, force=True))
    assert (result.folder / "scores.csv").is_file()
    manifest = (root / "dist" / "manifest.json").read_text()
    assert "grades/" not in manifest and "SECRET" not in manifest
    for path in (root / "dist" / "student").iterdir():
        assert b"SECRET" not in path.read_bytes()


def test_a_regrade_replaces_the_files_of_the_last_run(sim, tmp_path: Path) -> None:
    root, _course, quiz = sim
    data, _ = simulate(quiz, 5, seed=4)
    responses = tmp_path / "r.csv"
    responses.write_bytes(data)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.csv").write_text("the instructor's own file\n")
    (out / "item-analysis.pdf").write_bytes(b"an earlier report")
    grade(root, responses, "sim", out=out, options=FAST)
    assert not (out / "item-analysis.pdf").exists()  # --no-pdf: the old report is gone
    assert (out / "notes.csv").read_text() == "the instructor's own file\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    before = stat.S_IMODE(tmp_path.stat().st_mode)
    grade(root, responses, "sim", out=out, options=FAST)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == before  # -o: only that folder is made private


def test_items_drawn_per_form_are_scored_but_not_analysed(tmp_path: Path) -> None:
    """With a pool drawn anew for every form, an item some forms lack is scored where it was
    printed and left out of the item analysis (its statistics would count absences as 0)."""
    import yaml

    root = make_course(tmp_path / "course", items=8, versions=3,
                       kinds=("single_choice", "true_false"))
    module = root / "modules" / "sim" / "module.yaml"
    data = yaml.safe_load(module.read_text())
    for item in data["quiz"][4:]:
        item["tags"] = ["extra"]
    module.write_text(yaml.safe_dump(data, sort_keys=False))
    term = root / "terms" / "t.yaml"
    term.parent.mkdir()
    term.write_text("modules:\n  sim:\n    pools:\n      - {tag: extra, draw: 2, "
                    "per_version: true}\n")
    quiz = quiz_forms(load_resolved(root, term), "sim")
    printed = [{q.item["id"] for q in qs} for qs in quiz.forms.values()]
    assert len({frozenset(p) for p in printed}) > 1 and quiz.question_count() == 6
    data_csv, expected = simulate(quiz, 30, seed=6)
    responses = tmp_path / "r.csv"
    responses.write_bytes(data_csv)
    result = grade(root, responses, "sim", term=term, options=FAST)
    everywhere = set.intersection(*printed)
    assert {i["id"] for i in result.analysis["items"]} == everywhere
    assert set(result.analysis["not_analysed"]) == {i["id"] for i in quiz.items} - everywhere
    assert set.union(*printed) - everywhere  # some drawn items are really left out
    totals = [s.total for s in result.grading.students]
    assert totals == pytest.approx(list(np.round(expected.sum(axis=1), 4)))
    assert (root / "dist" / "t" / "grades" / "sim" / "scores.csv").is_file()


def test_feedback_pdfs_for_a_class_render_in_parallel(sim, tmp_path: Path) -> None:
    """Four or more feedback sheets go through the render workers: one PDF per student,
    written only under the private grades folder."""
    root, _course, quiz = sim
    data, _ = simulate(quiz, 5, seed=4)
    responses = tmp_path / "r.csv"
    responses.write_bytes(data)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", str(responses), "--quiz", "sim", "-p", str(root),
                                       "-o", str(out), "--feedback", "--no-pdf"])
    assert result.exit_code == 0, result.output
    sheets = sorted(p for p in out.rglob("*.pdf"))
    assert len(sheets) == 5 and all(p.read_bytes().startswith(b"%PDF") for p in sheets)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in sheets)
