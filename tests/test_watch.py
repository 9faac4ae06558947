"""`hscourse build --watch` (issue 23, item 3): one process, warm workers, a rebuild per save.

The rebuild is the ordinary incremental build, so it renders only what an edit touched; what
the watch adds is that its worker processes (WeasyPrint imported) outlive each build.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hscourse.options import Options
from hscourse.watch import Rebuilder

pytestmark = pytest.mark.slow

COURSE = """title: Tiny
code: TIN 1
language: en
paper: A4
date: "2027-01-11"
secret: "0123456789abcdef0123"
modules: [m1]
"""
MODULE = """id: m1
title: A tiny module
overview: One short paragraph about water and security.
objectives: [Say what human security means.]
readings:
  - id: r1
    authors: ["Author, A."]
    title: A reading
    date: "2020"
    notes: Short notes on the reading.
quiz:
  - id: m1-q1
    type: true_false
    prompt: Water can be a security issue.
    answer: true
    points: 1
    explanation: The notes say so.
"""


def tiny_course(root: Path) -> Path:
    (root / "modules" / "m1").mkdir(parents=True)
    (root / "course.yaml").write_text(COURSE, encoding="utf-8")
    (root / "modules" / "m1" / "module.yaml").write_text(MODULE, encoding="utf-8")
    return root


def edit(root: Path, old: str, new: str) -> None:
    path = root / "modules" / "m1" / "module.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def worker_pids(rebuilder: Rebuilder) -> set[int]:
    assert rebuilder.renderer.pool is not None
    return {p.pid for p in rebuilder.renderer.pool._processes.values()}  # noqa: SLF001


def test_rebuilds_render_only_what_changed_with_the_same_workers(tmp_path: Path) -> None:
    root = tiny_course(tmp_path / "course")
    rebuilder = Rebuilder(root, options=Options(jobs=2))
    try:
        first = rebuilder.rebuild()
        assert first.result is not None and len(first.result.rendered) == 3
        workers = worker_pids(rebuilder)
        edit(root, "Water can be", "Water may be")
        second = rebuilder.rebuild()
        assert second.result is not None
        assert second.result.rendered == ["instructor/m1-guide.pdf", "student/m1-quiz.pdf"]
        assert worker_pids(rebuilder) == workers
        edit(root, "answer: true", "answer: maybe")
        broken = rebuilder.rebuild()
        assert broken.result is None
        assert broken.problems == ["modules/m1/module.yaml:15:13: quiz[0].answer: expected true "
                                   "or false, got 'maybe'"]
        edit(root, "answer: maybe", "answer: true")
        fixed = rebuilder.rebuild()
        assert fixed.result is not None and fixed.result.rendered == []
        assert worker_pids(rebuilder) == workers
    finally:
        rebuilder.close()


def _first_save(rebuilder: Rebuilder, wait: float) -> bool:
    """Whether the watcher, started now, reports a batch of saves within wait seconds."""
    stop = threading.Event()
    seen = threading.Event()

    def watch() -> None:
        for _ in rebuilder.saves(stop):
            seen.set()
            return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    found = seen.wait(wait)
    stop.set()
    thread.join(5)
    return found


@pytest.mark.parametrize("saved", [True, False])
def test_a_save_made_before_the_watcher_watches_is_rebuilt(tmp_path: Path, saved: bool) -> None:
    """`serve` and `build --watch` start watching in a thread after the first build: a save
    made in between (seen once as a test that waited 90 s for a rebuild) is caught at the
    watcher's first wake-up; with no save, nothing is."""
    root = tiny_course(tmp_path / "course")
    rebuilder = Rebuilder(root, options=Options(jobs=1, leak_check=False))
    try:
        assert rebuilder.rebuild().result is not None
        if saved:
            edit(root, "Water can be", "Water may be")
        assert _first_save(rebuilder, 3) is saved
    finally:
        rebuilder.close()


def test_build_watch_rebuilds_on_save_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    root = tiny_course(tmp_path / "course")
    process = subprocess.Popen([sys.executable, "-m", "hscourse", "build", "--watch", "-j", "1",
                                "-p", str(root)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []],
                     daemon=True).start()
    seen: list[str] = []

    def next_line_with(text: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=0.2))
            except queue.Empty:
                continue
            if text in seen[-1]:
                return seen[-1]
        return None

    try:
        first = next_line_with(" outputs in ", 60)
        assert first is not None and "(3 PDFs rendered, 1 other file written) in " in first, seen
        assert next_line_with("Watching for saves", 10), seen
        time.sleep(0.5)  # the watcher starts a moment after it says so
        rebuilt = None
        for n in range(10):  # should a save still come too early, save again until seen
            edit(root, "title: A tiny module" if n == 0 else f"title: Module {n - 1}",
                 f"title: Module {n}")
            rebuilt = next_line_with(" outputs in ", 3)
            if rebuilt:
                break
        assert rebuilt is not None and "(3 PDFs rendered, 1 other file written) in " in rebuilt, seen
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, seen
    assert not any("Traceback" in line for line in seen), seen
