"""Class print sets: one PDF per quiz or exam holding a copy for every student.

Copies take the quiz's forms in turn (A, B, C, A...) so that neighbours get different forms,
and each copy is padded with a blank page to an even page count, so that duplex printing never
puts two students on one sheet of paper. With a roster, the first copies carry each student's
name and ID in the boxes of an exam's cover: a "names" document renders, per student, the
exam's cover with everything but the name and ID hidden (so they land where the boxes are),
and its pages are laid over the covers. A print set holds the roster's names, so it is an
instructor output (private), like the class answer sheets. The PDFs are assembled with pikepdf
from the rendered forms and saved with a deterministic id: the same inputs give the same bytes.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from hscourse.assess.sheets import read_roster
from hscourse.course.load import Document
from hscourse.course.model import Course, Module
from hscourse.errors import ContentError, Diagnostic
from hscourse.output import Output, sha256

FOLDER = "instructor/print-sets"


def print_set_quizzes(course: Course) -> list[Module]:
    """The quizzes (modules' and exams') for which a print set is asked."""
    return [m for m in course.quizzes()
            if m.data.get("quiz") and course.quiz_setting(m, "print_set")]


def copies_for(course: Course, module: Module) -> list[dict[str, str] | None]:
    """One entry per copy: a roster student (name and ID on the cover), or None (blank), as
    many as `print_copies` asks or, without it, one per roster student."""
    roster = read_roster(course) or []
    wanted = course.quiz_setting(module, "print_copies")
    if wanted is None and not roster:
        raise ContentError([_where_asked(course, module).diagnostic(
            _path_asked(course, module), f"a print set of {module.id!r} needs the class size: "
            "add `print_copies: N`, or a `roster` CSV (student_id, name)")])
    count = max(int(wanted or 0), len(roster))
    return [*roster, *[None] * (count - len(roster))]


def _path_asked(course: Course, module: Module) -> tuple[object, ...]:
    exam = course.exam(module.id)
    if exam is not None and "print_set" in exam.settings:
        return (*exam.where, "print_set")
    return ("print_set",)


def _where_asked(course: Course, module: Module) -> Document:
    """The file that asked for this print set: the exam's, or the last of course.yaml and
    the term that sets `print_set`."""
    exam = course.exam(module.id)
    if exam is not None and "print_set" in exam.settings:
        return exam.module.source
    return next(d for d in reversed(course.sources)
                if isinstance(d.data, dict) and "print_set" in d.data)


def check_print_sets(course: Course) -> None:
    """Refuse, before anything is rendered, a print set whose class size is unknown."""
    for module in print_set_quizzes(course):
        copies_for(course, module)


def label_key(label: str) -> tuple[int, str]:
    """Forms in their order: A..Z, then AA, AB..."""
    return (len(label), label)


def form_files(files: dict[Output, bytes], module: Module) -> list[bytes]:
    """The student PDFs of a quiz's forms (or of its one version), in form order."""
    printed = [(o, data) for o, data in files.items()
               if o.module == module.id and o.audience == "student" and o.kind in ("quiz", "exam")]
    printed.sort(key=lambda pair: label_key(pair[0].version or ""))
    return [data for _, data in printed]


def names_entry(module: Module) -> Output:
    return Output(f"{FOLDER}/{module.id}-names.pdf", "instructor", "print-set-names",
                  module.id, "")


def overlay(pdf: Any, page: Any, top: Any) -> None:
    """Draw page `top` (of the same size) over page, under a fixed resource name (pikepdf's
    add_overlay picks a random one, which would change the bytes on every build)."""
    import pikepdf

    form = pdf.copy_foreign(top.as_form_xobject())
    page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name("/HscourseNames"))
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"\nQ q /HscourseNames Do Q\n", prepend=False)


def assemble(forms: list[bytes], copies: list[dict[str, str] | None],
             names: bytes | None, title: str) -> bytes:
    """The print set: copy n is form n mod len(forms), padded to an even page count, with
    page n of `names` laid over its first page when the copy has a student."""
    import pikepdf

    out = pikepdf.new()
    names_pdf = pikepdf.open(BytesIO(names)) if names else None
    named = 0
    for n, student in enumerate(copies):
        with pikepdf.open(BytesIO(forms[n % len(forms)])) as source:
            first = len(out.pages)
            out.pages.extend(source.pages)  # a fresh source per copy: pages are not shared
            if student is not None and names_pdf is not None:
                overlay(out, out.pages[first], names_pdf.pages[named])
                named += 1
            if len(source.pages) % 2:
                box = source.pages[-1].mediabox
                out.add_blank_page(page_size=(float(box[2]), float(box[3])))
    out.docinfo["/Title"] = f"{title}: print set, {len(copies)} copies"
    buffer = BytesIO()
    out.save(buffer, deterministic_id=True)
    if names_pdf is not None:
        names_pdf.close()
    return buffer.getvalue()


def print_sets(course: Course, files: dict[Output, bytes]) -> dict[Output, bytes]:
    """Every print set the course asks for, from the rendered PDFs in files."""
    out: dict[Output, bytes] = {}
    by_path = {o.path: data for o, data in files.items()}
    for module in print_set_quizzes(course):
        copies = copies_for(course, module)
        forms = form_files(files, module)
        if not forms:
            raise ContentError([Diagnostic(module.source.file, 0, 0, "print_set",
                                           f"no printed forms of {module.id!r} to assemble")])
        names = by_path.get(names_entry(module).path)
        title = str(module.data.get("title", module.id))
        data = assemble(forms, copies, names, title)
        out[Output(f"{FOLDER}/{module.id}.pdf", "instructor", "print-set", module.id,
                   sha256(data))] = data
    return out


def names_students(course: Course, module: Module) -> list[dict[str, Any]]:
    """The students whose names an exam's print set prints on the covers (none for a module
    quiz, whose first page has no name box of fixed place)."""
    if course.exam(module.id) is None:
        return []
    return [s for s in copies_for(course, module) if s is not None]
