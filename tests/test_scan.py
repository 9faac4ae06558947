"""Reading scanned answer sheets, measured on simulated scans (tests/scansim.py) whose truth
is known: clear marks read right, ambiguous marks flagged, no student ID silently wrong."""

from __future__ import annotations

import copy
import csv
import io
import shutil
import stat
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from hscourse.assess.scan import read_page
from hscourse.assess.scanning import (
    assemble,
    quiz_layouts,
    read_decisions,
    read_scans,
    responses_csv,
    scan,
)
from hscourse.assess.sheets import sheets_for_quiz
from hscourse.cli import main
from hscourse.course.resolve import load_resolved
from hscourse.errors import ContentError

from conftest import REPO
from scansim import AMBIGUOUS, Simulator, Tally, render_sheets, synthetic_sheet

PAGES = 24  # simulated pages measured here (scripts/bench.py --only scan reads 1,000)


@pytest.fixture(scope="module")
def simulator() -> Simulator:
    course = load_resolved(REPO)
    return Simulator(render_sheets(course, [synthetic_sheet("A"), synthetic_sheet("B")]))


def layouts_of(simulator: Simulator) -> dict:
    return {form: value[0] for form, value in simulator.sheets.items()}


def test_simulated_scans_are_read_right_or_flagged(simulator: Simulator) -> None:
    layouts, tally, elapsed = layouts_of(simulator), Tally(), 0.0
    for index in range(PAGES):
        page = simulator.page(index)
        start = time.perf_counter()
        read = read_page(page.image, layouts, "sim", index + 1)
        elapsed += time.perf_counter() - start
        tally.add(page.truth, read)
    print(f"\n{tally.report()}; {PAGES / elapsed:.1f} pages/s in one process")
    assert tally.clear > 800 and tally.ambiguous > 100
    assert tally.clear_wrong == 0
    assert tally.rates()["clear_correct"] >= 0.995
    assert tally.ambiguous_flagged == tally.ambiguous
    assert tally.ids_wrong == 0
    assert tally.unreadable <= 1


def test_pages_photographed_at_an_angle(simulator: Simulator) -> None:
    layouts, tally = layouts_of(simulator), Tally()
    for index in range(1000, 1004):
        page = simulator.page(index, "photo")
        tally.add(page.truth, read_page(page.image, layouts, "photo", index))
    print(f"\nphotographed at an angle: {tally.report()}")
    assert tally.unreadable == 0
    assert tally.clear_wrong == 0 and tally.ids_wrong == 0
    assert tally.ambiguous_flagged == tally.ambiguous
    assert tally.rates()["clear_correct"] >= 0.98


def test_a_page_that_is_not_a_sheet_is_flagged_not_read(simulator: Simulator) -> None:
    blank = np.full((1650, 1275), 250, np.uint8)
    read = read_page(blank, layouts_of(simulator), "blank.png", 1)
    assert [f.field for f in read.flags] == ["page"] and read.flags[0].crop
    assert read.answers == {} and read.student_id is None


def test_a_covered_marker_makes_the_page_unreadable(simulator: Simulator) -> None:
    page = simulator.page(3, "scan")
    image = page.image.copy()
    h, w = image.shape
    image[int(0.85 * h):, :int(0.2 * w)] = 250  # a bottom corner, torn off
    read = read_page(image, layouts_of(simulator), "torn.png", 1)
    assert "page" in {f.field for f in read.flags}
    assert read.answers == {}


# The whole flow, on the shipped course's own sheets -------------------------------------------

@pytest.fixture(scope="module")
def course_scans(tmp_path_factory: pytest.TempPathFactory):
    """A copy of the shipped course with two forms and answer sheets, a roster, and eight
    filled-in sheets scanned as PNG, JPEG and one two-page PDF."""
    root = tmp_path_factory.mktemp("scan") / "course"
    shutil.copytree(REPO / "modules", root / "modules")
    shutil.copy2(REPO / "course.yaml", root / "course.yaml")
    with (root / "course.yaml").open("a", encoding="utf-8") as handle:
        handle.write("versions: 2\nanswer_sheets: true\nanswer_sheet:\n  id_digits: 6\n"
                     "roster: roster.csv\n")
    course = load_resolved(root)
    sheets = sheets_for_quiz(course, "water-conflict")
    simulator = Simulator(render_sheets(course, sheets), seed=7)
    pages = [simulator.page(i, "scan") for i in range(8)]
    roster = {p.truth.student_id: f"Student {i}" for i, p in enumerate(pages)}
    (root / "roster.csv").write_text("student_id,name\n" + "".join(
        f"{k},{v}\n" for k, v in roster.items()), encoding="utf-8")
    scans = root / "scans"
    scans.mkdir()
    files = []
    for i, page in enumerate(pages[:6]):
        path = scans / f"p{i}.{'png' if i % 2 else 'jpg'}"
        cv2.imwrite(str(path), page.image)
        files.append(path)
    pdf = scans / "batch.pdf"
    images = [Image.fromarray(p.image) for p in pages[6:]]
    images[0].save(pdf, save_all=True, append_images=images[1:], resolution=200)
    files.append(pdf)
    return load_resolved(root), files, pages, roster


def truth_decisions(path: Path, pages: list, files: list[Path]) -> Path:
    """Settle every open flag with the truth, as an instructor looking at the crops would."""
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    where = {(str(f), 1): p for f, p in zip(files, pages)}
    where.update({(str(files[-1]), k + 1): p for k, p in enumerate(pages[6:])})
    for row in rows:
        page = where[(row["file"], int(row["scan_page"]))]
        if row["field"] == "student_id":
            row["decision"] = page.truth.student_id
        elif row["field"].isdigit():
            answer = page.truth.answers[int(row["field"])]
            row["decision"] = "omit" if answer in ("", AMBIGUOUS) else answer
    out = path.with_name("decided.csv")
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out


def test_scan_flags_then_writes_responses_after_decisions(course_scans, tmp_path: Path) -> None:
    course, files, pages, roster = course_scans
    output = tmp_path / "private" / "responses.csv"
    report = scan(course, "water-conflict", files, output, jobs=2)
    assert report.outcome.pending and not output.exists()
    review, decisions = report.written
    assert review.read_bytes().startswith(b"%PDF") and review.name == "scan-review.pdf"
    assert stat.S_IMODE(review.stat().st_mode) == 0o600
    assert stat.S_IMODE(output.parent.stat().st_mode) == 0o700
    settled = truth_decisions(decisions, pages, files)
    report = scan(course, "water-conflict", files, output, settled, jobs=1)
    assert not report.outcome.pending
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    header = output.read_text(encoding="utf-8").splitlines()[0].split(",")
    layouts = quiz_layouts(course, "water-conflict")
    count = len(next(iter(layouts.values()))["questions"])
    assert header == ["student_id", "name", "form"] + [str(n) for n in range(1, count + 1)]
    by_id = {row["student_id"]: row for row in rows}
    assert sorted(by_id) == sorted(p.truth.student_id for p in pages)
    for page in pages:
        row = by_id[page.truth.student_id]
        assert row["form"] == page.truth.form and row["name"] == roster[page.truth.student_id]
        for number, answer in page.truth.answers.items():
            if answer != AMBIGUOUS:
                assert row[str(number)] == answer, (page.truth.student_id, number)


@pytest.fixture(scope="module")
def course_reads(course_scans):
    course, files, _, _ = course_scans
    layouts = quiz_layouts(course, "water-conflict")
    return layouts, read_scans(files, layouts, jobs=1)


def test_a_decision_that_does_not_fit_names_file_and_row(course_reads, tmp_path: Path) -> None:
    layouts, reads = course_reads
    outcome = assemble(copy.deepcopy(reads), layouts, {})
    flag = next(p for p in outcome.pending if p.flag.field.isdigit())
    bad = tmp_path / "decisions.csv"
    bad.write_text("file,scan_page,field,found,decision\n"
                   f"{flag.read.file},{flag.read.index},{flag.flag.field},x,Z\n", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        assemble(copy.deepcopy(reads), layouts, read_decisions(bad), decisions_file=str(bad))
    assert f"{bad}:2:5: decision: 'Z' is not a decision" in str(error.value)


def test_an_id_not_on_the_roster_is_flagged(course_reads) -> None:
    layouts, reads = course_reads
    outcome = assemble(copy.deepcopy(reads[:1]), layouts, {}, roster={"000000": "Nobody"})
    assert "student_id" in {p.flag.field for p in outcome.pending}
    assert not outcome.rows and responses_csv(outcome).count(b"\n") == 1


def test_the_same_student_twice_is_flagged_and_a_skip_settles_it(course_reads) -> None:
    layouts, reads = course_reads
    clean = [r for r in copy.deepcopy(reads) if not r.flags]
    twice = clean + [copy.deepcopy(clean[0])]
    twice[-1].index = 99
    outcome = assemble(twice, layouts, {})
    assert [p.flag.field for p in outcome.pending] == ["page"]
    assert "also on" in outcome.pending[0].flag.found
    outcome = assemble(copy.deepcopy(twice), layouts,
                       {(twice[-1].file, 99, "page"): ("skip", 2)})
    assert not outcome.pending and len(outcome.rows) == len(clean)


def test_cli_scan_exits_1_while_decisions_are_open(course_scans, tmp_path: Path) -> None:
    course, files, _, _ = course_scans
    result = CliRunner().invoke(main, ["scan", *map(str, files[:3]), "-p", str(course.root),
                                       "--quiz", "water-conflict", "-o",
                                       str(tmp_path / "r.csv"), "-j", "1"])
    assert result.exit_code == 1, result.output
    assert "decisions needed" in result.output and (tmp_path / "scan-review.pdf").exists()
    result = CliRunner().invoke(main, ["scan", str(files[0]), "-p", str(course.root),
                                       "--quiz", "nope", "-o", str(tmp_path / "r.csv")])
    assert result.exit_code == 2 and "not a module" in result.output
