"""Property-based tests: whatever text a module file holds, loading and validating it ends in a
clean ContentError or a valid module, never another exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hscourse.course.load import load_text
from hscourse.course.validate import invalid_paths, module_errors
from hscourse.errors import ContentError

EXAMPLE_MODULE = (Path(__file__).parent / "fixtures" / "course" / "modules" / "example"
                  / "module.yaml").read_text(encoding="utf-8")
YAML_BITS = ["\n", " ", "  ", "- ", ": ", "? ", "---\n", "...\n", "[", "]", "{", "}", ",", "&a ",
             "*a", "!!str ", "!x ", "|\n", ">-\n", "'", '"', "#", "%YAML 1.1\n", "\t", "\\",
             "\ufeff", "\x85", "\u2028", "\x00", "~", "null", "true", "no", "010", "1:30",
             "2009-04-17", "1e400", "9" * 30, "id", "quiz", "type", "points", "options",
             "correct", "text", "example", "\U0001F600", "中文"]
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def load_and_validate(text: str) -> None:
    """The pipeline up to a model: raises ContentError or returns on a valid module."""
    doc = load_text(text, "modules/example/module.yaml")
    assert isinstance(doc.data, dict)
    problems, invalid = invalid_paths(doc, "module")  # as hscourse.course.project.load_module does
    if () not in invalid:
        problems += module_errors(doc, "example", invalid)
    if problems:
        raise ContentError(problems)


def clean(text: str) -> None:
    try:
        load_and_validate(text)
    except ContentError as exc:
        assert exc.diagnostics
        assert all(d.file == "modules/example/module.yaml" for d in exc.diagnostics)


@FUZZ
@given(st.lists(st.sampled_from(YAML_BITS) | st.text(max_size=8), max_size=60).map("".join))
def test_yaml_like_text(text: str) -> None:
    clean(text)


@FUZZ
@given(st.text(st.characters(exclude_categories=())))
def test_arbitrary_text(text: str) -> None:
    clean(text)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(EXAMPLE_MODULE)), st.integers(0, 6),
                          st.sampled_from(YAML_BITS)), min_size=1, max_size=4))
def test_mutated_example_module(edits: list[tuple[int, int, str]]) -> None:
    """Small edits to a valid module reach the validator's rules, not only the parser."""
    text = EXAMPLE_MODULE
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut:]
    clean(text)


def test_example_module_is_valid() -> None:
    load_and_validate(EXAMPLE_MODULE)
