"""Incremental and parallel builds: only what changed is rendered, and the bytes never depend
on how many workers rendered them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hscourse import stamp
from hscourse.build import Options, build
from hscourse.errors import ContentError
from hscourse.scaffold import new_module

from conftest import EXAMPLE, copy_built, copy_course, prebuilt

FAST = Options(leak_check=False)


@pytest.fixture(autouse=True)
def fresh_environment_stamp() -> Iterator[None]:
    """The environment stamp is cached per process; a test may change what it covers."""
    stamp.environment.cache_clear()
    yield
    stamp.environment.cache_clear()


def make_two_modules(root: Path) -> Path:
    """The example course with its module replaced by two short skeleton modules (`hscourse
    new-module`), example and second: what is rendered again, and when, does not depend on
    how much a module holds, and each render of these costs a fraction of the example's."""
    copy_course(EXAMPLE, root)
    shutil.rmtree(root / "modules" / "example")
    new_module(root, "example")
    new_module(root, "second")
    course_yaml = root / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("  - example\n",
                                                           "  - example\n  - second\n"))
    return root


@pytest.fixture
def fresh_two_modules(tmp_path: Path) -> Path:
    """The two-module course, never built."""
    return make_two_modules(tmp_path / "course")


@pytest.fixture
def two_modules(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, already built once (a copy of a course built once per worker)."""
    template = prebuilt(tmp_path_factory, "two-modules", make_two_modules, FAST)
    return copy_built(template, tmp_path / "course")


def manifest(root: Path) -> dict[str, dict]:
    data = json.loads((root / "dist/manifest.json").read_text())
    return {entry["path"]: entry for entry in data["outputs"]}


def test_unchanged_build_renders_nothing(fresh_two_modules: Path) -> None:
    two_modules = fresh_two_modules
    first = build(two_modules, options=FAST)
    assert len(first.rendered) == 6
    before = {p: (two_modules / "dist" / p).stat().st_mtime_ns for p in manifest(two_modules)}
    again = build(two_modules, options=FAST)
    assert again.rendered == []
    after = {p: (two_modules / "dist" / p).stat().st_mtime_ns for p in manifest(two_modules)}
    assert before == after


def test_changed_module_rebuilds_only_its_outputs(two_modules: Path) -> None:
    build(two_modules, options=FAST)
    module = two_modules / "modules/second/module.yaml"
    module.write_text(module.read_text().replace("A question?", "A changed question?"))
    result = build(two_modules, options=FAST)
    assert sorted(result.rendered) == ["instructor/second-guide.pdf", "student/second-quiz.pdf"]


def test_changed_template_rebuilds_what_uses_it(two_modules: Path) -> None:
    build(two_modules, options=FAST)
    (two_modules / "templates").mkdir()
    (two_modules / "templates/key.html.j2").write_text("unused by this course\n")
    assert build(two_modules, options=FAST).rendered == []  # a template no document uses
    (two_modules / "templates/quiz.html.j2").write_text(
        '{% extends "builtin/quiz.html.j2" %}{% block title_block %}NEW{{ super() }}'
        '{% endblock %}')
    assert sorted(build(two_modules, options=FAST).rendered) == [
        "student/example-quiz.pdf", "student/second-quiz.pdf"]


def test_new_hscourse_version_rebuilds_everything(two_modules: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    build(two_modules, options=FAST)
    monkeypatch.setattr(stamp, "__version__", "99.0")
    stamp.environment.cache_clear()
    assert len(build(two_modules, options=FAST).rendered) == 6


def test_another_weasyprint_changes_the_environment_stamp(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Installing another WeasyPrint writes its __init__.py (which holds its version) anew."""
    import importlib.machinery

    init = tmp_path / "weasyprint" / "__init__.py"
    init.parent.mkdir()
    init.write_text("VERSION = __version__ = '70.0'\n")
    spec = importlib.machinery.ModuleSpec("weasyprint", None, origin=str(init))
    monkeypatch.setattr(stamp, "find_spec", lambda name: spec if name == "weasyprint" else None)
    before = stamp.environment()
    stamp.environment.cache_clear()
    assert stamp.environment() == before
    init.write_text("VERSION = __version__ = '71.0'\n")
    stamp.environment.cache_clear()
    assert stamp.environment() != before
    monkeypatch.setattr(stamp, "find_spec", lambda name: None)
    stamp.environment.cache_clear()
    assert stamp.environment() != before  # WeasyPrint missing


def test_changed_image_beside_a_module_rebuilds(two_modules: Path) -> None:
    build(two_modules, options=FAST)
    (two_modules / "modules/second/notes.txt").write_text("a file the module could show\n")
    assert len(build(two_modules, options=FAST).rendered) == 6


def test_force_rebuilds_everything(two_modules: Path) -> None:
    build(two_modules, options=FAST)
    assert len(build(two_modules, options=Options(force=True, leak_check=False)).rendered) == 6


def test_removed_module_outputs_disappear(two_modules: Path) -> None:
    build(two_modules, options=FAST)
    assert (two_modules / "dist/student/second-quiz.pdf").exists()
    course_yaml = two_modules / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("  - second\n", ""))
    result = build(two_modules, options=FAST)
    assert result.rendered == []
    assert not (two_modules / "dist/student/second-quiz.pdf").exists()
    assert not any(p.startswith(("student/second", "instructor/second"))
                   for p in manifest(two_modules))


def test_deleted_output_is_rendered_again(two_modules: Path) -> None:
    build(two_modules, options=FAST)
    (two_modules / "dist/student/example-quiz.pdf").unlink()
    assert build(two_modules, options=FAST).rendered == ["student/example-quiz.pdf"]


def test_parallel_and_serial_builds_are_byte_identical(two_modules: Path, tmp_path: Path) -> None:
    serial = build(two_modules, dist=tmp_path / "serial", options=Options(jobs=1))
    parallel = build(two_modules, dist=tmp_path / "parallel", options=Options(jobs=2))
    assert [o.path for o in serial.outputs] == [o.path for o in parallel.outputs]
    for entry in serial.outputs:
        assert (serial.dist / entry.path).read_bytes() == (
            parallel.dist / entry.path).read_bytes(), entry.path
    assert (serial.dist / "manifest.json").read_bytes() == (
        parallel.dist / "manifest.json").read_bytes()


def test_no_op_build_loads_nothing(two_modules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(two_modules, options=FAST)

    def must_not_run(*args: object) -> None:
        raise AssertionError("a no-op build loaded the course")

    monkeypatch.setattr("hscourse.build.prepare", must_not_run)
    result = build(two_modules, options=FAST)
    assert result.rendered == [] and len(result.outputs) == 8  # 3 PDFs + responses template
    with pytest.raises(AssertionError, match="loaded the course"):
        build(two_modules, options=Options(leak_check=False, large_print=True))


def _processes_marked(marker: str) -> list[int]:
    """Processes whose environment holds marker: the build, the forkserver it started (whose
    command line names no course) and every worker forked from either."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _parent(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


def _child_command(pid: int, parent: int) -> bytes | None:
    """The command line of process pid if it is a child of parent (None if not, or gone: a
    short-lived helper such as fc-list may end while it is looked at)."""
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes() if _parent(pid) == parent else None
    except (OSError, IndexError, ValueError):
        return None


def test_killed_build_leaves_no_worker_processes(fresh_two_modules: Path, tmp_path: Path
                                                 ) -> None:
    """Also: the command line's forkserver and multiprocessing's resource tracker are forks
    of the build (the same command line, no new interpreter; render/server.py), the server
    listening in a folder only this user may enter, which it removes when the build is
    killed; the tracker ends with the build and its workers."""
    two_modules = fresh_two_modules
    marker = f"HSCOURSE_TEST_RUN=killed-{uuid.uuid4().hex}"
    process = subprocess.Popen([sys.executable, "-m", "hscourse", "build", "--jobs", "2",
                                "--project", str(two_modules)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "HSCOURSE_TEST_RUN": marker.split("=")[1],
                                    "TMPDIR": str(tmp_path)})  # Jinja's cache goes there too
    assert process.stdout is not None and process.stdout.readline().startswith("[")
    marked = _processes_marked(marker)
    assert len(marked) >= 4  # the build, the forkserver, two workers
    command = (Path("/proc") / str(process.pid) / "cmdline").read_bytes()
    children = {p: cmdline for p in marked
                if (cmdline := _child_command(p, process.pid)) is not None}
    interpreters = [c for c in children.values()  # not fc-list, which the font check runs
                    if c.split(b"\0")[0] == command.split(b"\0")[0]]  # while the workers render
    assert interpreters == [command, command], children  # the forkserver, the resource tracker
    [folder] = tmp_path.glob(f"hscourse-{process.pid}-*")
    assert folder.stat().st_mode & 0o777 == 0o700 and (folder / "server").is_socket()
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while _processes_marked(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_marked(marker) == []
    assert list(tmp_path.glob("hscourse-*")) == []


ORPHANED_FORKSERVER = """
import ctypes, os, subprocess, sys
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: orphans of the build come here
subprocess.run([sys.executable, "-c", *sys.argv[1:]], check=True)
codes = []
while True:
    try:
        codes.append(os.waitstatus_to_exitcode(os.wait()[1]))
    except ChildProcessError:
        break
print(sorted(codes))
"""

STARTS_THE_SERVER_AND_ENDS = """
import sys, threading
from hscourse.render.server import start_server, start_workers_from_a_server
start_workers_from_a_server()
if sys.argv[1] == "spawned":  # with a second thread running, the server is not forked
    threading.Thread(target=threading.Event().wait, daemon=True).start()
start_server()
starting = [t for t in threading.enumerate() if t.name == "hscourse-start-server"]
assert len(starting) == (sys.argv[1] == "spawned"), starting
for thread in starting:
    thread.join()
"""


@pytest.mark.parametrize("how", ["forked", "spawned"])
def test_a_build_that_ends_early_ends_the_forkserver_in_the_middle_of_its_import(how: str
                                                                                 ) -> None:
    """The command line starts the forkserver before it knows whether it will render (a build
    may be up to date, or fail at once). A build that ends at once must not leave it
    importing the renderer (most of a second), holding the build's output pipes open: it
    ends with its parent (status 1, render/preload.py), where a forkserver that finished
    its import would leave its loop with status 0. Run under a subreaper, which collects
    the orphaned forkserver (and the resource tracker, when multiprocessing started it)
    and reports how they ended. The server is forked from the build where it can be, and
    started by multiprocessing where not (render/server.py): both end alike."""
    done = subprocess.run([sys.executable, "-c", ORPHANED_FORKSERVER, STARTS_THE_SERVER_AND_ENDS,
                           how], capture_output=True, text=True, check=True)
    assert 1 in json.loads(done.stdout), done.stdout


def test_the_builds_work_beside_the_render_is_raised_before_a_render_error() -> None:
    """build.Meanwhile: the content's checks run in a thread while the workers render; their
    refusal is what the build reports, also when a render failed meanwhile."""
    from hscourse.build import Meanwhile

    ran: list[str] = []
    done = Meanwhile(lambda: ran.append("checked"))
    done.finish()  # never started: nothing to wait for
    done.start()
    done.finish()
    assert ran == ["checked"]

    def refuse() -> None:
        raise ContentError([])

    refused = Meanwhile(refuse)
    refused.start()
    with pytest.raises(ContentError):
        try:
            raise RuntimeError("a render failed")
        finally:
            refused.finish()
