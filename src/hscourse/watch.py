"""Rebuilding on save: `hscourse build --watch` and `hscourse serve`.

One process builds again after every batch of saves, keeping what a fresh `hscourse build`
would pay for again: its render workers (WeasyPrint imported, the stylesheet parsed), the
compiled templates, the fonts' coverage and every Markdown text already rendered. A rebuild
is the ordinary incremental build, so it renders only the documents whose HTML changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hscourse import stamp
from hscourse.build import BuildResult, build, default_dist
from hscourse.errors import ContentError
from hscourse.options import Options
from hscourse.render.workers import Renderer, worker_count

WATCHED = ("course.yaml", "modules", "terms", "templates")


@dataclass
class Rebuilt:
    """One build: its result, or the problems that stopped it; and how long it took."""

    seconds: float
    result: BuildResult | None = None
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Its warnings, what it wrote and its errors, each line as the CLI prints it."""
        if self.result is None:
            return [f"error: {problem}" for problem in self.problems]
        return ([f"warning: {warning}" for warning in self.result.warnings]
                + [self.result.summary(self.seconds)])


class Rebuilder:
    """Builds the course at root into dist again and again with the same warm workers."""

    def __init__(self, root: Path, term: Path | None = None, options: Options = Options(),
                 progress: Callable[[int, int, str], None] | None = None):
        self.root, self.term, self.options, self.progress = root.resolve(), term, options, progress
        self.dist = default_dist(self.root, term)
        self.renderer = Renderer(worker_count(options.jobs))
        self.read: str | None = None  # the inputs' stamp when the last build began

    def rebuild(self) -> Rebuilt:
        start = time.perf_counter()
        self.read = self._inputs()
        try:
            result = build(self.root, self.dist, self.progress, self.term, self.options,
                           renderer=self.renderer)
            return Rebuilt(time.perf_counter() - start, result)
        except ContentError as exc:
            problems = [str(d) for d in exc.diagnostics]
        except (OSError, RuntimeError) as exc:  # dist/ unwritable, a tool missing: keep going
            problems = [f"{self.dist}: {exc}"]
        return Rebuilt(time.perf_counter() - start, problems=problems)

    def watched(self) -> list[Path]:
        """The course's own files: course.yaml, modules/, terms/, templates/ and the term."""
        paths = [self.root / name for name in WATCHED if (self.root / name).exists()]
        if self.term is not None and not self.term.resolve().is_relative_to(self.root):
            paths.append(self.term.resolve())
        return paths

    def _inputs(self) -> str:
        return stamp.inputs(self.root, self.term, self.options.stamp())

    def saves(self, stop: threading.Event) -> Iterator[None]:
        """One item per batch of saves (200 ms of quiet ends a batch), until stop is set.

        A save made after the last build began but before the watcher was watching (it
        starts in a thread of its own) is seen too: at the watcher's first wake-up (a batch,
        or 500 ms of quiet), the inputs are compared with the stamp that build read."""
        from watchfiles import watch

        caught_up = False
        for changes in watch(*self.watched(), stop_event=stop, debounce=200, step=50,
                             rust_timeout=500, yield_on_timeout=True):
            if changes or not caught_up and self.read not in (None, self._inputs()):
                yield
            caught_up = True

    def close(self) -> None:
        self.renderer.close()
