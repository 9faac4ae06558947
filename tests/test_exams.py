"""Exams across modules (issue 17): draws, points, seeds, reserve, forms and keys, the build's
outputs, print sets and the messages for bad definitions.

The fixture course (tests/fixtures/exams) has three modules of nine items each; its midterm
draws 4 of the core `remember` items of all three modules at 2 points each and adds one fixed
essay, in three forms, and reserves its items; its final draws 3 items by objective and takes
two fixed items at 3 points each.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from hscourse.build import BuildResult
from hscourse.cli import main
from hscourse.course.forms import forms_for, key_rows, make_form
from hscourse.course.model import LETTERS, Course, module_view
from hscourse.course.resolve import load_resolved
from hscourse.formats.lms import export_one
from hscourse.render.printsets import assemble, copies_for

from conftest import REPO, copy_course, pdf_text, replace_once, shared_build

FIXTURE = REPO / "tests" / "fixtures" / "exams"
SECRET = "exam-fixture-secret-0123456789"


@pytest.fixture(scope="module")
def course() -> Course:
    return load_resolved(FIXTURE)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    """The fixture course built once, with print sets (a roster of two; the midterm in 5
    copies, every other quiz in 3) and a chart in the midterm's essay."""
    def make(root: Path) -> Path:
        copy_course(FIXTURE, root)
        (root / "roster.csv").write_text("student_id,name\n20270001,Ada Lovelace\n"
                                         "20270002,Zhang Wei 张伟\n", encoding="utf-8")
        replace_once(root / "course.yaml", "    reserve: true\n",
                     "    reserve: true\n    print_set: true\n    print_copies: 5\n")
        replace_once(root / "course.yaml", "modules: [alpha", "roster: roster.csv\n"
                     "print_set: true\nprint_copies: 3\nmodules: [alpha")
        add_chart(root)
        return root

    return shared_build(tmp_path_factory, "exams", make)


def exam_items(course: Course, exam_id: str) -> list[str]:
    return [item["id"] for item in course.module(f"exam-{exam_id}").data["quiz"]]


def expected_draw(secret: str, public: str, exam: str, part: int, candidates: list[str],
                  count: int) -> list[str]:
    """The draw as docs/exams.md states it, computed here from its parts: HMAC-SHA256 of the
    public seed keyed with the secret, then SHA-256 of (seed, 'exam', exam id, part index)
    seeding Python's Mersenne Twister, `count` drawn, kept in teaching order."""
    seed = hmac.new(secret.encode(), public.encode(), hashlib.sha256).hexdigest()
    rng = random.Random(hashlib.sha256("\x1f".join([seed, "exam", exam, str(part)]).encode())
                        .hexdigest())
    chosen = set(rng.sample(candidates, count))
    return [c for c in candidates if c in chosen]


def test_midterm_draws_from_three_modules_with_points_as_configured(course) -> None:
    midterm = next(e for e in course.exams if e.id == "midterm")
    part_one, part_two = midterm.parts
    candidates = ["a-q1", "a-q3", "a-q8", "b-q1", "b-q3", "b-q8", "g-q1", "g-q3", "g-q8"]
    assert part_one["items"] == expected_draw(SECRET, "EXT 100|", "midterm", 0, candidates, 4)
    assert part_two["items"] == ["g-q9"]
    quiz = {item["id"]: item for item in midterm.module.data["quiz"]}
    assert [quiz[i]["points"] for i in part_one["items"]] == [2, 2, 2, 2]  # part's points
    assert quiz["g-q9"]["points"] == 4  # the essay's own
    assert (part_one["points"], part_two["points"]) == (8, 4)
    assert {quiz[i]["section"] for i in part_one["items"]} == {"Part 1: Multiple choice"}
    final = next(e for e in course.exams if e.id == "final")
    by_objective = ["a-q5", "a-q6", "a-q9", "b-q5", "b-q6", "b-q9"]
    assert final.parts[0]["items"] == expected_draw(SECRET, "EXT 100|", "final", 0,
                                                    by_objective, 3)
    final_quiz = {item["id"]: item for item in final.module.data["quiz"]}
    assert [final_quiz[i]["points"] for i in ("b-q7", "b-q8")] == [3, 3]


def test_same_inputs_same_draw_and_another_secret_another(course, tmp_path) -> None:
    assert exam_items(load_resolved(FIXTURE), "midterm") == exam_items(course, "midterm")
    root = copy_course(FIXTURE, tmp_path / "course")
    draws = set()
    for n in range(4):
        text = (FIXTURE / "course.yaml").read_text(encoding="utf-8")
        (root / "course.yaml").write_text(text.replace(SECRET, f"another-secret-{n:016d}"),
                                          encoding="utf-8")
        draws.add(tuple(exam_items(load_resolved(root), "midterm")))
    assert tuple(exam_items(course, "midterm")) not in draws or len(draws) > 1
    assert len(draws) > 1  # 126 possible draws: four secrets all drawing one is (1/126)^3


def test_reserved_items_are_absent_from_module_quizzes_keys_and_exports(course) -> None:
    reserved = set(exam_items(course, "midterm"))
    in_modules = {item["id"] for m in course.modules for item in m.data["quiz"]}
    assert not reserved & in_modules
    assert len(in_modules) == 27 - len(reserved)
    for fmt in ("csv", "gift"):
        data, _ = export_one(course, fmt)
        assert not {i for i in reserved if re.search(rf"\b{i}\b", data.decode())}, fmt
    from hscourse.formats.data import course_view

    student = course_view(course, "student")  # which items an exam holds is not for students
    assert "exams" not in student["course"] and "exams" in course_view(course, "instructor")[
        "course"]
    # the final is not reserved: its items stay in their module quizzes
    assert set(exam_items(course, "final")) - reserved <= in_modules
    # and the review still reads every item, reserved or not
    from hscourse.assess.review import review_course

    assert sum(len(m.items) for m in review_course(course).modules) == 27


def test_forms_keep_parts_in_order_and_keys_match_them(course) -> None:
    module = course.module("exam-midterm")
    forms = forms_for(course, module)
    assert [f.letter for f in forms] == ["A", "B", "C"]
    orders = [[item["id"] for item in f.module.data["quiz"]] for f in forms]
    assert len(set(map(tuple, orders))) > 1  # shuffled
    for order in orders:
        assert sorted(order) == sorted(exam_items(course, "midterm"))
        assert order[-1] == "g-q9"  # part 2 stays after part 1
    source = {item["id"]: item for item in module.data["quiz"]}
    for form in forms:
        view = module_view(form.module, "student", form.seed)
        for row, item in zip(key_rows(form), view["quiz"]):
            assert row["item"] == item["id"]
            if item["type"] == "single_choice":  # the key's letter is the right text
                right = next(o["text"] for o in source[item["id"]]["options"]
                             if o.get("correct"))
                assert item["options"][LETTERS.index(row["correct"])]["text"] == right
    again = make_form(module, "B", forms[1].seed.rsplit("|", 1)[0])
    assert again.module.data == forms[1].module.data


def test_build_writes_exam_forms_keys_and_sheets(built) -> None:
    root, result = built
    paths = {o.path: o for o in result.outputs}
    for letter in "ABC":
        assert paths[f"student/exam-midterm-{letter}.pdf"].kind == "exam"
        assert paths[f"instructor/exam-midterm-key-{letter}.pdf"].kind == "exam-key"
        assert f"instructor/exam-midterm-key-{letter}.csv" in paths
        assert f"student/answer-sheets/exam-midterm-{letter}.pdf" in paths
    assert "instructor/exam-midterm-versions.csv" in paths
    assert {"student/exam-final.pdf", "instructor/exam-final-key.pdf",
            "instructor/exam-final-key.csv"} <= set(paths)
    assert not any(p.startswith("student/answer-sheets/exam-final") for p in paths)
    text = pdf_text(result.dist / "student/exam-midterm-B.pdf")
    for shown in ("Midterm examination", "1 March 2027", "90 minutes", "Student ID",
                  "Part 1: Multiple choice", "Part 2: Essay", "Form B"):
        assert shown in text, shown
    assert "EXPLAIN-" not in text and "MODEL-GAMMA" not in text and "FEEDBACK-" not in text
    key = list(csv.DictReader(io.StringIO(
        (result.dist / "instructor/exam-midterm-key-B.csv").read_text(encoding="utf-8"))))
    course = load_resolved(root)
    prompts = {i["id"]: i["prompt"].splitlines()[0]  # (the essay's goes on with its chart)
               for i in course.module("exam-midterm").data["quiz"]}
    reader = PdfReader(result.dist / "student/exam-midterm-B.pdf")
    body = " ".join(" ".join(page.extract_text().split()) for page in reader.pages[1:])
    positions = [body.find(prompts[row["item"]]) for row in key]
    assert -1 not in positions and positions == sorted(positions)  # printed in key order
    assert sum(float(row["points"]) for row in key) == 12
    cover = " ".join(reader.pages[0].extract_text().split())
    assert "Question 1" not in cover  # the cover is a page of its own


def test_grading_reads_an_exam_like_a_quiz(course) -> None:
    from hscourse.assess.grade import quiz_forms

    forms = quiz_forms(course, "exam-midterm")
    assert sorted(forms.forms) == ["A", "B", "C"]
    for questions in forms.forms.values():
        assert len(questions) == 5
    # item analysis points at each item's own module file and line
    lines = (FIXTURE / "modules/gamma/module.yaml").read_text(encoding="utf-8").splitlines()
    line = lines.index("  - id: g-q9") + 1
    assert forms.module.locations["g-q9"] == ("modules/gamma/module.yaml", line)


BAD = [
    ("modules: [alpha, beta, gamma]\n        tags: [core]\n        levels: [remember]",
     "modules: [alpha, betta, gamma]\n        tags: [core]\n        levels: [remember]",
     "course.yaml:23:26: exams[0].parts[0].modules[1]: module 'betta' is not taught in this "
     "course; did you mean 'beta'?"),
    ("items: [g-q9]", "items: [a-q9]",
     "course.yaml:30:17: exams[0].parts[1].items[0]: no quiz item 'a-q9' in module(s) "
     "'gamma'; it is in module 'alpha': add that module to the part's modules"),
    ("tags: [core]", "tags: [cor]",
     "course.yaml:24:16: exams[0].parts[0].tags[0]: no item tagged 'cor' in module(s) "
     "'alpha', 'beta', 'gamma'; did you mean 'core'?"),
    ("draw: 4", "draw: 10",
     "course.yaml:26:15: exams[0].parts[0].draw: cannot take 10 item(s): 9 item(s) of "
     "module(s) alpha, beta, gamma match (tags, levels) and are not in an earlier part; "
     "lower `draw` or widen the part"),
    ("objectives: [a-o2, b-o2]", "objectives: [a-o3, b-o2]",
     "course.yaml:38:22: exams[1].parts[0].objectives[0]: no objective 'a-o3' in module(s) "
     "'alpha', 'beta', 'gamma'; did you mean 'a-o2' or 'a-o1'?"),
    ("  - id: final", "  - id: midterm",
     "course.yaml:31:9: exams[1].id: exam 'midterm' is defined twice"),
    ("    duration: 90", "    duration: ninety",
     "course.yaml:16:15: exams[0].duration: expected a whole number, got 'ninety'"),
]


@pytest.mark.parametrize("old,new,message", BAD, ids=[b[1].split(":")[0] for b in BAD])
def test_bad_exam_definitions_are_reported_with_file_and_line(tmp_path, old, new,
                                                              message) -> None:
    root = copy_course(FIXTURE, tmp_path / "course")
    replace_once(root / "course.yaml", old, new)
    result = CliRunner().invoke(main, ["check", "-p", str(root)])
    assert result.exit_code == 1, result.output
    assert f"error: {message}" in result.output


def test_config_explain_and_diff_show_exams(tmp_path) -> None:
    result = CliRunner().invoke(main, ["config", "-p", str(FIXTURE), "--explain"])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if x.startswith("exams.midterm"))
    assert "Midterm examination: 2 parts, 5 items" in line and "(course.yaml:13)" in line
    root = copy_course(FIXTURE, tmp_path / "course")
    (root / "terms").mkdir()
    (root / "terms/a.yaml").write_text("term: A\n", encoding="utf-8")
    (root / "terms/b.yaml").write_text("term: B\nexams:\n  - id: quiz-week\n    title: Week"
                                       "\n    parts:\n      - modules: [beta]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", "-p", str(root), "terms/a.yaml", "terms/b.yaml"])
    assert "exam midterm only in the first" in result.output
    assert "exam quiz-week only in the second" in result.output


def add_chart(root: Path) -> None:
    """An image in the prompt of the midterm's essay (students see it) and one in its model
    answer (an answer: never on a student page)."""
    from PIL import Image

    Image.new("RGB", (120, 60), (200, 60, 60)).save(root / "modules/gamma/chart.png")
    Image.new("RGB", (80, 40), (20, 120, 20)).save(root / "modules/gamma/worked.png")
    module = root / "modules/gamma/module.yaml"
    replace_once(module, "    prompt: Assess the claim that harvests make people insecure.",
                 "    prompt: |\n      Assess the claim, using the chart.\n\n"
                 "      ![A bar chart of harvests](chart.png)")
    replace_once(module, "    model_answer: MODEL-GAMMA weighs the evidence on both sides.",
                 "    model_answer: |\n      MODEL-GAMMA weighs the evidence.\n\n"
                 "      ![A worked answer](worked.png)")


def test_print_sets_deal_forms_pad_each_copy_and_name_the_covers(built) -> None:
    root, result = built
    dist = result.dist
    # the essay's chart, from modules/gamma/, is printed on the exam; its model answer's not
    for letter in "AB":
        reader = PdfReader(dist / f"student/exam-midterm-{letter}.pdf")
        assert {i.image.size for page in reader.pages for i in page.images} == {(120, 60)}
    printed = dist / "instructor/print-sets/exam-midterm.pdf"
    forms = {letter: PdfReader(dist / f"student/exam-midterm-{letter}.pdf") for letter in "ABC"}
    pages = {letter: len(reader.pages) for letter, reader in forms.items()}
    padded = {letter: n + n % 2 for letter, n in pages.items()}
    whole = PdfReader(printed)
    dealt = ["A", "B", "C", "A", "B"]
    assert len(whole.pages) == sum(padded[f] for f in dealt)
    start = 0
    for n, letter in enumerate(dealt):
        first = " ".join(whole.pages[start].extract_text().split())
        assert f"Form {letter}" in first
        assert ("Ada Lovelace" in first) == (n == 0) and ("20270002" in first) == (n == 1)
        if pages[letter] % 2:  # the padding page is blank
            assert whole.pages[start + padded[letter] - 1].extract_text().strip() == ""
        start += padded[letter]
    module_quiz = len(PdfReader(dist / "student/alpha-quiz.pdf").pages)  # one version
    module_set = PdfReader(dist / "instructor/print-sets/alpha.pdf")
    assert len(module_set.pages) == 3 * (module_quiz + module_quiz % 2)
    assert "Ada Lovelace" not in module_set.pages[0].extract_text()  # no name box to fill
    final = PdfReader(dist / "instructor/print-sets/exam-final.pdf")  # the course's 3 copies
    final_pages = len(PdfReader(dist / "student/exam-final.pdf").pages)
    assert len(final.pages) == 3 * (final_pages + final_pages % 2)
    entry = next(o for o in result.outputs if o.path.endswith("print-sets/exam-midterm.pdf"))
    assert entry.audience == "instructor"  # it holds the roster's names: private
    assert (printed.stat().st_mode & 0o777) == 0o600
    again = assemble([(dist / f"student/exam-midterm-{x}.pdf").read_bytes() for x in "ABC"],
                     copies_for(load_resolved(root), load_resolved(root).module("exam-midterm")),
                     (dist / "instructor/print-sets/exam-midterm-names.pdf").read_bytes(),
                     "Midterm examination")
    assert again == printed.read_bytes()  # the same inputs give the same bytes


def test_form_labels_go_on_after_z() -> None:
    from hscourse.course.forms import form_label

    labels = [form_label(i) for i in range(30)]
    assert labels[:3] == ["A", "B", "C"] and labels[25:29] == ["Z", "AA", "AB", "AC"]
    assert form_label(26 + 26 * 26 - 1) == "ZZ" and form_label(26 + 26 * 26) == "AAA"


def test_a_changed_roster_is_a_changed_input(tmp_path) -> None:
    from hscourse import stamp

    root = copy_course(FIXTURE, tmp_path / "course")
    replace_once(root / "course.yaml", "modules: [alpha", "roster: roster.csv\nmodules: [alpha")
    roster = root / "roster.csv"
    roster.write_text("student_id,name\n1,Ada\n", encoding="utf-8")
    before = stamp.inputs(root, None, "")
    assert stamp.inputs(root, None, "") == before
    roster.write_text("student_id,name\n1,Ada\n2,Grace\n", encoding="utf-8")
    assert stamp.inputs(root, None, "") != before  # the print set's names would change


def test_the_leak_check_knows_the_answers_of_reserved_items(course) -> None:
    from hscourse.render.secrets import needles_for

    assert "g-q9" not in {i["id"] for m in course.modules for i in m.data["quiz"]}
    needles = needles_for(course)
    hits = needles.found_in("A copy says MODEL-GAMMA weighs the evidence on both sides.")
    secret = next(s for s in hits if s.module == "gamma")  # the reserved essay's model answer
    assert secret.text == "MODEL-GAMMA weighs the evidence on both sides."
    assert needles.places[secret].file == "modules/gamma/module.yaml"
    assert not needles.found_in("Answer every question. Write your name and student ID.")


def test_a_print_set_without_a_class_size_is_refused_before_rendering(tmp_path) -> None:
    root = copy_course(FIXTURE, tmp_path / "course")
    replace_once(root / "course.yaml", "    answer_sheets: true\n",
                 "    answer_sheets: true\n    print_set: true\n")
    result = CliRunner().invoke(main, ["build", "-p", str(root)])
    assert result.exit_code == 1
    assert ("error: course.yaml:20:16: exams[0].print_set: a print set of 'exam-midterm' needs "
            "the class size: add `print_copies: N`, or a `roster` CSV (student_id, name)"
            ) in result.output
    assert not (root / "dist").exists() or not any((root / "dist").rglob("*.pdf"))
