"""GIFT, Moodle's plain-text question format: a `$CATEGORY:` per module, then its items.

Texts stay Markdown (`[markdown]`; the right side of a matching pair is plain
text, as Moodle shows it), with GIFT's control characters escaped and newlines written
as `\\n` so that a blank line inside a text can never end a question. GIFT has no syntax for
points: each item carries them in a `// [points:N]` comment that hscourse's importer reads
(Moodle ignores comments and gives each question its default mark). GIFT cannot carry ordering
items, images, or an essay's rubric and model answer: those are reported as warnings.
"""

from __future__ import annotations

from hscourse.course.model import Course, Module
from hscourse.course.project import overlay_documents
from hscourse.errors import Diagnostic
from hscourse.formats.common import (
    Item,
    Warnings,
    has_local_image,
    item_texts,
    moodle_category,
    multiple_answer_fractions,
    plain_text,
    points_text,
    quiz_items,
)
from hscourse.formats.gift import SPECIAL, points_comment


def escape(text: str) -> str:
    """Text with GIFT's control characters escaped and newlines as \\n, on one line."""
    out = text.replace("\\", "\\\\")
    for char in SPECIAL:
        out = out.replace(char, "\\" + char)
    return out.replace("\r\n", "\n").replace("\n", "\\n")


def _weight(value: float) -> str:
    return "%" + points_text(value) + "%"


def _option_lines(item: Item) -> list[str] | None:
    options = item["options"]
    if item["type"] == "single_choice":
        marks = ["=" if o.get("correct") else "~" for o in options]
    else:
        split = multiple_answer_fractions(sum(1 for o in options if o.get("correct")),
                                          len(options))
        if split is None:
            return None
        rights, wrong = iter(split[0]), split[1]
        marks = ["~" + _weight(next(rights) if o.get("correct") else wrong) for o in options]
    lines = []
    for mark, option in zip(marks, options):
        feedback = f" #{escape(option['feedback'])}" if option.get("feedback") else ""
        lines.append(f"\t{mark}{escape(option['text'])}{feedback}")
    return lines


def _answer_lines(item: Item, module: Module, index: int, warnings: Warnings) -> list[str] | None:
    kind = item["type"]
    if kind in ("single_choice", "multiple_answer"):
        lines = _option_lines(item)
        if lines is None:
            warnings.add(module, index, "skipped: GIFT weights cannot share 100% among "
                                        "this many correct options")
        elif any(o.get("fixed") for o in item["options"]):
            warnings.add(module, index, "exported without its fixed option position: "
                                        "GIFT cannot keep an option in place")
        return lines
    if kind == "true_false":
        return ["\tTRUE" if item["answer"] else "\tFALSE"]
    if kind == "short_answer":
        return [f"\t={escape(answer)}" for answer in item["accepted_answers"]]
    if kind == "essay":
        warnings.add(module, index, "exported without its rubric and model answer: "
                                    "GIFT has no grader information")
        return []
    if kind == "matching":
        if any("->" in p["left"] or "->" in plain_text(p["right"]) for p in item["pairs"]):
            warnings.add(module, index, "skipped: GIFT cannot carry '->' inside a pair")
            return None
        return [f"\t={escape(p['left'])} -> {escape(plain_text(p['right']))}"
                for p in item["pairs"]]
    warnings.add(module, index, "skipped: GIFT has no ordering question type")
    return None


def _question(item: Item, module: Module, index: int, warnings: Warnings) -> str | None:
    if any(has_local_image(text) for text in item_texts(item)):
        warnings.add(module, index, "skipped: GIFT cannot carry images")
        return None
    answers = _answer_lines(item, module, index, warnings)
    if answers is None:
        return None
    head = [points_comment(points_text(item["points"]))]
    head += [f"// [tag:{tag}]" for tag in item.get("tags", [])]
    if item.get("explanation"):
        answers.append(f"\t####{escape(item['explanation'])}")
    title = f"::{escape(item['id'])}::[markdown]{escape(item['prompt'])}"
    return "\n".join(head + [title + "{", *answers, "}"])


def export_gift(course: Course, strict: bool = False) -> tuple[bytes, list[Diagnostic]]:
    """The course's quiz items as GIFT text (UTF-8), and the warnings."""
    warnings = Warnings("GIFT", overlay_documents(course))
    blocks: list[str] = []
    for module, view, items in quiz_items(course):
        blocks.append(f"$CATEGORY: {moodle_category(course, view['title'])}")
        for index, item in items:
            question = _question(item, module, index, warnings)
            if question is not None:
                blocks.append(question)
    found = warnings.finish(strict)
    return ("\n\n".join(blocks) + "\n").encode("utf-8"), found
