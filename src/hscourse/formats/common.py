"""What the LMS exporters share: the items to export, warnings, Markdown, images and XML text.

Every exporter works on the instructor view of each module (`model.module_view`), walks the quiz
items through `quiz_items`, and reports what its format cannot carry with `Warnings`: an item
whose type (or content) the format cannot hold is skipped, a field it cannot hold is left out,
and either way a warning names the item and where it is defined. `--strict` turns the warnings
into a ContentError.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import combinations_with_replacement
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hscourse.course.forms import module_seed
from hscourse.course.model import Course, Module, module_view
from hscourse.errors import ContentError, Diagnostic
from hscourse.formats.moodle import MODEL_ANSWER_HEAD, MOODLE_FRACTIONS, RUBRIC_HEAD
from hscourse.render.markdown import render_block, render_inline

Item = dict[str, Any]


# What XML 1.0's Char production leaves out, written as such: its complement spelled as
# the allowed ranges took 4.6 ms to compile, in every build.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_IMG_SRC = re.compile(r'(<img src=")([^"]*)(")')


@dataclass(frozen=True, order=True)
class ExportWarning(Diagnostic):
    """A warning about one item in one format: what happened to the item (`head`: "item 'x'
    (ordering) skipped") and why (`reason`), so that the same head in several formats can be
    reported once (lms.merge_warnings)."""

    fmt: str = ""
    head: str = ""
    reason: str = ""


def _defined_at(sources: list[Any], item_id: str) -> tuple[Any, int] | None:
    """The file (module or term overlay) whose quiz list defines item_id, and its index."""
    for source in sources:
        listed = source.data.get("quiz") if isinstance(source.data, dict) else None
        at = next((i for i, entry in enumerate(listed or [])
                   if isinstance(entry, dict) and entry.get("id") == item_id), None)
        if at is not None:
            return source, at
    return None


@dataclass
class Warnings:
    """Collects what a format could not carry; `finish` raises them all when strict.

    sources: the term's overlay files, where the items a term adds are defined."""

    fmt: str
    sources: list[Any] = field(default_factory=list)
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, module: Module, index: int, message: str) -> None:
        """Warn about the module's quiz item at index, located in the file that defines it (the
        module's, or the term overlay that adds it). message: "what happened: why"."""
        item = module.data["quiz"][index]
        action, _, reason = message.partition(": ")
        head = f"item {item['id']!r} ({item['type']}) {action}"
        text = f"{self.fmt}: {head}: {reason}"
        found = _defined_at([module.source, *self.sources], item["id"])
        where = (found[0].diagnostic(("quiz", found[1]), text) if found is not None
                 else Diagnostic(module.source.file, 0, 0, "", text))
        self.items.append(ExportWarning(where.file, where.line, where.column, where.field, text,
                                        self.fmt, head, reason))

    def finish(self, strict: bool) -> list[Diagnostic]:
        if strict and self.items:
            raise ContentError(self.items)
        return self.items


def quiz_items(course: Course) -> Iterator[tuple[Module, dict[str, Any], list[tuple[int, Item]]]]:
    """Each module with its instructor view and its quiz items (index in the module, item).

    An item that refers to a stimulus (a passage several items share) gets the stimulus put
    before its prompt: an LMS question stands alone, so it must carry what it asks about.
    """
    for module in course.modules:
        view = module_view(module, "instructor", module_seed(course, module))
        stimuli = {s["id"]: s for s in view.get("stimuli", [])}
        items = []
        for index, item in enumerate(view.get("quiz", [])):
            stimulus = stimuli.get(item.get("stimulus", ""))
            if stimulus is not None:
                title = f"**{stimulus['title']}**\n\n" if stimulus.get("title") else ""
                item = {**item, "prompt": f"{title}{stimulus['text']}\n\n{item['prompt']}"}
            items.append((index, item))
        yield module, view, items


def points_text(points: float) -> str:
    return f"{points:g}" if float(points).is_integer() else f"{points:.7g}"


def xml_text(text: str) -> str:
    """Text with the characters XML 1.0 cannot hold removed (the XML library escapes the rest)."""
    return _INVALID_XML.sub("", text)


def plain_text(markdown: str) -> str:
    """Markdown reduced to plain text, for places that show no formatting (Moodle drop-downs)."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(render_inline(markdown)))).strip()


@dataclass
class Images:
    """Images referenced by the Markdown of one module, found by rendering it.

    `html` renders Markdown, replaces each local image address with `rename(file name)` and
    records the file, so that an exporter can package the bytes next to the text.
    """

    module_dir: Path
    found: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def html(self, markdown: str, rename: Callable[[str], str], inline: bool = False) -> str:
        rendered = str(render_inline(markdown) if inline else render_block(markdown)).strip()

        def swap(match: re.Match[str]) -> str:
            src = html.unescape(match.group(2))
            if urlsplit(src).scheme or src.startswith("/"):
                return match.group(0)
            path = (self.module_dir / unquote(src)).resolve()
            if not path.is_relative_to(self.module_dir.resolve()) or not path.is_file():
                self.missing.append(src)
                return match.group(0)
            self.found[path.name] = path
            return match.group(1) + html.escape(rename(path.name)) + match.group(3)

        return _IMG_SRC.sub(swap, rendered)


def has_local_image(markdown: str) -> bool:
    """Whether the Markdown shows an image from the module folder (GIFT cannot carry one)."""
    for match in _IMG_SRC.finditer(str(render_block(markdown))):
        src = html.unescape(match.group(2))
        if not urlsplit(src).scheme:
            return True
    return False


def item_texts(item: Item) -> list[str]:
    """Every Markdown text of an item, for image checks."""
    texts = [item["prompt"], item.get("explanation", ""), item.get("model_answer", "")]
    for option in item.get("options", []):
        texts += [option["text"], option.get("feedback", "")]
    for pair in item.get("pairs", []):
        texts += [pair["left"], pair["right"]]
    texts += [c["criterion"] for c in item.get("rubric", [])]
    texts += item.get("correct_order", [])
    return [t for t in texts if t]


def grader_info_markdown(item: Item) -> str:
    """An essay's model answer and rubric as one Markdown text (the importers read it back)."""
    rubric = "\n".join(f"- {c['criterion']} ({points_text(c['points'])} "
                       f"point{'s' if c['points'] != 1 else ''})" for c in item["rubric"])
    return f"{MODEL_ANSWER_HEAD}{item['model_answer']}{RUBRIC_HEAD}{rubric}\n"


def category_path(course: Course, module_title: str) -> list[str]:
    """The category levels of a module: course, term, module."""
    settings = course.settings
    levels = [f"{settings.code} {settings.title}"]
    if settings.term:
        levels.append(settings.term)
    return levels + [module_title]


def moodle_category(course: Course, module_title: str) -> str:
    """Moodle's category path; a '/' inside a name is written '//'."""
    return "$course$/top/" + "/".join(level.replace("/", "//")
                                      for level in category_path(course, module_title))


def multiple_answer_fractions(k: int, n: int) -> tuple[list[float], float] | None:
    """Grades for k correct options out of n: allowed values that add up to 100, and the
    (negative) grade of each wrong option. None when Moodle's list cannot express it."""
    if k > 20:  # 5 is the smallest positive grade: 21 of them pass 100
        return None
    target = 100 / k
    choice = _split_hundred(k, target)
    if choice is None:
        return None
    wrong = -min(MOODLE_FRACTIONS[:-1], key=lambda f: abs(f - 100 / (n - k))) if n > k else 0.0
    return choice, wrong


def _split_hundred(k: int, target: float) -> list[float] | None:
    """k allowed grades as close to target as possible whose sum is 100 (within Moodle's
    tolerance: 3 x 33.33333 is accepted)."""
    near = sorted((f for f in MOODLE_FRACTIONS[:-1] if target / 2.5 <= f <= target * 2.5),
                  key=lambda f: abs(f - target))[:6]
    best: tuple[float, tuple[float, ...]] | None = None
    for combo in combinations_with_replacement(near, k):
        if abs(sum(combo) - 100) <= 0.0001 * k:
            cost = sum(abs(f - target) for f in combo)
            if best is None or cost < best[0]:
                best = (cost, combo)
    return sorted(best[1], reverse=True) if best else None
