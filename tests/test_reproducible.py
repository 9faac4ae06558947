"""Reproducible output: the same inputs give byte-identical PDFs, zips and manifest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from hscourse.build import BuildResult, build
from hscourse.output import ZIP_EPOCH, zip_bytes
from hscourse.render.pdf import source_date_epoch, write_pdf

EXAMPLE = Path(__file__).parent / "fixtures" / "course"
HTML = ('<!DOCTYPE html><html lang="en"><head><title>Same</title></head>'
        '<body><h1>Same input</h1><p>Twice rendered, once seen.</p></body></html>')


def files(dist: Path) -> dict[str, bytes]:
    """Every output (the build's own lock and size/mtime record, hidden files, left out)."""
    return {p.relative_to(dist).as_posix(): p.read_bytes() for p in dist.rglob("*")
            if p.is_file() and not p.name.startswith(".hscourse")}


def test_two_builds_are_byte_identical(example_build: BuildResult, tmp_path: Path) -> None:
    """A build of its own against the example build of this run (conftest), made by another
    build, perhaps in another process."""
    first = files(example_build.dist)
    second = files(build(EXAMPLE, dist=tmp_path / "two").dist)
    assert "manifest.json" in first and any(name.endswith(".pdf") for name in first)
    assert first == second


def test_the_command_line_builds_the_same_bytes(example_build: BuildResult,
                                               tmp_path: Path) -> None:
    """`hscourse build` in a fresh process starts its workers from the forkserver (with the
    renderer imported, render/preload.py); a build in this process forks them from a process
    that has rendered other documents. Neither may change a byte."""
    course = shutil.copytree(EXAMPLE, tmp_path / "course")
    (tmp_path / "tmp").mkdir()
    done = subprocess.run([sys.executable, "-m", "hscourse", "build", "-q", "-j", "2", "-p",
                           str(course)], capture_output=True, text=True, check=False,
                          env={**os.environ, "TMPDIR": str(tmp_path / "tmp")})
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "tmp").glob("hscourse-*")) == []  # the forkserver's socket
    ours, theirs = files(course / "dist"), files(example_build.dist)
    # The manifest's digest of the inputs covers the course's folder, which differs here
    outputs = [json.loads(f.pop("manifest.json"))["outputs"] for f in (ours, theirs)]
    assert outputs[0] == outputs[1] and ours == theirs


def test_pdf_dates_come_from_the_course_date(tmp_path: Path) -> None:
    pdf = write_pdf(HTML, tmp_path, date="2026-09-01")
    info = PdfReader(BytesIO(pdf)).metadata
    assert info["/CreationDate"].startswith("D:20260901") and info["/ModDate"] == info["/CreationDate"]


def test_source_date_epoch_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert PdfReader(BytesIO(write_pdf(HTML, tmp_path))).metadata.get("/CreationDate") is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert source_date_epoch("2026-09-01") == 1700000000
    info = PdfReader(BytesIO(write_pdf(HTML, tmp_path))).metadata
    assert info["/CreationDate"].startswith("D:20231114")


def test_fonttools_subsetting_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without HarfBuzz, fontTools subsets and stamps each font with the time unless
    SOURCE_DATE_EPOCH is set; write_pdf sets it, so a changing clock changes nothing."""
    import fontTools.misc.timeTools as time_tools
    import weasyprint.pdf.fonts as fonts

    class Clock:
        now = 1_800_000_000.0

        def time(self) -> float:
            self.now += 86_400 * 400
            return self.now

    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    monkeypatch.setattr(time_tools, "time", Clock())
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert write_pdf(HTML, tmp_path, date="2026-09-01") == write_pdf(HTML, tmp_path,
                                                                      date="2026-09-01")


def test_zips_are_reproducible() -> None:
    one = zip_bytes({"b.txt": b"B", "a/x.pdf": b"%PDF"})
    two = zip_bytes({"a/x.pdf": b"%PDF", "b.txt": b"B"})
    assert one == two
    with zipfile.ZipFile(BytesIO(one)) as archive:
        assert archive.namelist() == ["a/x.pdf", "b.txt"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    later = zip_bytes({"b.txt": b"B"}, epoch=ZIP_EPOCH + 86_400)
    assert zipfile.ZipFile(BytesIO(later)).infolist()[0].date_time == (1980, 1, 2, 0, 0, 0)
    with pytest.raises(ValueError, match="unsafe zip member"):
        zip_bytes({"../evil": b""})
