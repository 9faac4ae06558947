#!/usr/bin/env python3
"""Pages and render time against LaTeX's `exam` class (issue 23), run by `make bench`.

Three courses: the shipped one, the tests' example course (tests/fixtures/course: one module
with an item of every kind), and one of the issue's shape (4 modules, each a ~300-word
reading, 5 discussion questions, 20 four-option multiple-choice and 5 true/false items). For
each, hscourse builds it cold with --jobs 2, and the same modules are written as exam-class
LaTeX (scripts/exam-class/module.tex.j2: the quiz as the student copy; the key with what the
guide shows: overview, objectives, teaching notes, readings with citations and notes,
updates, discussion with its notes, every item with its answer, feedback, rubric and
explanation; only hscourse's compact key table is left out) and compiled by pdflatex, two
passes as latexmk would, 2 processes.

Targets: hscourse's quiz + guide at most 1.2x the pages of exam's student + key; a cold build
at most 3x exam's time; a one-module edit rebuilt in under 1.2 s. Times are wall clock, the
median of --repeat runs, hscourse and exam interleaved. The cold build is timed twice: the
whole `hscourse build` (it also makes the handouts, exports and data files that exam does not)
and the same quiz and guide PDFs alone, rendered as the build renders them (fresh interpreter,
2 worker processes, leak check on). The edit changes one quiz item's prompt in the first
module, so its quiz and guide are rendered again: timed in `hscourse build --watch`'s warm
process (hscourse.watch.Rebuilder) and as a fresh `hscourse build`. Needs pdflatex and
exam.cls (Debian: texlive-latex-extra); without them it says so and stops.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jinja2
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from hscourse.course.resolve import load_resolved  # noqa: E402

WORDS = ("security state people water river dam treaty border conflict cooperation basin "
         "government community protection rights refugees climate development policy region "
         "agreement dispute resources farmers city provinces history evidence argument report "
         "scholars official statement council mission peacekeeping troops responsibility").split()
LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                 "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                 "^": r"\textasciicircum{}"}


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, words: int) -> str:
    out, left = [], words
    while left > 0:
        n = min(left, rng.randint(12, 22))
        out.append(sentence(rng, n))
        left -= n
    return " ".join(out)


def issue_course(target: Path) -> Path:
    """The issue's course: 4 modules of a reading, 5 questions, 20 MC and 5 T/F items."""
    rng = random.Random(23)
    ids = []
    for m in range(1, 5):
        module_id = f"module-{m}"
        quiz: list[dict[str, Any]] = []
        for q in range(1, 21):
            right = rng.randrange(4)
            quiz.append({"id": f"m{m}-mc{q}", "type": "single_choice",
                         "prompt": sentence(rng, rng.randint(12, 20))[:-1] + "?", "points": 1,
                         "explanation": sentence(rng, 14),
                         "options": [{"text": sentence(rng, rng.randint(3, 8))[:-1],
                                      **({"correct": True} if i == right else {})}
                                     for i in range(4)]})
        for q in range(1, 6):
            quiz.append({"id": f"m{m}-tf{q}", "type": "true_false", "points": 1,
                         "prompt": sentence(rng, rng.randint(10, 16)),
                         "answer": rng.random() < 0.5, "explanation": sentence(rng, 12)})
        data = {"id": module_id, "title": f"Module {m}: " + sentence(rng, 4)[:-1],
                "overview": paragraph(rng, 60), "objectives": [sentence(rng, 8)],
                "readings": [{"id": f"r{m}", "authors": ["Author, A."], "title": "A reading",
                              "date": "2020", "notes": paragraph(rng, 300)}],
                "discussion": [{"id": f"m{m}-d{d}", "prompt": sentence(rng, 18)[:-1] + "?",
                                "facilitation": sentence(rng, 20)} for d in range(1, 6)],
                "quiz": quiz}
        folder = target / "modules" / module_id
        folder.mkdir(parents=True)
        (folder / "module.yaml").write_text(yaml.safe_dump(data, sort_keys=False),
                                            encoding="utf-8")
        ids.append(module_id)
    (target / "course.yaml").write_text(yaml.safe_dump({
        "title": "Density", "code": "DEN 1", "language": "en", "paper": "A4",
        "date": "2027-01-11", "secret": "0123456789abcdef0123", "modules": ids}),
        encoding="utf-8")
    return target


def latex(markdown: str) -> str:
    """Content Markdown as LaTeX text: emphasis and links dropped to their words, specials
    escaped, characters pdflatex cannot set (Chinese) replaced by a letter. Enough for a
    page count."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[*`]", "", text)
    return "".join(LATEX_SPECIAL.get(c, c) if ord(c) < 0x250 or c in "–—‘’“”…·" else
                   "" if c == "\u2060" else "M" for c in text)  # pdflatex sets no CJK: a stand-in


def question(item: dict[str, Any], longest_for_columns: int = 18) -> dict[str, Any]:
    q: dict[str, Any] = {"points": f"{item['points']:g}", "prompt": latex(item["prompt"]),
                         "explanation": latex(item.get("explanation", "")), "stimulus": "",
                         "rubric": [{"criterion": latex(c["criterion"]),
                                     "points": f"{c['points']:g}"}
                                    for c in item.get("rubric", [])]}
    kind = item["type"]
    if kind in ("single_choice", "multiple_answer"):
        longest = max(len(o["text"]) for o in item["options"])
        q.update(kind="choice", options=[{"text": latex(o["text"]),
                                          "correct": bool(o.get("correct")),
                                          "feedback": latex(o.get("feedback", ""))}
                                         for o in item["options"]],
                 environment="oneparchoices" if longest <= longest_for_columns else "choices")
    elif kind == "true_false":
        q.update(kind="tf", answer=item["answer"])
    elif kind == "matching":  # a blank before each entry, the lettered choices beside them
        rights = sorted(p["right"] for p in item["pairs"])
        q.update(kind="matching", rights=[latex(r) for r in rights],
                 lefts=[{"text": latex(p["left"]), "answer": "ABCDEFGHIJ"[rights.index(p["right"])]}
                        for p in item["pairs"]])
    elif kind == "ordering":  # the entries in a stable order other than the key's, a blank each
        entries = sorted(item["correct_order"])
        q.update(kind="ordering", entries=[
            {"text": latex(e), "answer": item["correct_order"].index(e) + 1} for e in entries])
    else:
        answer = item.get("model_answer") or "; ".join(item.get("accepted_answers", []))
        q.update(kind="lines", answer=latex(answer),
                 lines=item.get("answer_lines", 12 if kind == "essay" else 2))
    return q


def tex_files(course_root: Path, out: Path) -> list[Path]:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(REPO / "scripts" / "exam-class"),
                             block_start_string="((*", block_end_string="*))",
                             variable_start_string="<<", variable_end_string=">>",
                             autoescape=False, trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("module.tex.j2")
    course = load_resolved(course_root)
    files = []
    for module in course.modules:
        data = module.data
        questions = [question(i) for i in data.get("quiz", [])]
        stimuli = {s["id"]: latex(s["text"]) for s in data.get("stimuli", [])}
        for item, q in zip(data.get("quiz", []), questions):
            if item.get("stimulus") and item["stimulus"] in stimuli:
                q["stimulus"] = stimuli.pop(item["stimulus"])  # before its first item
        notes = data.get("instructor_notes", {})
        values = {"course": latex(course.settings.code), "title": latex(data["title"]),
                  "paper": course.settings.paper, "questions": questions,
                  "total": f"{sum(i['points'] for i in data.get('quiz', [])):g}",
                  "overview": latex(data["overview"]),
                  "advisory": latex(data.get("advisory", "")),
                  "objectives": [latex(o["text"] if isinstance(o, dict) else o)
                                 for o in data["objectives"]],
                  "session_plan": [{"minutes": s["minutes"], "activity": latex(s["activity"])}
                                   for s in notes.get("session_plan", [])],
                  "teaching_notes": latex(notes.get("notes", "")),
                  "updates": [latex(f"{u['date']} {u.get('title', '')}: {u['text']}")
                              for u in data.get("updates", [])],
                  "readings": [{"title": latex(r["title"]), "notes": latex(r["notes"]),
                                "citation": latex("; ".join(r["authors"]) + ". " + r["title"]
                                                  + ". " + r.get("publisher", "") + " "
                                                  + r["date"] + ". " + r.get("url", "")),
                                "instructor_notes": latex(r.get("instructor_notes", ""))}
                               for r in data["readings"]],
                  "discussion": [{"prompt": latex(d["prompt"]),
                                  "notes": latex(" ".join(d.get(k, "") for k in (
                                      "strong_answer", "misconception", "facilitation")))}
                                 for d in data.get("discussion", [])]}
        for key in (False, True):
            path = out / f"{module.id}-{'key' if key else 'student'}.tex"
            path.write_text(template.render(key=key, **values), encoding="utf-8")
            files.append(path)
    return files


def pdflatex(tex: Path) -> None:
    for _ in range(2):  # \numpages needs the second pass
        subprocess.run(["pdflatex", "-interaction=batchmode", "-halt-on-error", tex.name],
                       cwd=tex.parent, check=True, stdout=subprocess.DEVNULL)


def pages(pdf: Path) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


QUIZ_AND_GUIDE = """
import sys, time
from pathlib import Path
start = time.perf_counter()
from hscourse.render.server import start_server, start_workers_from_a_server
start_workers_from_a_server()  # as the command line does, before it imports the rest
start_server()
from hscourse.course.resolve import load_resolved
from hscourse.render.documents import iter_documents
from hscourse.render.workers import Job, Renderer, build_context
with Renderer(2) as renderer:
    course = load_resolved(Path(sys.argv[1]))
    context = build_context(course, None, True)
    jobs = (Job(d.entry.path, d.html, d.entry.audience == "student", d.folders)
            for d in iter_documents(course) if d.entry.kind in ("quiz", "guide"))
    results = renderer.render(jobs, context)
assert all(isinstance(r, bytes) for r in results.values()), results
print(time.perf_counter() - start)
import gc
gc.freeze()  # as the command line does on its way out (hscourse.cli.run)
"""


def hscourse_cold(course_root: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hscourse", "build", "-q", "--force", "-j", "2"],
                   cwd=course_root, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def quiz_and_guide(course_root: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", QUIZ_AND_GUIDE, str(course_root)], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def exam_cold(files: list[Path]) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(pdflatex, files))
    return time.perf_counter() - start


def edit_prompt(course_root: Path, n: int) -> None:
    """Change the first quiz item's prompt of the first module (its quiz and guide change)."""
    module = load_resolved(course_root).modules[0]
    path = course_root / module.source.file
    text = path.read_text(encoding="utf-8")
    word = module.data["quiz"][0]["prompt"].split()[0]
    at = text.index(word, text.index("prompt:", text.index("\nquiz:")))
    path.write_text(f"{text[:at]}{word} ({n}){text[at + len(word):]}", encoding="utf-8")


def edits(course_root: Path, repeat: int) -> tuple[float, float]:
    """Median seconds to rebuild after a one-module edit: warm (--watch), and cold."""
    from hscourse.options import Options
    from hscourse.render.server import start_workers_from_a_server
    from hscourse.watch import Rebuilder

    start_workers_from_a_server()  # as `hscourse build --watch` does
    warm = []
    rebuilder = Rebuilder(course_root, options=Options(jobs=2))
    try:
        rebuilder.rebuild()
        for n in range(repeat):
            edit_prompt(course_root, n + 1)
            rebuilt = rebuilder.rebuild()
            assert rebuilt.result is not None and rebuilt.result.rendered, rebuilt
            warm.append(rebuilt.seconds)
    finally:
        rebuilder.close()
    cold = []
    for n in range(repeat):
        edit_prompt(course_root, repeat + n + 1)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hscourse", "build", "-q", "-j", "2"],
                       cwd=course_root, check=True, stderr=subprocess.DEVNULL)
        cold.append(time.perf_counter() - start)
    return statistics.median(warm), statistics.median(cold)


def compare(name: str, course_root: Path, work: Path, repeat: int) -> None:
    work.mkdir()
    files = tex_files(course_root, work)
    ours, ours8, theirs = [], [], []
    for _ in range(repeat):  # interleaved, so that drift in the machine weighs on all alike
        ours.append(hscourse_cold(course_root))
        ours8.append(quiz_and_guide(course_root))
        theirs.append(exam_cold(files))
    full, matching, latex = (statistics.median(v) for v in (ours, ours8, theirs))
    dist = course_root / "dist"
    print(f"{name}:")
    totals = [0, 0, 0, 0]
    for module in load_resolved(course_root).modules:
        counts = [pages(dist / "student" / f"{module.id}-quiz.pdf"),
                  pages(dist / "instructor" / f"{module.id}-guide.pdf"),
                  pages(work / f"{module.id}-student.pdf"), pages(work / f"{module.id}-key.pdf")]
        totals = [a + b for a, b in zip(totals, counts)]
        print(f"  {module.id:<22} hscourse quiz {counts[0]:3d} + guide {counts[1]:3d}   "
              f"exam student {counts[2]:3d} + key {counts[3]:3d}")
    ratio = (totals[0] + totals[1]) / (totals[2] + totals[3])
    print(f"  pages: hscourse {totals[0] + totals[1]} against exam {totals[2] + totals[3]} = "
          f"{ratio:.2f}x (target <= 1.2)  {'ok' if ratio <= 1.2 else 'MISSED'}")
    print(f"  time: exam, 2 processes, 2 passes: {latex:.2f} s")
    for label, value in (("hscourse, quiz and guide PDFs, 2 workers", matching),
                         ("hscourse build -j 2 (all it makes)", full)):
        print(f"  time: {label}: {value:.2f} s = {value / latex:.2f}x exam (target <= 3)  "
              f"{'ok' if value <= 3 * latex else 'MISSED'}")
    warm, cold = edits(course_root, repeat)
    print(f"  one-module edit (a quiz prompt): build --watch {warm:.2f} s (target < 1.2)  "
          f"{'ok' if warm < 1.2 else 'MISSED'}; a fresh hscourse build {cold:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--only", choices=["shipped", "example", "issue"],
                        help="measure one course")
    args = parser.parse_args()
    if not shutil.which("pdflatex") or subprocess.run(
            ["kpsewhich", "exam.cls"], capture_output=True, text=True).stdout.strip() == "":
        print("density: pdflatex with exam.cls is not installed (Debian: texlive-latex-extra); "
              "skipped")
        return 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.only in (None, "shipped"):
            shipped = tmp / "shipped"
            shutil.copytree(REPO / "modules", shipped / "modules")
            shutil.copy2(REPO / "course.yaml", shipped / "course.yaml")
            compare("shipped course", shipped, tmp / "shipped-tex", args.repeat)
        if args.only in (None, "example"):
            example = tmp / "example"
            shutil.copytree(REPO / "tests" / "fixtures" / "course", example)
            compare("the example course (tests/fixtures/course)", example, tmp / "example-tex",
                    args.repeat)
        if args.only in (None, "issue"):
            compare("the issue's course", issue_course(tmp / "issue"), tmp / "issue-tex",
                    args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
