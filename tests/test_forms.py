"""Quiz forms: shuffled versions with keys that match, linked sets, fixed options, the reader."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

from pypdf import PdfReader

from hscourse.build import BuildResult, Options, build
from hscourse.course.forms import make_form
from hscourse.course.model import LETTERS, module_view
from hscourse.course.resolve import load_resolved
from hscourse.render.documents import data_files
from hscourse.render.html import type_label

from conftest import EXAMPLE, copy_course, forms_course, pdf_text, squash

# forms_build (conftest): the example course with a linked set and three forms, built once.


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_outputs_and_manifest_entries(forms_build: tuple[Path, BuildResult]) -> None:
    _, result = forms_build
    kinds = {(o.path, o.kind, o.version) for o in result.outputs}
    for letter in "ABC":
        assert (f"student/example-quiz-{letter}.pdf", "quiz", letter) in kinds
        assert (f"instructor/example-key-{letter}.pdf", "answer-key", letter) in kinds
        assert (f"instructor/example-key-{letter}.csv", "answer-key", letter) in kinds
    assert ("student/reader.pdf", "reader", None) in kinds
    assert ("instructor/reader.pdf", "reader", None) in kinds
    assert ("instructor/example-versions.csv", "version-map", None) in kinds
    assert not any(o.path == "student/example-quiz.pdf" for o in result.outputs)


def test_forms_differ_but_hold_the_same_items(forms_build: tuple[Path, BuildResult]) -> None:
    _, result = forms_build
    orders = [[row["item"] for row in read_csv(result.dist / f"instructor/example-key-{v}.csv")]
              for v in "ABC"]
    assert len({tuple(o) for o in orders}) == 3
    assert all(sorted(o) == sorted(orders[0]) for o in orders)


def expected_answer(original: dict, form_item: dict, choices: list[str] | None) -> list[str]:
    """The texts the key's letters must point at, computed from the unshuffled data."""
    kind = original["type"]
    if kind in ("single_choice", "multiple_answer"):
        return sorted(o["text"] for o in original["options"] if o.get("correct"))
    if kind == "matching":
        return [p["right"] for p in original["pairs"]]
    if kind == "ordering":
        return list(original["correct_order"])
    return []


def key_texts(key: str, form_item: dict, choices: list[str] | None) -> list[str]:
    kind = form_item["type"]
    if kind in ("single_choice", "multiple_answer"):
        return sorted(form_item["options"][LETTERS.index(x)]["text"] for x in key.split(", "))
    if kind == "matching":
        return [choices[LETTERS.index(pair.split("–")[1])] for pair in key.split(", ")]
    if kind == "ordering":
        places = {int(pair.split("–")[1]): pair.split("–")[0] for pair in key.split(", ")}
        return [choices[LETTERS.index(places[n])] for n in sorted(places)]
    return []


def test_every_key_matches_the_data_item_by_item(forms_build: tuple[Path, BuildResult]) -> None:
    root, result = forms_build
    course = load_resolved(root, root / "terms/forms.yaml")
    module = course.modules[0]
    originals = {item["id"]: item for item in module.data["quiz"]}
    seed = "EX 101|forms|example"
    for letter in "ABC":
        form = make_form(module, letter, seed)
        view = module_view(form.module, "student", form.seed)
        rows = read_csv(result.dist / f"instructor/example-key-{letter}.csv")
        key_pdf = squash(pdf_text(result.dist / f"instructor/example-key-{letter}.pdf"))
        quiz_pdf = squash(pdf_text(result.dist / f"student/example-quiz-{letter}.pdf"))
        position = 0
        for number, (row, item, shown) in enumerate(zip(rows, form.module.data["quiz"],
                                                        view["quiz"]), start=1):
            assert row["version"] == letter and int(row["question"]) == number
            assert row["item"] == item["id"]
            original = originals[item["id"]]
            assert key_texts(row["correct"], item, shown.get("choices")) == expected_answer(
                original, item, shown.get("choices"))
            if item["type"] == "true_false":
                assert row["correct"] == str(original["answer"])
            cells = f"{number}{item['id']}{type_label(item['type'])}{row['correct']}"
            assert squash(cells) in key_pdf, (letter, cells)
            # the student form prints the questions, and their options, in the key's order
            position = quiz_pdf.index(squash(item["prompt"]), position)
            for option in item.get("options", []):
                position = quiz_pdf.index(squash(option["text"]), position)


def test_linked_set_stays_together_and_in_order(forms_build: tuple[Path, BuildResult]) -> None:
    _, result = forms_build
    for letter in "ABC":
        items = [row["item"] for row in read_csv(result.dist / f"instructor/example-key-{letter}.csv")]
        assert items.index("ex-s2") == items.index("ex-s1") + 1
        quiz = squash(pdf_text(result.dist / f"student/example-quiz-{letter}.pdf"))
        assert quiz.index(squash("STIMULUS-TEXT")) < quiz.index(squash("LINKED-ONE"))


def test_fixed_option_stays_put() -> None:
    course = load_resolved(EXAMPLE)
    for letter in "ABCDEFGH":
        form = make_form(course.modules[0], letter, "any seed")
        q1 = next(i for i in form.module.data["quiz"] if i["id"] == "ex-q1")
        assert q1["options"][2]["text"] == "None of the above"


def test_true_false_is_not_shuffled() -> None:
    course = load_resolved(EXAMPLE)
    html = make_form(course.modules[0], "B", "seed").module.data
    assert next(i for i in html["quiz"] if i["id"] == "ex-q3")["answer"] is False


def test_every_page_shows_the_form_letter(forms_build: tuple[Path, BuildResult]) -> None:
    _, result = forms_build
    import pypdfium2

    for letter in "ABC":
        document = pypdfium2.PdfDocument(result.dist / f"student/example-quiz-{letter}.pdf")
        assert len(document) >= 2
        for i in range(len(document)):
            assert f"Form {letter}" in document[i].get_textpage().get_text_range()
        document.close()


def test_same_inputs_same_bytes_other_seed_other_forms(forms_build: tuple[Path, BuildResult],
                                                       tmp_path: Path) -> None:
    root, first = forms_build
    term = root / "terms/forms.yaml"
    second = build(root, dist=tmp_path / "two", term=term, options=Options(leak_check=False))
    for entry in first.outputs:
        assert (first.dist / entry.path).read_bytes() == (second.dist / entry.path).read_bytes()
    course = load_resolved(root, term)
    course.set_flags(seed="another seed")  # what `build --seed` does, without rendering
    other = {o.path: data for o, data in data_files(course).items()}
    assert other["instructor/example-key-A.csv"] != (
        first.dist / "instructor/example-key-A.csv").read_bytes()


def test_per_version_pool_never_repeats_within_a_form(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    term = forms_course(root, versions=4, extra="modules:\n  example:\n    pools:\n"
                        "      - {tag: pool, draw: 2, per_version: true}\n")
    course = load_resolved(root, term)
    from hscourse.course.forms import forms_for

    draws = []
    for form in forms_for(course, course.modules[0]):
        ids = [i["id"] for i in form.module.data["quiz"]]
        assert len(ids) == len(set(ids))
        drawn = {i for i in ids if i in ("ex-q2", "ex-q3", "ex-q4")}
        assert len(drawn) == 2
        draws.append(frozenset(drawn))
    assert len(set(draws)) > 1


def test_reader_has_contents_with_page_numbers_and_bookmarks(
        forms_build: tuple[Path, BuildResult]) -> None:
    _, result = forms_build
    for audience in ("student", "instructor"):
        reader = PdfReader(result.dist / f"{audience}/reader.pdf")
        module_start = next(reader.get_destination_page_number(o) for o in reader.outline
                            if not isinstance(o, list) and o.title == "An Example Module")
        contents = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout",
                                   str(result.dist / f"{audience}/reader.pdf"), "-"],
                                  check=True, capture_output=True, text=True).stdout
        entry = re.search(r"1\. An Example Module *\.+ *(\d+)", contents)
        assert entry and int(entry.group(1)) == module_start + 1
        assert any(isinstance(o, list) for o in reader.outline)  # sections under modules
    student = squash(pdf_text(result.dist / "student/reader.pdf"))
    assert squash("EXPLANATION-Q1") not in student and squash("Overview") in student
    assert squash("EXPLANATION-Q1") in squash(pdf_text(result.dist / "instructor/reader.pdf"))
