"""Atomic output: a build that fails or is killed part-way leaves the previous dist/ intact."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hscourse import output
from hscourse.output import MANIFEST, Output, publish, read_manifest, sha256, write_atomic

from conftest import copy_built, prebuilt_example

HSCOURSE = [sys.executable, "-m", "hscourse"]


def entry(path: str, data: bytes) -> Output:
    return Output(path, "student", "handout", "m", sha256(data))


def snapshot(dist: Path) -> dict[str, bytes]:
    return {p.relative_to(dist).as_posix(): p.read_bytes() for p in dist.rglob("*") if p.is_file()}


def temporaries(dist: Path) -> list[Path]:
    return [p for p in dist.rglob("*") if p.name.endswith(".tmp")]


def test_write_atomic_mode_and_no_leftovers(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "a" / "x.pdf", b"new")
    finally:
        os.umask(old)
    target = tmp_path / "a" / "x.pdf"
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert temporaries(tmp_path) == []


def test_write_atomic_failure_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.pdf"
    target.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert temporaries(tmp_path) == []


def test_publish_failure_part_way_changes_nothing(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "dist"
    publish(dist, {entry("student/a.pdf", b"A1"): b"A1", entry("student/b.pdf", b"B1"): b"B1"})
    before = snapshot(dist)
    real_stage, calls = output.stage, []

    def stage_then_fail(target: Path, data: bytes, mode: int = 0o644) -> str:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_stage(target, data, mode)

    monkeypatch.setattr(output, "stage", stage_then_fail)
    with pytest.raises(output.OutputError, match="No space left on device; nothing was changed"):
        publish(dist, {entry("student/a.pdf", b"A2"): b"A2", entry("student/b.pdf", b"B2"): b"B2"})
    assert snapshot(dist) == before
    assert temporaries(dist) == []


def test_publish_replaces_removes_stale_and_cleans_temporaries(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    publish(dist, {entry("student/a.pdf", b"A"): b"A", entry("student/old.pdf", b"O"): b"O"})
    leftover = dist / "student" / f"{output.TEMP_PREFIX}a.pdf.x1{output.TEMP_SUFFIX}"
    leftover.write_bytes(b"from a killed build")
    publish(dist, {entry("student/a.pdf", b"A2"): b"A2"})
    assert snapshot(dist).keys() == {"student/a.pdf", MANIFEST, output.STATE}
    assert [o.path for o in read_manifest(dist)] == ["student/a.pdf"]
    assert temporaries(dist) == []


@pytest.mark.parametrize("path", ["../x.pdf", "/etc/x.pdf", "a//b.pdf", "", "student/con.pdf",
                                  "a\\b.pdf", "student/./x.pdf"])
def test_output_paths_never_leave_dist(path: str) -> None:
    with pytest.raises(ValueError, match="unsafe output path"):
        Output(path, "student", "handout", "m", "0")


def test_tampered_manifest_cannot_delete_outside_dist(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (dist / MANIFEST).write_text(json.dumps({"outputs": [
        {"path": "../victim.txt", "audience": "student", "kind": "x", "module": "m",
         "sha256": "0"}]}))
    publish(dist, {entry("student/a.pdf", b"A"): b"A"})
    assert victim.read_text() == "keep me"


@pytest.fixture
def built_course(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, dict[str, bytes]]:
    """A built copy of the example course (a copy of one built once per run), then edited so
    that the next build differs."""
    root = copy_built(prebuilt_example(tmp_path_factory), tmp_path / "course")
    before = snapshot(root / "dist")
    module = root / "modules" / "example" / "module.yaml"
    module.write_text(module.read_text(encoding="utf-8").replace(
        "title: An Example Module", "title: An Edited Module"), encoding="utf-8")
    return root, before


def test_build_killed_mid_way_leaves_previous_dist(built_course: tuple[Path, dict[str, bytes]]
                                                   ) -> None:
    root, before = built_course
    process = subprocess.Popen([*HSCOURSE, "build", "-p", str(root)], stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None
    first = process.stdout.readline()  # the first progress line: rendering has begun
    assert first.strip() and process.poll() is None, first
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(root / "dist") == before
    assert temporaries(root / "dist") == []


COMMIT_INTERRUPTED = """
import os, signal, sys
from pathlib import Path
from hscourse import output
from hscourse.output import Output, publish, sha256

real_replace = os.replace
def replace_then_terminate(src, dst):
    real_replace(src, dst)
    os.kill(os.getpid(), signal.SIGTERM)   # arrives after the first rename of the commit
output.os.replace = replace_then_terminate
files = {Output(f"student/{n}.pdf", "student", "handout", "m", sha256(b"new" + n.encode())):
         b"new" + n.encode() for n in ("a", "b", "c")}
publish(Path(sys.argv[1]), files)
print("published")
"""


def test_termination_during_commit_is_held_until_the_manifest_is_written(tmp_path: Path) -> None:
    """SIGTERM in the rename phase takes effect only once dist/ is complete and consistent."""
    dist = tmp_path / "dist"
    publish(dist, {entry(f"student/{n}.pdf", b"old" + n.encode()): b"old" + n.encode()
                   for n in ("a", "b", "c")})
    done = subprocess.run([sys.executable, "-c", COMMIT_INTERRUPTED, str(dist)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert "published" not in done.stdout
    files = snapshot(dist)
    manifest = read_manifest(dist)
    assert {o.path for o in manifest} == {"student/a.pdf", "student/b.pdf", "student/c.pdf"}
    assert all(sha256(files[o.path]) == o.sha256 for o in manifest)
    assert files["student/a.pdf"] == b"newa"
    assert temporaries(dist) == []
