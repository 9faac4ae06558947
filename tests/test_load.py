"""The strict loader: what YAML may hold, and the exact message for what it may not."""

from __future__ import annotations

import pytest

from hscourse.course.load import load_text
from hscourse.errors import ContentError


def errors(text: str) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_text(text, "m.yaml")
    return [str(d) for d in caught.value.diagnostics]


def test_ambiguous_scalars_stay_text() -> None:
    doc = load_text("a: no\nb: on\nc: 1:30\nd: 010\ne: 2009-04-17\nf: yes\ng: 0x1F\n", "m.yaml")
    assert doc.data == {"a": "no", "b": "on", "c": "1:30", "d": "010", "e": "2009-04-17",
                        "f": "yes", "g": "0x1F"}


def test_plain_numbers_booleans_and_nulls() -> None:
    doc = load_text("a: 3\nb: -2\nc: 1.5\nd: true\ne: false\nf: ~\ng: null\nh: '3'\n", "m.yaml")
    assert doc.data == {"a": 3, "b": -2, "c": 1.5, "d": True, "e": False, "f": None,
                        "g": None, "h": "3"}


def test_positions_are_kept_for_values_and_keys() -> None:
    doc = load_text("title: x\nquiz:\n  - id: q1\n    points: 2\n", "m.yaml")
    assert doc.where(("quiz", 0, "points")) == (4, 13)
    assert doc.where(("quiz", 0, "points"), key=True) == (4, 5)
    assert doc.where(("quiz", 0, "missing")) == (3, 5)


def test_duplicate_key() -> None:
    assert errors("a: 1\nb: 2\na: 3\n") == ["m.yaml:3:1: a: duplicate key 'a'"]


def test_duplicate_key_first_value_is_not_overwritten_silently() -> None:
    assert errors("x:\n  a: 1\n  a: 2\n") == ["m.yaml:3:3: x.a: duplicate key 'a'"]


def test_anchor_and_alias() -> None:
    assert errors("a: &x [1]\nb: *x\n") == ["m.yaml:1:4: a: anchors (&x) are not allowed"]
    assert errors("b: *x\n") != []


def test_custom_tags() -> None:
    assert errors("a: !!python/object x\n") == [
        "m.yaml:1:4: a: tags (tag:yaml.org,2002:python/object) are not allowed"]
    assert errors("a: !include other.yaml\n") == [
        "m.yaml:1:4: a: tags (!include) are not allowed; to start text with '!', put the whole "
        "text in quotes"]


def test_non_text_keys() -> None:
    assert errors("1: a\n") == ["m.yaml:1:1: a key must be text, got 1; quote it"]
    assert errors("? [a]\n: b\n") == ["m.yaml:1:3: a key must be plain text, not a list or mapping"]


def test_several_documents() -> None:
    assert errors("a: 1\n---\nb: 2\n") == [
        "m.yaml:2:1: a course file holds one YAML document; remove the second '---'"]


def test_top_level_must_be_a_mapping() -> None:
    expected = ["m.yaml:1:1: expected a mapping of fields (name: value) at the top of the file"]
    assert errors("- a\n") == expected
    assert errors("just text\n") == expected


def test_empty_file_is_called_empty() -> None:
    expected = ["m.yaml:1:1: the file is empty (or holds only comments); write its fields, one "
                "name: value a line"]
    assert errors("") == errors("# nothing yet\n\n") == errors("---\n") == expected


def test_tab_indentation() -> None:
    assert errors("a:\n\tb: 1\n") == ["m.yaml:2:1: YAML syntax: a tab character; indent with spaces"]


def test_deep_nesting_is_refused_without_recursion() -> None:
    assert errors("a: " + "[" * 100 + "]" * 100)[0].endswith("nested more than 40 levels deep")
    assert errors("a: " + "[" * 10000 + "]" * 10000)[0].endswith("nested more than 40 levels deep")


def test_syntax_error_names_line() -> None:
    assert errors("a: [1, 2\nb: 3\n") == [
        "m.yaml:1:4: the [ opened on line 1 is not closed with ], or holds a ',' or ':' it "
        "cannot; if this is text, not a list, put it in quotes"]
