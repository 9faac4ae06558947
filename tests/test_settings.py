"""Typed settings: one class, named and defaulted by the schema, resolved once with the flags."""

from __future__ import annotations

import dataclasses

from click.testing import CliRunner

from hscourse.cli import main
from hscourse.course.resolve import load_resolved
from hscourse.course.settings import SETTING_SCHEMAS, Settings

from conftest import EXAMPLE

SPRING = EXAMPLE / "terms" / "2027-spring.yaml"


def test_the_settings_class_lists_exactly_the_schemas_settings() -> None:
    assert {f.name for f in dataclasses.fields(Settings)} == set(SETTING_SCHEMAS)


def test_every_default_is_the_schemas() -> None:
    defaults = Settings(title="t", code="c", language="en", paper="A4", modules=("m",)).values()
    for name, schema in SETTING_SCHEMAS.items():
        if "default" in schema:
            assert defaults[name] == schema["default"], name
        for field, sub in schema.get("properties", {}).items():
            if "default" in sub:
                assert defaults[name][field] == sub["default"], f"{name}.{field}"


def test_the_resolved_course_has_typed_values() -> None:
    settings = load_resolved(EXAMPLE, SPRING).settings
    assert isinstance(settings.modules, tuple) and settings.modules
    assert settings.render_limits.seconds > 0 and settings.answer_sheet.id_digits == 8


def explain(*flags: str) -> dict[str, tuple[str, str]]:
    out = CliRunner().invoke(main, ["config", "-p", str(EXAMPLE), "-t", str(SPRING), "--explain",
                                    *flags])
    assert out.exit_code == 0, out.output
    rows = {}
    for line in out.stdout.splitlines():
        name, rest = line.split(None, 1)
        value, _, origin = rest.rpartition("    (")
        rows[name] = (value.strip(), origin.rstrip(")"))
    return rows


def test_config_explain_shows_the_command_line_flags_and_the_defaults() -> None:
    plain = explain()
    assert plain["large_print"] == ("False", "default")
    assert plain["versions"] == ("1", "default")
    flagged = explain("--large-print", "--seed", "fresh forms")
    assert flagged["large_print"] == ("True", "command line: --large-print")
    assert flagged["seed"] == ("fresh forms", "command line: --seed")
    assert flagged["paper"] == plain["paper"]
