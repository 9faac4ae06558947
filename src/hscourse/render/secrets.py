"""What the leak check looks for, gathered from the course: every instructor-only text cut
into needles (render/leakcheck.py says how), the course secret, the pixels of images only
instructor-only fields show, and where in the module files each secret is written.

This is the half of the leak check that reads the course. The build runs it once and hands
the Needles to the render workers, which search with leakcheck.py alone: they never import
the course model (or Jinja, YAML and Markdown with it), which kept a tenth of a second off
the import every cold build waits for (docs/performance.md).
"""

from __future__ import annotations

import html
from typing import Any

from hscourse.course.assets import local_image_paths
from hscourse.course.forms import course_secret
from hscourse.course.model import (
    Course,
    Module,
    all_strings,
    instructor_only_texts,
    located_strings,
    module_view,
)
from hscourse.errors import format_path
from hscourse.render.leakcheck import (
    GRAM,
    MIN_CHARS,
    TAG,
    Needles,
    Place,
    Secret,
    Words,
    grams_of,
    joined,
    pixels_digest,
    words,
)
from hscourse.render.markdown import render_block

_KINDS = {"quiz": "quiz item", "readings": "reading", "discussion": "discussion question",
          "stimuli": "stimulus", "updates": "update"}


def needles_for(course: Course) -> Needles:
    """What a student artefact of this course must never contain."""
    visible: set[Words] = set()
    for text in all_strings(course.settings.public()):
        visible |= _variants(text)
    for module in course.quizzes():
        for text in all_strings(module_view(module, "student", "")):
            visible |= _variants(text)
    for exam in course.exams:  # the cover page's texts
        printed = [exam.settings.get(k, "") for k in ("title", "instructions")]
        for text in printed + [part["title"] for part in exam.parts]:
            visible |= _variants(text)
    visible_text = "\n".join(joined(v) for v in visible)
    visible_grams = {gram for v in visible for gram in grams_of(v)}
    needles = Needles(wholes={v for v in visible if 0 < len(v) <= GRAM},
                      heads={v[:k] for v in visible for k in range(1, min(len(v), GRAM) + 1)},
                      tails={v[-k:] for v in visible for k in range(1, min(len(v), GRAM) + 1)})
    modules = secret_modules(course)
    for module in modules.values():
        for text in set(instructor_only_texts(module.data)):
            secret = Secret(module.id, text)
            for variant in _variants(text):
                if len("".join(variant)) < MIN_CHARS or joined(variant) in visible_text:
                    continue
                if len(variant) <= GRAM:
                    needles.whole.setdefault(joined(variant), set()).add(secret)
                for gram in grams_of(variant):
                    if gram not in visible_grams and not needles.explained(gram):
                        needles.grams.setdefault(gram, set()).add(secret)
    key = course_secret(course)
    if key:  # the course secret: one whole needle, reported without its text
        needles.whole.setdefault(joined(words(key)), set()).add(Secret("", key))
    needles.images = instructor_images(course)
    secrets = {s for group in (*needles.whole.values(), *needles.grams.values()) for s in group}
    paths = {m: first_paths(module.data) for m, module in modules.items()}
    needles.places = {s: _place(modules.get(s.module), s, paths.get(s.module, {}))
                      for s in secrets | set(needles.images.values())}
    return needles


def _variants(text: str) -> set[Words]:
    """The text as written (Markdown source) and as rendered (Markdown removed), as words."""
    rendered = html.unescape(TAG.sub(" ", str(render_block(text))))
    return {words(text), words(rendered)}


def secret_modules(course: Course) -> dict[str, Module]:
    """The modules whose instructor-only texts are secrets, by id (reserved items included)."""
    return {m.id: m for m in course.full_modules()}


def instructor_images(course: Course) -> dict[str, Secret]:
    """Pixel digests of raster images that only instructor-only fields show, by digest.

    Such an image is an answer too (a labelled map, a worked solution), so a student PDF that
    holds its pixels leaks it, wherever the image came from."""
    from PIL import Image

    out: dict[str, Secret] = {}
    for module in secret_modules(course).values():
        shown = {name for _, name in local_image_paths(module_view(module, "student", ""))}
        folder = course.root / "modules" / module.id
        for _where, name in local_image_paths(module.data):
            if name in shown or name.lower().endswith(".svg"):
                continue
            try:
                with Image.open(folder / name) as image:
                    out[pixels_digest(image)] = Secret(module.id, f"image {name}")
            except OSError:
                continue  # validation has reported it
    return out


def first_paths(data: Any) -> dict[str, tuple[object, ...]]:
    """Each text in data with the path where it first stands."""
    found: dict[str, tuple[object, ...]] = {}
    for path, text in located_strings(data):
        found.setdefault(text, path)
    return found


def _locate_image(data: Any, text: str) -> tuple[object, ...] | None:
    """Where an instructor-only image ('image NAME') is referenced in the module."""
    if not text.startswith("image "):
        return None
    return next((where for where, name in local_image_paths(data) if name == text[6:]), None)


def _owner(data: Any, path: tuple[object, ...]) -> str:
    """The item of the module that path lies in, as "quiz item 'ex-q5'" ("" when none)."""
    if len(path) < 2 or path[0] not in _KINDS:
        return ""
    try:
        entry = data[path[0]][path[1]]
    except (KeyError, IndexError, TypeError):
        return ""
    name = entry.get("id") if isinstance(entry, dict) else None
    return f"{_KINDS[str(path[0])]} {name!r}" if name else ""


def _place(module: Module | None, secret: Secret, paths: dict[str, tuple[object, ...]]
           ) -> Place:
    """Where a secret stands (for the message); paths: first_paths of the module's data."""
    if module is None:
        return Place("course.yaml", 0, 0, "secret", "")
    path = _locate_image(module.data, secret.text) or paths.get(secret.text) or ()
    line, column = module.source.where(path)
    return Place(module.source.file, line, column, format_path(path), _owner(module.data, path))
