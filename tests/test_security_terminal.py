"""Finding 12 of the second security pass: nothing from a course file drives the terminal.

A YAML key holding escape sequences used to print raw and could erase an error and print a
fake "OK"; escaped control characters in quoted strings were accepted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hscourse.errors import printable

from conftest import EXAMPLE, copy_course, replace_once

MODULE = "modules/example/module.yaml"


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hscourse", "check", "-p", str(root)],
                          capture_output=True, text=True, check=False)


def test_an_escape_sequence_in_a_key_is_refused_and_never_printed(tmp_path: Path) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    forged = "\\e[2K\\e[1A\\e[32mOK: all good\\e[0m"  # YAML escapes in a quoted key
    replace_once(root / MODULE, "title: ", f'"{forged}": 1\ntitle: ')
    done = run_check(root)
    assert done.returncode == 1 and "\x1b" not in done.stdout + done.stderr
    assert f"{MODULE}:2:1: character U+001B is not allowed" in done.stderr


def test_a_path_with_an_escape_sequence_is_printed_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "course\x1b[2K\x1b[32mOK"
    folder.mkdir()
    done = run_check(folder)
    assert done.returncode == 1 and "\x1b" not in done.stdout + done.stderr
    assert "course\\x1b[2K\\x1b[32mOK" in done.stderr


@pytest.mark.parametrize("escaped, code", [("\\x1b[31m", "U+001B"), ("\\u202e", "U+202E"),
                                           ("\\0", "U+0000"), ("\\u2066", "U+2066")])
def test_escaped_control_characters_in_strings_are_refused(tmp_path: Path, escaped: str,
                                                           code: str) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    replace_once(root / MODULE, "credit: Written for the hscourse tests.",
                 f'credit: "Written{escaped} for the tests."')
    done = run_check(root)
    assert done.returncode == 1
    assert f"credit: character {code} is not allowed (control and text-direction characters " \
           f"are refused); remove it" in done.stderr


def test_printable_keeps_text_and_escapes_controls() -> None:
    assert printable("a\tb\nc — 中文 عربي") == "a\tb\nc — 中文 عربي"
    assert printable("x\x1b[2Ky\u202ez\x9b") == "x\\x1b[2Ky\\u202ez\\x9b"


def test_an_unexpected_failure_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A bug surfaces as one line naming it and exit 70 (EX_SOFTWARE), not a traceback."""
    code = ("import hscourse.cli as c, sys; "
            "c.main = lambda **k: (_ for _ in ()).throw(RuntimeError('boom')); c.run()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 70 and "Traceback" not in done.stderr
    assert "hscourse failed unexpectedly (RuntimeError: boom)" in done.stderr
