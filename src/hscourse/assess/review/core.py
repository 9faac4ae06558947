"""What every review rule shares: findings, the rule table, thresholds, settings, positions.

Rules return `Hit`s (a path inside the file and a message); `Locator` turns the path into
file:line:column, because the loader kept every value's position.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from hscourse.course.load import Document
from hscourse.course.model import Course, Module
from hscourse.errors import ContentError, did_you_mean

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    scope: str  # "item", "module" or "course"
    summary: str


RULES = {r.id: r for r in (
    Rule("longest-option-correct", "warning", "item", "the key is clearly the longest option "
                                                      "(per item, and how often per quiz)"),
    Rule("all-of-the-above", "warning", "item", "'all of the above' as an option"),
    Rule("none-of-the-above", "warning", "item", "'none of the above' as an option"),
    Rule("absolute-terms", "warning", "item", "always, never, only... in an option or a "
                                              "true/false statement"),
    Rule("vague-terms", "warning", "item", "usually, often, may... in an option or a "
                                           "true/false statement"),
    Rule("negative-stem", "warning", "item", "not, except, least... in the stem, unemphasised"),
    Rule("word-repeat", "warning", "item", "a stem word echoed only in the key"),
    Rule("grammatical-cue", "warning", "item", "a/an or singular/plural agreement gives the key"),
    Rule("convergence-cue", "warning", "item", "the key shares the most with the other options"),
    Rule("combination-option", "warning", "item", "'A and B', 'both of the above'"),
    Rule("unordered-numeric-options", "warning", "item", "numbers or years not in order"),
    Rule("fill-in-blank", "warning", "item", "a blank inside the stem"),
    Rule("select-all-majority", "warning", "item", "most options of a multiple-answer item "
                                                   "are correct"),
    Rule("too-few-options", "warning", "item", "fewer options than the threshold"),
    Rule("duplicate-item", "warning", "item", "a near-duplicate stem elsewhere in the course"),
    Rule("placeholder", "error", "item", "TO DO, TBD, lorem ipsum, skeleton filler"),
    Rule("key-position-balance", "warning", "module", "keys bunched on some option letters"),
    Rule("unsupported-key", "warning", "item", "the key's words are not in the notes"),
    Rule("objective-uncovered", "warning", "module", "an objective no item assesses"),
    Rule("item-without-objective", "warning", "item", "an item tied to no objective"),
    Rule("higher-order-share", "warning", "module", "too few points at apply or above"),
    Rule("stale-fact", "warning", "item", "an as_of date older than the course allows"),
)}

THRESHOLDS: dict[str, float] = {
    "longest-option-ratio": 1.3,    # key length >= ratio x the longest other option...
    "longest-option-margin": 10,    # ...and longer by at least this many characters
    "longest-key-max-share": 0.35,  # per quiz and course: share of keys that are the longest
    "min-options": 3,               # choice items need at least this many options
    "select-all-max-share": 0.5,    # flag when more than this share of options are correct
    "duplicate-similarity": 0.7,    # stem similarity (0-1) from which items are duplicates
    "duplicate-min-words": 4,       # stems with fewer content words are not compared
    "unsupported-key-min-share": 0.5,  # flag when less of the key's words are in the notes
    "higher-order-min-share": 0.3,  # share of points at apply or above, per module
    "key-position-min-items": 8,    # single-choice items needed before balance is judged
    "key-position-tolerance": 0.5,  # a letter's keys may differ from expected by this share
    "convergence-min-options": 4,   # options needed before convergence is judged
}
DEFAULT_MAX_FACT_AGE_YEARS = 5.0


@dataclass(frozen=True)
class Hit:
    """One finding of a rule, before it is located: a path inside the file and a message."""

    rule: str
    path: tuple[object, ...]
    message: str
    severity: str | None = None  # None: the rule's own


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    file: str
    line: int
    column: int
    item: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "file": self.file,
                "line": self.line, "column": self.column, "item": self.item,
                "message": self.message}

    def sort_key(self) -> tuple[Any, ...]:
        return (self.file, self.line, self.column, self.rule, self.message)


@dataclass
class Settings:
    """The `review` setting of course.yaml or the term, with defaults filled in."""

    pdf: bool = False
    ignore: frozenset[str] = frozenset()
    thresholds: dict[str, float] = field(default_factory=lambda: dict(THRESHOLDS))
    max_fact_age_years: float = DEFAULT_MAX_FACT_AGE_YEARS
    course_date: datetime.date | None = None


def course_document(course: Course) -> Document:
    """The file that set `review`: the term file when it does, else course.yaml."""
    term = course.sources[-1]
    if course.term and isinstance(term.data, dict) and "review" in term.data:
        return term
    return course.sources[0]


def settings_for(course: Course) -> Settings:
    """The review settings; unknown rule or threshold names are content errors."""
    raw = course.settings.review
    chosen: dict[str, Any] = raw if isinstance(raw, dict) else {"pdf": bool(raw)}
    doc = course_document(course)
    problems = [doc.diagnostic(("review", "ignore", i), f"no review rule {name!r}"
                               f"{did_you_mean(name, RULES)}")
                for i, name in enumerate(chosen.get("ignore", [])) if name not in RULES]
    problems += [doc.diagnostic(("review", "thresholds", name),
                                f"no review threshold {name!r} (they are listed "
                                f"in docs/review-rules.md){did_you_mean(name, THRESHOLDS)}",
                                key=True)
                 for name in chosen.get("thresholds", {}) if name not in THRESHOLDS]
    if problems:
        raise ContentError(problems)
    date = course.settings.date
    return Settings(pdf=bool(chosen.get("pdf", False)), ignore=frozenset(chosen.get("ignore", [])),
                    thresholds={**THRESHOLDS, **chosen.get("thresholds", {})},
                    max_fact_age_years=float(chosen.get("max_fact_age_years",
                                                        DEFAULT_MAX_FACT_AGE_YEARS)),
                    course_date=datetime.date.fromisoformat(date) if date else None)


def overlays(course: Course) -> list[Document]:
    """The term's overlay files (terms/<term-id>/*.yaml), which hold items of their own."""
    from hscourse.course.project import overlay_documents

    return overlay_documents(course)


class Locator:
    """file:line:column for a path inside a module's items, found through the item's id.

    A term may drop, reorder or add items, so an item's index in the resolved module is not
    its index in its file: items are looked up by id in every loaded document.
    """

    def __init__(self, course: Course):
        self.items: dict[str, tuple[Document, tuple[object, ...]]] = {}
        docs = list(course.sources) + [m.source for m in course.modules] + overlays(course)
        for doc in docs:
            quiz = doc.data.get("quiz", []) if isinstance(doc.data, dict) else []
            for i, item in enumerate(quiz):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    self.items.setdefault(item["id"], (doc, ("quiz", i)))
        self.fallback = course.sources[-1]

    def item(self, item_id: str, path: tuple[object, ...]) -> tuple[str, int, int]:
        doc, base = self.items.get(item_id, (self.fallback, ()))
        line, column = doc.where(base + path)
        return doc.file, line, column

    @staticmethod
    def module(module: Module, path: tuple[object, ...]) -> tuple[str, int, int]:
        line, column = module.source.where(path)
        return module.source.file, line, column
