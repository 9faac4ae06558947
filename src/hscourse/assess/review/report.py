"""The review's findings as text (for people), JSON (for tools) and GitHub workflow commands
(annotations on the changed lines of a pull request)."""

from __future__ import annotations

import json

from hscourse.assess.review import Finding, Report

FORMATS = ("text", "json", "github")
GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def text_line(finding: Finding) -> str:
    item = f" [{finding.item}]" if finding.item else ""
    return (f"{finding.file}:{finding.line}:{finding.column}: {finding.severity}: "
            f"{finding.rule}:{item} {finding.message}")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(report: Report) -> str:
    s = report.summary()
    return (f"{_count(s['errors'], 'error')}, {_count(s['warnings'], 'warning')}, "
            f"{_count(s['infos'], 'note')} in {_count(s['items'], 'item')} of "
            f"{_count(s['modules'], 'module')}")


def as_text(report: Report) -> str:
    return "".join(text_line(f) + "\n" for f in report.findings) + summary_line(report) + "\n"


def as_json(report: Report) -> str:
    return json.dumps({"findings": [f.as_dict() for f in report.findings],
                       "summary": report.summary()}, indent=2, ensure_ascii=False) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github_line(finding: Finding) -> str:
    item = f" [{finding.item}]" if finding.item else ""
    return (f"::{GITHUB_LEVEL[finding.severity]} file={_escape_property(finding.file)},"
            f"line={finding.line},col={finding.column},"
            f"title={_escape_property('review ' + finding.rule + item)}::"
            f"{_escape_data(finding.message)}")


def as_github(report: Report) -> str:
    return "".join(github_line(f) + "\n" for f in report.findings) + summary_line(report) + "\n"


def render(report: Report, fmt: str) -> str:
    """The report in one of FORMATS."""
    return {"text": as_text, "json": as_json, "github": as_github}[fmt](report)
