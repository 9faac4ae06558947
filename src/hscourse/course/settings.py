"""Course settings, typed and resolved once: course.yaml, then the term, then the command line.

Every stage reads a setting as an attribute of `Settings` (`course.settings.versions`), never
by a string key with its own default. Names and defaults are the course schema's (its one
source); tests/test_settings.py checks that this class lists exactly the schema's settings.
Each value keeps the file and line (or the command-line flag) that set it, for
`hscourse config --explain`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from hscourse.course.schema import COURSE, TERM, secret_settings

SETTING_SCHEMAS: dict[str, dict[str, Any]] = {
    **COURSE["properties"],
    **{key: TERM["properties"][key] for key in ("start_date", "section")},
}
SECRET_SETTINGS = secret_settings(COURSE)
# The exam definitions name the items an exam holds: not for students before the exam (the
# exam's own printed texts reach its templates separately).
HIDDEN_SETTINGS = SECRET_SETTINGS | {"seed", "exams"}

Origins = list[tuple[str, str, str]]


def _default(*path: str) -> Any:
    """The schema's default for a setting (or a field of one), copied so it is never shared."""
    schema = SETTING_SCHEMAS[path[0]]
    for name in path[1:]:
        schema = schema["properties"][name]
    value = schema.get("default")
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class RenderLimits:
    seconds: float = _default("render_limits", "seconds")
    memory_mb: int = _default("render_limits", "memory_mb")


@dataclass(frozen=True)
class AnswerSheet:
    id_digits: int = _default("answer_sheet", "id_digits")


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one build (course, term and command line)."""

    title: str
    code: str
    language: str
    paper: str
    modules: tuple[str, ...]
    institution: str = _default("institution")
    instructor: str = _default("instructor")
    term: str = _default("term")
    section: str = _default("section")
    date: str | None = None
    start_date: str | None = None
    large_print: bool = _default("large_print")
    versions: int = _default("versions")
    seed: str | None = None
    secret: str | None = None
    extra_css: str | None = None
    allow_hard_links: bool = _default("allow_hard_links")
    render_limits: RenderLimits = field(default_factory=RenderLimits)
    reader: bool = _default("reader")
    review: bool | dict[str, Any] = _default("review")
    answer_sheets: bool = _default("answer_sheets")
    answer_sheet: AnswerSheet = field(default_factory=AnswerSheet)
    roster: str | None = None
    exports: tuple[str, ...] = _default("exports")
    moodle_ordering: bool = _default("moodle_ordering")
    exams: tuple[dict[str, Any], ...] = ()
    print_set: bool = _default("print_set")
    print_copies: int | None = None
    html: bool = _default("html")
    fillable: bool = _default("fillable")
    self_check: bool = _default("self_check")
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Settings:
        """Settings from validated YAML values (course.yaml with the term's on top)."""
        typed = dict(values)
        for name in ("modules", "exports", "exams"):
            if name in typed:
                typed[name] = tuple(typed[name])
        if "render_limits" in typed:
            typed["render_limits"] = RenderLimits(**typed["render_limits"])
        if "answer_sheet" in typed:
            typed["answer_sheet"] = AnswerSheet(**typed["answer_sheet"])
        return cls(**typed)

    def changed(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def values(self) -> dict[str, Any]:
        """Every setting as plain YAML-like values (lists, mappings), unset ones left out."""
        out = {}
        for name, value in dataclasses.asdict(self).items():
            if value is not None:
                out[name] = list(value) if isinstance(value, tuple) else value
        return out

    def public(self) -> dict[str, Any]:
        """What anything printed or exported may show: no secret, no seed."""
        return {k: v for k, v in self.values().items() if k not in HIDDEN_SETTINGS}


def with_flags(settings: Settings, origins: Origins, **flags: Any) -> tuple[Settings, Origins]:
    """Command-line flags (`--seed`, `--large-print`) on top, each with its flag as origin.

    A flag left out (None or False) changes nothing."""
    given = {name: value for name, value in flags.items() if value not in (None, False)}
    if not given:
        return settings, origins
    kept = [row for row in origins if row[0] not in given]
    added = [(name, str(value), "command line: --" + name.replace("_", "-"))
             for name, value in given.items()]
    return settings.changed(**given), kept + added


def explained(settings: Settings, origins: Origins) -> Origins:
    """Every setting as (name, value, where it was set): those a file or flag set, in the
    order they were read, then the schema's defaults. Secrets are shown as `(hidden)`."""
    shown = [(name, "(hidden)" if name in SECRET_SETTINGS else value, origin)
             for name, value, origin in origins]
    named = {name for name, _, _ in origins}
    for name, value in settings.values().items():
        if name not in named and name not in HIDDEN_SETTINGS:
            text = ((", ".join(map(str, value)) or "none") if isinstance(value, list) else
                    ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict)
                    else str(value))
            shown.append((name, text, "default"))
    return shown
