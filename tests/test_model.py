"""The model's two views and the helpers the editions and keys are built from."""

from __future__ import annotations

import pytest

from hscourse.course.model import answer_key, module_view, secret_texts, seeded_order
from hscourse.course.project import load_course

from conftest import EXAMPLE

MODULE = load_course(EXAMPLE).modules[0]


@pytest.mark.parametrize("n", range(2, 9))
def test_seeded_order_is_a_reproducible_permutation_other_than_the_identity(n: int) -> None:
    order = seeded_order(n, "seed", n)
    assert sorted(order) == list(range(n)) and order != list(range(n))
    assert order == seeded_order(n, "seed", n)
    if n > 2:
        assert any(seeded_order(n, "other", k) != order for k in range(5))


def test_student_view_has_no_instructor_field() -> None:
    view = module_view(MODULE, "student", "s")
    assert "instructor_notes" not in view
    for item in view["quiz"]:
        assert "explanation" not in item
        for field in ("answer", "accepted_answers", "model_answer", "rubric", "pairs",
                      "correct_order", "key"):
            assert field not in item
        for option in item.get("options", []):
            assert set(option) <= {"text", "fixed"}
    for question in view["discussion"]:
        assert set(question) == {"id", "prompt", "follow_ups"}
    assert all("instructor_notes" not in r for r in view["readings"])


def test_matching_and_ordering_students_see_shuffled_entries() -> None:
    view = {i["id"]: i for i in module_view(MODULE, "student", "s")["quiz"]}
    full = {i["id"]: i for i in MODULE.data["quiz"]}
    rights = [p["right"] for p in full["ex-q6"]["pairs"]]
    assert sorted(view["ex-q6"]["choices"]) == sorted(rights) and view["ex-q6"]["choices"] != rights
    assert view["ex-q6"]["left"] == [p["left"] for p in full["ex-q6"]["pairs"]]
    assert sorted(view["ex-q7"]["choices"]) == sorted(full["ex-q7"]["correct_order"])
    assert view["ex-q7"]["choices"] != full["ex-q7"]["correct_order"]


def test_answer_keys_for_every_type() -> None:
    keys = {i["id"]: i["key"] for i in module_view(MODULE, "instructor", "s")["quiz"]}
    assert keys["ex-q1"] == "A" and keys["ex-q2"] == "A, B" and keys["ex-q3"] == "False"
    assert keys["ex-q4"] == "ACCEPTED-World Bank / ACCEPTED-the World Bank"
    assert keys["ex-q5"] == "See the model answer and rubric"
    view = {i["id"]: i for i in module_view(MODULE, "instructor", "s")["quiz"]}
    pairs = [pair.split("–") for pair in keys["ex-q6"].split(", ")]
    for (_number, letter), pair in zip(pairs, MODULE.data["quiz"][5]["pairs"]):
        assert view["ex-q6"]["choices"]["ABC".index(letter)] == pair["right"]
    places = dict(pair.split("–") for pair in keys["ex-q7"].split(", "))
    assert [view["ex-q7"]["choices"]["ABC".index(letter)]
            for letter in sorted(places, key=lambda x: int(places[x]))] == (
        MODULE.data["quiz"][6]["correct_order"])
    assert answer_key(view["ex-q1"]) == "A"


def test_secret_texts_leave_out_what_students_see_anyway() -> None:
    secrets = secret_texts(MODULE)
    assert "EXPLANATION-Q3 most are within states." in secrets
    assert "Lagash–Umma war" not in secrets  # an ordering entry: shown, shuffled
    assert all("MATCH-RIGHT" not in s for s in secrets)
