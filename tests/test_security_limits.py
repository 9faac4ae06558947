"""Finding 10 of the second security pass: every render is bounded in time and memory.

A 306 KB Markdown table used to take 392 s and 2.8 GB. Each document now renders under a time
and a memory limit (`render_limits` in course.yaml; 120 s and 1536 MB by default), and a render
that passes one fails the build naming the document, instead of hanging the machine. The memory
limit bounds the growth of the rendering process's data segment: heap that the process mapped
earlier and freed is room too, so the bound is the limit plus what was already free.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE, copy_course, replace_once


def big_table_course(tmp_path: Path, limits: str, rows: int) -> Path:
    root = copy_course(EXAMPLE, tmp_path / "course")
    columns = 30
    table = ["| " + " | ".join(f"h{c}" for c in range(columns)) + " |",
             "|" + "---|" * columns]
    table += ["| " + " | ".join(f"cell {r} {c} words" for c in range(columns)) + " |"
              for r in range(rows)]
    notes = "    notes: |\n" + "".join(f"      {line}\n" for line in table)
    replace_once(root / "modules/example/module.yaml",
                 "    notes: A white paper published in Beijing.\n", notes)
    with (root / "course.yaml").open("a", encoding="utf-8") as f:
        f.write(f"render_limits: {limits}\n")
    return root


@pytest.mark.parametrize("jobs, limit, rows, message", [  # a worker process, and in-process
    ("2", "{seconds: 1}", 400, "the render took longer than 1 s; simplify the content"),
    ("1", "{memory_mb: 64}", 450, "the render needed more than 64 MB; simplify the content"),
])
def test_a_render_past_its_limit_fails_naming_the_document(tmp_path: Path, limit: str,
                                                           rows: int, message: str,
                                                           jobs: str) -> None:
    """In a fresh process, as a build runs. The memory limit is on the growth of the process's
    data segment: heap that earlier work in the same process freed would count as room."""
    root = big_table_course(tmp_path, limit, rows)
    done = subprocess.run([sys.executable, "-m", "hscourse", "build", "-q", "-j", jobs, "-p",
                           str(root)], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    # The table is in the handout and the guide; with two workers, the one that renders second
    # may find room in heap the first left free, so either may be the one refused.
    assert re.search(rf"(student/example-handout|instructor/example-guide)\.pdf: {message}",
                     done.stderr), done.stderr
    assert not (root / "dist/manifest.json").exists()
