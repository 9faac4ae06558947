"""Stage 2, validate: check loaded files against the schemas and the course's own rules.

Every problem becomes a Diagnostic naming file, line, column and field; all of them are
collected, from all files, before anything fails.
"""

from __future__ import annotations

import datetime
import difflib
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from hscourse.course.assets import image_problem, local_image_paths
from hscourse.course.load import Document
from hscourse.course.model import located_strings
from hscourse.course.paths import reference_errors
from hscourse.course.schema import SCHEMAS, field_schemas, resolve
from hscourse.errors import Diagnostic, did_you_mean
from hscourse.render.markdown import parse_markdown

TYPE_WORDS = {"string": "text", "boolean": "true or false", "integer": "a whole number",
              "number": "a number", "array": "a list", "object": "a mapping of fields",
              "null": "nothing"}


@cache
def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[kind])


def describe(value: Any) -> str:
    """How a wrong value is quoted back to the instructor."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = repr(value)
    return shown if len(shown) <= 42 else shown[:38] + "...'"


def _misspelt_fields(instance: dict[str, Any], known: dict[str, Any]) -> set[str]:
    """Known fields that an unknown key seems to misspell: reported once, as the unknown key."""
    out: set[str] = set()
    for key in set(instance) - set(known):
        out.update(difflib.get_close_matches(key, list(known), n=1, cutoff=0.6))
    return out


def _messages(error: ValidationError, doc: Document) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    expected = error.schema.get("x-expected") if isinstance(error.schema, dict) else None
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        for key in sorted(set(instance) - set(known)):
            yield doc.diagnostic(path + (key,), f"unknown field {key!r}{did_you_mean(key, known)}",
                                 key=True)
    elif kind == "required":
        misspelt = _misspelt_fields(instance, error.schema.get("properties", {}))
        for key in value:
            if key not in instance and key not in misspelt:
                yield doc.diagnostic(path, f"missing required field {key!r}")
    elif kind == "type":
        yield doc.diagnostic(path, f"expected {TYPE_WORDS.get(value, value)}, "
                                   f"got {describe(instance)}{doc.type_hint(path, value)}")
    elif kind == "enum":
        choices = ", ".join(str(v) for v in value)
        hint = did_you_mean(instance, value) if isinstance(instance, str) else ""
        yield doc.diagnostic(path, f"expected one of {choices}; got {describe(instance)}{hint}")
    elif kind == "minLength" and value > 1:
        yield doc.diagnostic(path, f"expected {expected or f'at least {value} characters'}, "
                                   f"got {len(instance)} characters")
    elif kind == "minLength":
        yield doc.diagnostic(path, "must not be empty")
    elif kind == "minItems":
        yield doc.diagnostic(path, f"expected at least {value} "
                                   f"{'entry' if value == 1 else 'entries'}, got {len(instance)}")
    elif kind in ("pattern", "format"):
        yield doc.diagnostic(path, f"expected {expected or 'text matching ' + value}, "
                                   f"got {describe(instance)}")
    elif kind in ("exclusiveMinimum", "minimum"):
        word = "greater than" if kind == "exclusiveMinimum" else "at least"
        yield doc.diagnostic(path, f"expected a number {word} {value}, got {describe(instance)}")
    elif kind == "maximum":
        yield doc.diagnostic(path, f"expected a number at most {value}, got {describe(instance)}")
    elif kind == "anyOf":
        fitting = [e for e in error.context or ()
                   if resolve(error.schema, instance) is value[e.schema_path[0]]]
        text_allowed = any(branch.get("type") == "string" for branch in value)
        colon = doc.type_hint(path, "string") if text_allowed else ""
        if colon:  # `- Explain: why` read as a mapping where text was meant
            yield doc.diagnostic(path, f"expected text, got a mapping{colon}")
        elif fitting:
            for sub in fitting:
                yield from _messages(sub, doc)
        else:
            yield doc.diagnostic(path, f"expected {expected or 'another kind of value'}, "
                                       f"got {describe(instance)}")
    elif kind == "dependentRequired":
        for field, needs in value.items():
            for need in needs:
                if field in instance and need not in instance:
                    yield doc.diagnostic(path + (field,), f"needs {need!r} as well", key=True)
    else:
        yield doc.diagnostic(path, error.message)


def schema_errors(doc: Document, kind: str) -> list[Diagnostic]:
    """All schema violations in one loaded file, worded for an instructor."""
    return invalid_paths(doc, kind)[0]


def _quiz(doc: Document) -> Iterator[tuple[int, dict[str, Any]]]:
    yield from enumerate(doc.data.get("quiz") or [])


def _duplicates(values: Iterable[str]) -> set[str]:
    return {v for v, n in Counter(values).items() if n > 1}


def _check_options(doc: Document, i: int, item: dict[str, Any]) -> Iterator[Diagnostic]:
    options = item.get("options", [])
    correct = sum(1 for o in options if o.get("correct"))
    if item["type"] == "single_choice" and correct != 1:
        yield doc.diagnostic(("quiz", i, "options"),
                             f"a single_choice item needs exactly one correct option, "
                             f"found {correct}")
    if item["type"] == "multiple_answer" and correct < 1:
        yield doc.diagnostic(("quiz", i, "options"),
                             "a multiple_answer item needs at least one correct option")
    for text in _duplicates(o["text"] for o in options):
        yield doc.diagnostic(("quiz", i, "options"), f"option {text!r} appears twice")


def check_item(doc: Document, i: int, item: dict[str, Any],
                readings: set[str]) -> Iterator[Diagnostic]:
    kind = item["type"]
    if "reading" in item and item["reading"] not in readings:
        yield doc.diagnostic(("quiz", i, "reading"), f"no reading {item['reading']!r} in this "
                             f"module{did_you_mean(item['reading'], readings)}")
    if kind in ("single_choice", "multiple_answer"):
        yield from _check_options(doc, i, item)
    elif kind == "matching":
        for side in ("left", "right"):
            for text in _duplicates(p[side] for p in item["pairs"]):
                yield doc.diagnostic(("quiz", i, "pairs"), f"{side} value {text!r} appears twice")
    elif kind == "ordering":
        for text in _duplicates(item["correct_order"]):
            yield doc.diagnostic(("quiz", i, "correct_order"), f"entry {text!r} appears twice")
    elif kind == "essay":
        total = sum(c["points"] for c in item["rubric"])
        if abs(total - item["points"]) > 1e-9:
            yield doc.diagnostic(("quiz", i, "rubric"), f"rubric points add up to {total:g}, "
                                 f"but the item is worth {item['points']:g}")


def asset_errors(doc: Document, folder: Path, allow_links: bool = False) -> list[Diagnostic]:
    """Every local image in the module's Markdown must be a usable file in its folder."""
    out = []
    for where, name in local_image_paths(doc.data):
        problem = image_problem(folder, name, allow_links)
        if problem:
            out.append(doc.diagnostic(where, problem))
    return out


def module_errors(doc: Document, folder_id: str,
                  invalid: frozenset[tuple[object, ...]] = frozenset(),
                  folder: Path | None = None, allow_links: bool = False) -> list[Diagnostic]:
    """Rules a schema cannot state. Parts listed in `invalid` (paths that failed the schema)
    are skipped, so that schema and rule errors of one file are all reported in one run.
    With the module's folder, its images are checked too (assets)."""
    data = doc.data

    def ok(*path: object) -> bool:
        return not any(bad[:len(path)] == path for bad in invalid)

    out: list[Diagnostic] = []
    if ok("id") and isinstance(data.get("id"), str) and data["id"] != folder_id:
        out.append(doc.diagnostic(("id",), f"the id must match the folder name {folder_id!r}, "
                                           f"got {data['id']!r}"))
    out.extend(markdown_errors(doc))
    out.extend(date_errors(doc, [p for p in module_date_paths(data) if ok(*p)]))
    refused = list(reference_errors(doc))
    out.extend(refused)
    if folder is not None and not refused:
        out.extend(asset_errors(doc, folder, allow_links))
    readings = data.get("readings") if ok("readings") else None
    reading_ids = [r["id"] for r in readings or []]
    for dup in _duplicates(reading_ids):
        last = max(i for i, r in enumerate(readings or []) if r["id"] == dup)
        out.append(doc.diagnostic(("readings", last, "id"), f"reading id {dup!r} is used twice"))
    if readings is None:
        return out
    for i, item in _quiz(doc):
        if ok("quiz", i):
            out.extend(check_item(doc, i, item, set(reading_ids)))
    if ok("stimuli") and ok("quiz"):
        out.extend(stimulus_errors(doc))
    return out


def stimulus_errors(doc: Document) -> list[Diagnostic]:
    """Items sharing a stimulus form one linked set: it must exist, and the set must be
    consecutive and in one section, so that it can move as one unit on shuffled forms."""
    data = doc.data
    stimuli = [s["id"] for s in data.get("stimuli", [])]
    out = [doc.diagnostic(("stimuli", max(i for i, s in enumerate(stimuli) if s == dup), "id"),
                          f"stimulus id {dup!r} is used twice") for dup in _duplicates(stimuli)]
    quiz = data.get("quiz") or []
    finished: set[str] = set()
    for i, item in enumerate(quiz):
        name = item.get("stimulus")
        previous = quiz[i - 1].get("stimulus") if i else None
        if previous and previous != name:
            finished.add(previous)
        if name is None:
            continue
        if name not in stimuli:
            out.append(doc.diagnostic(("quiz", i, "stimulus"), f"no stimulus {name!r} in this "
                                      f"module{did_you_mean(name, stimuli)}"))
        elif name in finished:
            out.append(doc.diagnostic(("quiz", i, "stimulus"), f"the items of stimulus {name!r} "
                                      "must follow one another"))
        elif previous == name and quiz[i - 1].get("section") != item.get("section"):
            out.append(doc.diagnostic(("quiz", i, "section"), f"the items of stimulus {name!r} "
                                      "must be in one section"))
    return out


def fold_enums(value: Any, schema: dict[str, Any]) -> Any:
    """value with every choice written in another case turned into the schema's own spelling
    (`paper: letter` means Letter, `type: Single_Choice` single_choice); the rest unchanged."""
    schema = resolve(schema, value)
    if isinstance(value, dict):
        properties = field_schemas(schema, value)
        for key in list(value):
            value[key] = fold_enums(value[key], properties.get(key, {}))
    elif isinstance(value, list):
        value[:] = [fold_enums(v, schema.get("items", {})) for v in value]
    elif isinstance(value, str) and value not in schema.get("enum", [value]):
        matches = [c for c in schema["enum"] if isinstance(c, str) and
                   c.casefold() == value.casefold()]
        return matches[0] if len(matches) == 1 else value
    return value


def invalid_paths(doc: Document, kind: str) -> tuple[list[Diagnostic], frozenset[tuple[object, ...]]]:
    """Schema diagnostics for a file, and the paths of the values that failed (choices written
    in another case are taken in the schema's spelling first)."""
    diagnostics: list[Diagnostic] = []
    paths: set[tuple[object, ...]] = set()
    fold_enums(doc.data, SCHEMAS[kind])
    for error in _validator(kind).iter_errors(doc.data):
        diagnostics.extend(_messages(error, doc))
        paths.add(tuple(error.absolute_path))
    doc.check_lists(SCHEMAS[kind])
    return diagnostics, frozenset(paths)


def data_errors(data: Any, kind: str, doc: Document
                ) -> Iterator[tuple[tuple[object, ...], Diagnostic]]:
    """Schema problems of data that is no longer the file as written (a module with a term's
    patches applied), each with its path in data; doc words and places them."""
    fold_enums(data, SCHEMAS[kind])
    for error in _validator(kind).iter_errors(data):
        for diagnostic in _messages(error, doc):
            yield tuple(error.absolute_path), diagnostic


def course_id_errors(modules: list[tuple[Document, dict[str, Any]]]) -> list[Diagnostic]:
    """Quiz and discussion ids must be unique across the whole course."""
    seen: dict[str, tuple[Document, tuple[object, ...]]] = {}
    out: list[Diagnostic] = []
    for doc, data in modules:
        for section in ("discussion", "quiz"):
            for i, entry in enumerate(data.get(section) or []):
                path = (section, i, "id")
                if entry["id"] in seen:
                    first_doc, first_path = seen[entry["id"]]
                    line = first_doc.where(first_path)[0]
                    out.append(doc.diagnostic(path, f"id {entry['id']!r} is already used at "
                                                    f"{first_doc.file}:{line}"))
                else:
                    seen[entry["id"]] = (doc, path)
    return out


DECORATIVE = "decorative"


def markdown_errors(doc: Document) -> Iterator[Diagnostic]:
    """Every Markdown image needs alt text, or the alt text "decorative" (docs/accessibility.md);
    Markdown headings are refused, since they would break the documents' heading order.

    Found with the renderer's own parser, so reference-style images count too.
    """
    for path, text in located_strings(doc.data):
        if "![" not in text and "#" not in text and "\n=" not in text and "\n-" not in text:
            continue
        for block in parse_markdown(text):
            if block.type == "heading_open":
                yield doc.diagnostic(path, "Markdown headings (# or underlined) would break the "
                                     "document's heading order; use **bold text** instead")
            for token in block.children or []:
                if token.type == "image" and not token.content.strip():
                    src = token.attrs.get("src", "")
                    yield doc.diagnostic(path, f"image {src!r} has no alt text; describe what it "
                                         f"shows, ![a map of the Juhe River]({src}), or mark it "
                                         f"![{DECORATIVE}]({src}) if it only decorates")


def module_date_paths(data: dict[str, Any]) -> list[tuple[object, ...]]:
    """Where a module file holds dates: as_of (module, readings, items) and update dates."""
    paths: list[tuple[object, ...]] = [("as_of",)] if isinstance(data.get("as_of"), str) else []
    for section, key in (("readings", "as_of"), ("quiz", "as_of"), ("updates", "date")):
        entries = data.get(section)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict) and isinstance(entry.get(key), str):
                paths.append((section, i, key))
    return paths


def date_errors(doc: Document, paths: Iterable[tuple[object, ...]]) -> list[Diagnostic]:
    """Dates the schema let through (YYYY-MM-DD) must also exist on the calendar."""
    out: list[Diagnostic] = []
    for path in paths:
        value: Any = doc.data
        for part in path:
            value = value[part]
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            out.append(doc.diagnostic(path, f"{value!r} is not a date on the calendar"))
    return out
