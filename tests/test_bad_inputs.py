"""A catalogue of hostile and broken inputs, each run through the CLI: every one ends with exit
code 1 and a clean message naming the file (and line and field where there is one), never a
traceback. docs/security.md lists the same catalogue as a table."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from hscourse.cli import main

EXAMPLE = Path(__file__).parent / "fixtures" / "course"
MODULE = "modules/example/module.yaml"


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[Path], None]
    expected: str  # a regular expression the error output must match
    command: str = "check"


def module_text(root: Path) -> str:
    return (root / MODULE).read_text(encoding="utf-8")


def write_module(root: Path, text: str) -> None:
    (root / MODULE).write_text(text, encoding="utf-8")


def replace(old: str, new: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        text = module_text(root)
        assert old in text
        write_module(root, text.replace(old, new, 1))
    return setup


def whole_module(text: str) -> Callable[[Path], None]:
    return lambda root: write_module(root, text)


def module_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda root: (root / MODULE).write_bytes(data)


def overview(markdown: str) -> Callable[[Path], None]:
    return replace("overview: >-\n", f"overview: >-\n  {markdown}\n")


def course_module_id(module_id: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        course = (root / "course.yaml").read_text(encoding="utf-8")
        (root / "course.yaml").write_text(course.replace("  - example", f"  - {module_id!r}"),
                                          encoding="utf-8")
    return setup


def symlink_module(target: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / MODULE).unlink()
        (root / MODULE).symlink_to(target)
    return setup


def fifo_module(root: Path) -> None:
    (root / MODULE).unlink()
    os.mkfifo(root / MODULE)


def huge_module(root: Path) -> None:
    with (root / MODULE).open("r+b") as handle:
        handle.truncate(50 * 1024 * 1024)


def outside_file(root: Path) -> None:
    outside = root.parent / "elsewhere.yaml"
    shutil.copy(root / MODULE, outside)
    symlink_module(str(outside))(root)


def leaky_template(root: Path) -> None:
    (root / "templates").mkdir()
    (root / "templates" / "quiz.html.j2").write_text(
        '{% extends "builtin/quiz.html.j2" %}{% block content %}'
        '<link rel="attachment" href="file:///etc/hostname">{{ super() }}{% endblock %}')


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
       "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
L = rf"{MODULE}:\d+:\d+:"

CASES = [
    Case("YAML bomb (billion laughs)", whole_module(BOMB), rf"{L} a: anchors \(&a\) are not allowed"),
    Case("alias", replace("title: An Example Module", "title: *t"), rf"{L} title: aliases \(\*t\)"),
    Case("10,000-deep nesting", whole_module("a: " + "[" * 10_000 + "]" * 10_000),
         rf"{L} YAML syntax: nested more than 40 levels deep"),
    Case("1,000-deep block nesting", whole_module("".join(" " * i + "k:\n" for i in range(1_000))),
         rf"{L}( k(\.k)*:)? nested"),
    Case("50 MB file", huge_module, rf"{MODULE}: file is 52,428,800 bytes; the limit is 1,048,576"),
    Case("symlink to /dev/urandom", symlink_module("/dev/urandom"),
         rf"{MODULE}: a link to a file outside the course folder"),
    Case("symlink to a file outside the course", outside_file,
         rf"{MODULE}: a link to a file outside the course folder"),
    Case("FIFO", fifo_module, rf"{MODULE}: not a regular file"),
    Case("invalid UTF-8", module_bytes(b"id: example\ntitle: caf\xe9\n"),
         rf"{MODULE}:2:11: the file is not UTF-8 \(byte 0xe9\); it looks like Windows-1252"),
    Case("NUL character", module_bytes(b"id: example\ntitle: a\x00b\n"),
         rf"{MODULE}:2:9: character U\+0000 is not allowed"),
    Case("tab indentation", replace("  - Explain", "\t- Explain"), rf"{L} YAML syntax: a tab character"),
    Case("two documents", lambda root: write_module(root, module_text(root) + "---\nid: x\n"),
         rf"{L} a course file holds one YAML document"),
    Case("top level a list", whole_module("- id: example\n"), rf"{MODULE}:1:1: expected a mapping"),
    Case("empty file", whole_module(""), rf"{MODULE}:1:1: the file is empty"),
    Case("duplicate key", replace("title: An Example Module", "title: A\ntitle: B"),
         rf"{L} title: duplicate key 'title'"),
    Case("tag (Python object)", replace("title: An Example Module",
                                        "title: !!python/object/apply:os.system [ls]"),
         rf"{L} title: tags \(tag:yaml.org,2002:python/object/apply:os.system\) are not allowed"),
    Case("unquoted no", replace("answer: false", "answer: no"),
         rf"{L} quiz\[2\]\.answer: expected true or false, got 'no'"),
    Case("octal-looking 010", replace("points: 4\n", "points: 010\n"),
         rf"{L} quiz\[4\]\.points: expected a number, got '010'"),
    Case("sexagesimal-looking 1:30", replace("minutes: 10", "minutes: 1:30"),
         rf"{L} discussion\[0\]\.minutes: expected a whole number, got '1:30'"),
    Case("5,000-digit number", replace("points: 4\n", "points: " + "9" * 5000 + "\n"),
         rf"{L} quiz\[4\]\.points: expected a number"),
    Case("module id ../x", course_module_id("../x"), r"course.yaml:\d+:\d+: modules\[0\]: expected an id"),
    Case("module id a/b", course_module_id("a/b"), r"course.yaml:\d+:\d+: modules\[0\]: expected an id"),
    Case("empty module id", course_module_id(""), r"course.yaml:\d+:\d+: modules\[0\]: must not be empty"),
    Case("reserved name con", course_module_id("con"), r"modules\[0\]: expected .*reserve"),
    Case("reserved name nul", course_module_id("nul"), r"modules\[0\]: expected .*reserve"),
    Case("reserved quiz id aux", replace("id: ex-q1", "id: aux"), rf"{L} quiz\[0\]\.id: expected .*reserve"),
    Case("image outside the course folder", overview("![map](../../../etc/hostname)"),
         rf"{L} overview: image address '../../../etc/hostname' leads outside the course folder"),
    Case("image by absolute path", overview("![map](/etc/hostname)"),
         rf"{L} overview: image address '/etc/hostname' leads outside"),
    Case("image over http://", overview("![map](http://example.org/x.png)"),
         rf"{L} overview: image address 'http://example.org/x.png': only the names of files "
         r"beside module.yaml"),
    Case("image on file://host/", overview("![map](file://host/etc/hostname)"),
         rf"{L} overview: image address 'file://host/etc/hostname': only the names of files"),
    Case("%2e%2e traversal", overview("![map](modules/%2e%2e/%2e%2e/../secret.png)"),
         rf"{L} overview: image address 'modules/%2e%2e/%2e%2e/../secret.png' leads outside"),
    Case("link to a local file outside", overview("[notes](../../secret.txt)"),
         rf"{L} overview: link address '../../secret.txt': links may go to the web"),
    Case("link with file: scheme", overview("[notes](file:///etc/passwd)"),
         rf"{L} overview: link address 'file:///etc/passwd': links may go to the web"),
    Case("template reading a file outside (build)", leaky_template,
         rf"{MODULE}: student/example-quiz.pdf: refused to read file:///etc/hostname "
         r"\(outside the course folder\)", "build"),
]


def test_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 24
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    root = tmp_path / "course"
    shutil.copytree(EXAMPLE, root)
    case.setup(root)
    result = CliRunner().invoke(main, [case.command, "-p", str(root)])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 1, output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert "Traceback" not in output
    assert any(re.search(case.expected, line) for line in output.splitlines()), output
    assert not (root / "dist").exists()
