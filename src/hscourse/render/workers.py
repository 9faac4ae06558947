"""Rendering PDFs in worker processes, each importing WeasyPrint once for many documents.

The pool is started as soon as a build knows it has work, so that the workers import
WeasyPrint while the main process is still loading the course and writing HTML. Each worker
renders a document and, for a student document, runs the leak check on it at once, so the
check runs in parallel with the rendering of other documents. A result is the PDF's bytes or
the problems found; the same documents give the same bytes in one process or several.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import resource
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Union

from hscourse.course.settings import RenderLimits
from hscourse.errors import Diagnostic
from hscourse.output import Output
from hscourse.render.server import end_with, server_context, serves

if TYPE_CHECKING:
    from hscourse.course.model import Course
    from hscourse.render.leakcheck import Needles

Result = Union[bytes, list[Diagnostic]]
PR_SET_PDEATHSIG = 1
DEFAULT_LIMITS = RenderLimits()


class RenderLimit(BaseException):
    """A render ran past its time limit. A BaseException, as KeyboardInterrupt is, so that no
    `except Exception` on the way (WeasyPrint's, the leak check's) turns it into another
    error: it once came out as "leak check could not read the file: " with no reason."""


@dataclass(frozen=True)
class Context:
    """What every job of one build shares: where the course is, its date, the leak check."""

    root: Path
    term: Path | None
    date: str | None
    leak_check: bool
    allow_links: bool = False
    seconds: float = DEFAULT_LIMITS.seconds  # per document, render and leak check together
    memory_mb: int = DEFAULT_LIMITS.memory_mb  # heap a render may add to the process
    needles: Needles | None = None  # what the leak check looks for (never the course)


class Job(NamedTuple):
    """One document to render: its output path, HTML, whether students read it, and the
    folders (relative to the course) it may read files from."""

    path: str
    html: str
    student: bool
    folders: tuple[str, ...]




def build_context(course: Course, term: Path | None, leak_check: bool) -> Context:
    """The context of a build of course: its folder, date, render limits, and for the leak
    check the needles it searches for."""
    from hscourse.render.secrets import needles_for

    limits = course.settings.render_limits
    return Context(course.root, term, course.settings.date, leak_check,
                   course.settings.allow_hard_links, float(limits.seconds), limits.memory_mb,
                   needles_for(course) if leak_check else None)


def _die_with_build(build: int) -> None:
    """End this worker when the build (process id build) ends, even by SIGKILL, so that a
    killed build leaves no orphaned workers. A worker forked by the build asks Linux to
    signal it when its parent dies; one forked by the forkserver watches the build through a
    pidfd, because its parent, the forkserver, lives as long as any worker does. Elsewhere
    this is a no-op."""
    if os.getppid() != build:
        end_with(build)
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process's own symbols: libc's
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != build:  # the build died before prctl took effect
        os._exit(1)


def import_renderer() -> None:
    """What rendering imports (about half a second): each worker has it at start, while the
    build is still loading the course. (Importing it once in the build and forking after was
    cheaper in CPU but a second slower for a small rebuild: the import then no longer
    overlapped the loading.) The leak check's PDF readers (pikepdf, PDFium: 50 ms) are
    imported by the first student document a worker checks: a worker that renders only
    instructor documents, as the one rendering a small course's guide does, never needs them."""
    import hscourse.render.leakcheck  # noqa: F401
    import hscourse.render.pdf  # noqa: F401
    from hscourse.render.native import import_weasyprint

    import_weasyprint()


def _warm(build: int) -> None:
    """Worker start-up: tie the worker's life to the build's (process id build), leave Ctrl+C
    to the build (a terminal sends it to every process of the command), tune the collector."""
    _die_with_build(build)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import_renderer()
    _spare_the_collector()


def _spare_the_collector() -> tuple[int, int, int]:
    """Keep the cycle collector from revisiting what stays alive (the modules, the course,
    the HTML) and let it run ten times less often: layout makes many short-lived objects and
    few cycles, and rendering took a tenth less time (measured on the example course's
    documents). Returns the thresholds it replaced."""
    gc.freeze()
    previous = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    return previous


def _render_pdf(job: Job, context: Context) -> Result:
    from hscourse.render.pdf import RenderError, write_pdf

    try:
        return write_pdf(job.html, context.root, date=context.date, folders=job.folders,
                         allow_links=context.allow_links)
    except RenderError as exc:
        return [Diagnostic("", 0, 0, "", f"{job.path}: {exc}")]


def _check(job: Job, result: Result, context: Context) -> Result:
    """The leak check of a freshly rendered student PDF: the PDF, or what leaked."""
    if not (job.student and context.leak_check and isinstance(result, bytes)):
        return result
    from hscourse.render.leakcheck import find_leaks

    assert context.needles is not None
    leaks = find_leaks(context.needles, {Output(job.path, "student", "pdf", "", ""): result})
    return leaks or result


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise RenderLimit in this (main) thread after seconds; elsewhere no limit."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise RenderLimit

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _data_in_use() -> int:
    """This process's data segment (heap and private mappings), in bytes."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextmanager
def _memory_limit(megabytes: int) -> Iterator[None]:
    """Let the process's data grow by at most megabytes while rendering (RLIMIT_DATA, so a
    runaway render fails with MemoryError instead of exhausting the machine)."""
    current = _data_in_use()
    if megabytes <= 0 or not current:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = current + megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    try:
        yield
    except SystemError as exc:  # a C library's failed allocation, near the limit
        if _data_in_use() > limit - megabytes * 1024 * 1024 // 4:
            raise MemoryError(str(exc)) from exc
        raise
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def _bounded(job: Job, context: Context) -> Result:
    """Render and check one job within the context's time and memory limits."""
    import_renderer()  # outside the limits: a timer that cut an import short would break it
    try:
        with time_limit(context.seconds), _memory_limit(context.memory_mb):
            return _check(job, _render_pdf(job, context), context)
    except RenderLimit:
        why = (f"took longer than {context.seconds:g} s; simplify the content (a very large "
               "table or image?) or raise `render_limits: {seconds: ...}` in course.yaml")
    except MemoryError:
        gc.collect()
        why = (f"needed more than {context.memory_mb} MB; simplify the content (a very large "
               "table or image?) or raise `render_limits: {memory_mb: ...}` in course.yaml")
    return [Diagnostic("", 0, 0, "", f"{job.path}: the render {why}")]


def render_one(job: Job, context: Context) -> tuple[str, Result]:
    """Render one document and leak-check it (what a worker process does with a job)."""
    return job.path, _bounded(job, context)


_SHIPPED: tuple[bytes, Context] | None = None  # in a worker: the last context it was sent


def render_shipped(job: Job, shipped: bytes) -> tuple[str, Result]:
    """render_one with the context pickled once by the build: a worker unpickles it on its
    first job only (with the leak check's needles it is most of a megabyte)."""
    global _SHIPPED
    if _SHIPPED is None or _SHIPPED[0] != shipped:
        _SHIPPED = (shipped, pickle.loads(shipped))
    return render_one(job, _SHIPPED[1])


def worker_count(requested: int | None) -> int:
    """--jobs, else HSCOURSE_JOBS, else the CPUs this process may use."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    from_env = os.environ.get("HSCOURSE_JOBS", "")
    return max(1, requested or (int(from_env) if from_env.isdigit() else 0) or available)


class Renderer:
    """Renders jobs in a pool of worker processes, or in this process for one worker.

    The workers start at once, so that they get ready while the build loads the course. The
    command line's process, which has not imported the renderer, starts them from
    multiprocessing's forkserver (start_workers_from_a_server), which imports the renderer
    once (render/preload.py) and forks every worker from that state: one import instead of
    one per worker. That start waits for the forkserver, so it runs in a thread of
    its own. Otherwise the workers are forked from this process, at once, from its main
    thread (forking while another thread runs could copy a lock that thread holds)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self._starting: threading.Thread | None = None
        self._failed: BaseException | None = None
        if workers <= 1:
            return
        if not serves():
            self._start(multiprocessing.get_context("fork"))
            return
        context = server_context()
        self._starting = threading.Thread(target=self._start, args=(context,), daemon=True,
                                          name="hscourse-start-workers")
        self._starting.start()

    def _start(self, context: multiprocessing.context.BaseContext) -> None:
        try:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                            initializer=_warm, initargs=(os.getpid(),))
            for _ in range(self.workers):  # start every worker now
                self.pool.submit(int)
        except BaseException as exc:  # noqa: BLE001 - raised again by ready_pool, in the build
            self._failed = exc

    def started(self) -> bool:
        """Whether the workers have been started (without waiting for them)."""
        return self._starting is None or not self._starting.is_alive()

    def ready_pool(self) -> ProcessPoolExecutor | None:
        """The pool, once its workers have been started."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._failed is not None:
            raise self._failed
        return self.pool

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (jobs not yet started are dropped)."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def render(self, jobs: Iterable[Job], context: Context,
               progress: Callable[[int, int, str], None] | None = None) -> dict[str, Result]:
        """Every job's result by output path. jobs may be a generator: each job is sent to a
        worker as soon as it is made, so rendering starts with the first document's HTML."""
        if self.workers <= 1:
            return self._render_here(list(jobs), context, progress)
        return _Feed(self, pickle.dumps(context)).run(jobs, progress)

    @staticmethod
    def _render_here(jobs: list[Job], context: Context,
                     progress: Callable[[int, int, str], None] | None) -> dict[str, Result]:
        results: dict[str, Result] = {}
        previous = _spare_the_collector()
        try:
            for done, job in enumerate(jobs):
                if progress:
                    progress(done, len(jobs), job.path)
                path, results[path] = render_one(job, context)
        finally:
            gc.set_threshold(*previous)
            gc.unfreeze()
        return results


class _Feed:
    """Keeps every worker busy: at most one job waiting per worker beyond those running, and
    of the jobs made so far the longest first (HTML length stands in for rendering time), so
    that no worker is left with one long guide at the end while the others wait."""

    def __init__(self, renderer: Renderer, shipped: bytes):
        self.renderer, self.limit, self.shipped = renderer, 2 * renderer.workers, shipped
        self.pending: list[Job] = []
        self.running: dict[Future[tuple[str, Result]], str] = {}
        self.results: dict[str, Result] = {}
        self.finished: list[str] = []  # paths in the order their results came

    def run(self, jobs: Iterable[Job], progress: Callable[[int, int, str], None] | None
            ) -> dict[str, Result]:
        for job in jobs:  # made while the workers start: sent once they have
            self.pending.append(job)
            if self.renderer.started():
                self._collect([f for f in self.running if f.done()])
                self._top_up()
        self._top_up()
        total = len(self.results) + len(self.running) + len(self.pending)
        reported = 0
        while True:
            for path in self.finished[reported:]:
                if progress:
                    progress(reported, total, path)
                reported += 1
            if not self.running:
                return self.results
            self._collect(wait(self.running, return_when=FIRST_COMPLETED).done)
            self._top_up()

    def _collect(self, done: Iterable[Future[tuple[str, Result]]]) -> None:
        for future in done:
            del self.running[future]
            path, self.results[path] = future.result()
            self.finished.append(path)

    def _top_up(self) -> None:
        pool = self.renderer.ready_pool()
        assert pool is not None
        while self.pending and len(self.running) < self.limit:
            job = max(self.pending, key=lambda j: len(j.html))
            self.pending.remove(job)
            self.running[pool.submit(render_shipped, job, self.shipped)] = job.path
