"""Item review: item-writing flaws, objective gaps and stale facts, found before a quiz is
printed (issue 15). `review_course` runs every rule over a loaded course; `review_project`
loads one first. Rules and thresholds: docs/review-rules.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hscourse.assess.review.core import (
    RULES,
    SEVERITIES,
    THRESHOLDS,
    Finding,
    Hit,
    Locator,
    Settings,
    settings_for,
)
from hscourse.assess.review.item_rules import ITEM_RULES, ItemContext, item_placeholders
from hscourse.assess.review.module_rules import (
    LevelMix,
    duplicate_items,
    higher_order_share,
    key_position_balance,
    latest_update,
    level_mix,
    longest_key_share,
    module_placeholders,
    named_objectives,
    objective_uncovered,
    objectives,
    stale_module,
)
from hscourse.assess.review.text import content_stems
from hscourse.course.model import Course, Exam, Module
from hscourse.course.validate import date_errors, module_date_paths
from hscourse.errors import ContentError, Diagnostic

__all__ = ["RULES", "SEVERITIES", "THRESHOLDS", "Finding", "Report", "review_course",
           "review_project"]


@dataclass
class ModuleReview:
    """What the review PDF shows of one module besides its findings."""

    id: str
    title: str
    items: list[str]
    objectives: list[tuple[str | None, str]]
    coverage: dict[str, list[str]]  # objective id -> the items naming it
    levels: LevelMix


@dataclass
class Report:
    findings: list[Finding]
    modules: list[ModuleReview] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    def summary(self) -> dict[str, Any]:
        by_rule: dict[str, int] = {}
        for f in self.findings:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        return {**{s + "s": self.count(s) for s in SEVERITIES},
                "modules": len(self.modules), "items": sum(len(m.items) for m in self.modules),
                "rules": dict(sorted(by_rule.items()))}

    def failed(self, strict: bool) -> bool:
        return self.count("error") > 0 or (strict and self.count("warning") > 0)


def _texts(module: Module) -> str:
    data = module.data
    parts = [data.get("overview", "")] + [r["notes"] for r in data.get("readings", [])]
    parts += [s["text"] for s in data.get("stimuli", [])]
    parts += [u["text"] for u in data.get("updates", [])]
    return "\n".join(parts)


def _ignored(item: dict[str, Any], locate: Locator) -> tuple[set[str], list[Diagnostic]]:
    """The rules an item is exempt from; unknown rules and blank reasons are errors."""
    reasons = item.get("review_ignore", {})
    problems = []
    for rule, reason in reasons.items():
        file, line, column = locate.item(item["id"], ("review_ignore", rule))
        where = f"quiz[{item['id']}].review_ignore.{rule}"
        if rule not in RULES:
            problems.append(Diagnostic(file, line, column, where, f"no review rule {rule!r}"))
        elif not reason.strip():
            problems.append(Diagnostic(file, line, column, where,
                                       "give the reason the rule does not apply here"))
    return set(reasons), problems


class _Reviewer:
    """Runs every rule over one course, turning hits into located findings."""

    def __init__(self, course: Course, settings: Settings):
        self.course, self.settings = course, settings
        self.locate = Locator(course)
        self.findings: list[Finding] = []
        self.problems: list[Diagnostic] = []

    def add(self, hit: Hit, item: str | None, module: Module | None = None,
            exempt: Iterable[str] = ()) -> None:
        """Locate a hit: in its item, else in its module, else at the module list of
        course.yaml (for findings about the whole course)."""
        if hit.rule in self.settings.ignore or hit.rule in exempt:
            return
        if item is not None:
            file, line, column = self.locate.item(item, hit.path)
        elif module is not None:
            file, line, column = Locator.module(module, hit.path)
        else:
            doc = self.course.sources[0]
            file, (line, column) = doc.file, doc.where(("modules",))
        self.findings.append(Finding(hit.rule, hit.severity or RULES[hit.rule].severity,
                                     file, line, column, item, hit.message))

    def items(self, module: Module) -> None:
        ids = [i for _, i, _ in objectives(module) if i]
        sources = content_stems(_texts(module))
        readings = {r["id"]: content_stems(r["title"] + "\n" + r["notes"])
                    for r in module.data.get("readings", [])}
        for item in module.data.get("quiz", []):
            exempt, problems = _ignored(item, self.locate)
            self.problems += problems
            ctx = ItemContext(item, self.settings, ids, sources, readings,
                              bool(module.data.get("draft")), latest_update(module))
            for rule in ITEM_RULES:
                for hit in rule(ctx):
                    self.add(hit, item["id"], module, exempt)

    def module(self, module: Module) -> ModuleReview:
        dates = date_errors(module.source, module_date_paths(module.source.data))
        if dates:  # the rules below read these dates
            raise ContentError(dates)
        self.items(module)
        quiz = module.data.get("quiz", [])
        exempt = {i["id"]: set(i.get("review_ignore", {})) for i in quiz}
        for hit in [*objective_uncovered(module), *stale_module(module, self.settings),
                    *module_placeholders(module),
                    *key_position_balance(quiz, self.settings, "the quiz"),
                    *longest_key_share(quiz, self.settings, "the quiz")]:
            self.add(hit, None, module)
        for form in self._forms(module):
            for hit in key_position_balance(form.module.data["quiz"], self.settings,
                                            f"form {form.letter}"):
                self.add(hit, None, module)
        mix = level_mix(module)
        for item_id, hit in higher_order_share(module, mix, self.settings):
            self.add(hit, item_id, module, exempt.get(item_id or "", ()))
        coverage = {i: [it["id"] for it in quiz if i in named_objectives(it)]
                    for _, i, _ in objectives(module) if i}
        return ModuleReview(module.id, module.data["title"], [i["id"] for i in quiz],
                            [(i, t) for _, i, t in objectives(module)], coverage, mix)

    def _forms(self, module: Module) -> list[Any]:
        if self.course.versions(module) < 2:
            return []
        from hscourse.course.forms import forms_for

        return forms_for(self.course, module)

    def exam(self, exam: Exam) -> None:
        """An exam's items are reviewed in their modules; here, the balance of its keys over
        the option letters, on the exam and each of its forms, located at its definition."""
        quizzes = [("the exam", exam.module)] + [(f"form {f.letter}", f.module)
                                                 for f in self._forms(exam.module)]
        for label, printed in quizzes:
            for hit in [*key_position_balance(printed.data["quiz"], self.settings,
                                              f"exam {exam.id}, {label}"),
                        *longest_key_share(printed.data["quiz"], self.settings,
                                           f"exam {exam.id}, {label}")]:
                self.add(replace(hit, path=exam.where), None, exam.module)

    def placeholders(self) -> list[Finding]:
        """The placeholder rule alone, which every build runs: the findings a full review
        reports under `placeholder`, without the other rules' work (a third of a rebuild's
        checks)."""
        for module in self.course.full_modules():
            dates = date_errors(module.source, module_date_paths(module.source.data))
            if dates:
                raise ContentError(dates)
            draft = bool(module.data.get("draft"))
            for item in module.data.get("quiz", []):
                exempt, problems = _ignored(item, self.locate)
                self.problems += problems
                for hit in item_placeholders(item, draft):
                    self.add(hit, item["id"], module, exempt)
            for hit in module_placeholders(module):
                self.add(hit, None, module)
        if self.problems:
            raise ContentError(self.problems)
        return sorted(set(self.findings), key=Finding.sort_key)

    def run(self) -> Report:
        modules = self.course.full_modules()  # items an exam reserved are reviewed too
        reviews = [self.module(m) for m in modules]
        for exam in self.course.exams:
            self.exam(exam)
        entries = [(m.id, item) for m in modules for item in m.data.get("quiz", [])]
        exempt = {item["id"]: set(item.get("review_ignore", {})) for _, item in entries}
        for item_id, hit in duplicate_items(entries, self.settings):
            self.add(hit, item_id, None, exempt[item_id])
        everything = [item for _, item in entries]
        for hit in [*key_position_balance(everything, self.settings, "the course"),
                    *longest_key_share(everything, self.settings, "the course")]:
            self.add(hit, None)
        if self.problems:
            raise ContentError(self.problems)
        findings = sorted(set(self.findings), key=Finding.sort_key)
        return Report(findings, reviews, self.settings)


def review_course(course: Course) -> Report:
    """Every finding of every rule over the course (as resolved for its term)."""
    return _Reviewer(course, settings_for(course)).run()


def placeholders(course: Course) -> list[tuple[str, Diagnostic]]:
    """Placeholder text left in the course (TO DO, the skeleton's filler, 'Your Name'...), as
    (severity, Diagnostic): an error unless its module says `draft: true`; in the course's
    or term's settings always an error."""
    from hscourse.assess.review.item_rules import placeholder_hit
    from hscourse.course.settings import SECRET_SETTINGS

    found = [(f.severity, Diagnostic(f.file, f.line, f.column, f.item or "", f.message))
             for f in _Reviewer(course, settings_for(course)).placeholders()]
    for name, value, origin in course.origins:
        hit = None if name in SECRET_SETTINGS else placeholder_hit((name,), value, False)
        if hit is not None:
            file, _, line = origin.rpartition(":")
            found.append(("error", Diagnostic(file, int(line) if line.isdigit() else 0, 0,
                                              name, hit.message)))
    return found


def review_project(root: Path, term: Path | None = None) -> tuple[Course, Report]:
    """Load the course at root (in the given term) and review it."""
    from hscourse.course.resolve import load_resolved

    course = load_resolved(root, term)
    return course, review_course(course)
