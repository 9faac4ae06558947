"""Term patches: change fields of an existing quiz item, discussion question or reading by id.

    modules:
      water-conflict:
        patch:
          wc-q3:
            prompt: "The corrected question"
            options: {B: {text: "The corrected option"}}

An option is named by its letter in the instructor guide (`options: {B: {...}}` changes only
the fields given); any other value replaces the field. Patched entries are checked against the
module schema and the module's rules, and each problem is reported at the patch's own line in
the term file, so the shipped module never needs editing.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from hscourse.course.load import Document
from hscourse.course.validate import asset_errors, check_item, data_errors
from hscourse.errors import Diagnostic, did_you_mean

SECTIONS = ("quiz", "discussion", "readings")
FIXED = ("id", "type")
Path_ = tuple[object, ...]


def _letter(key: object) -> str:
    return str(key).strip().upper()


class _AtPatch(Document):
    """The patched module data, whose problems are reported at the patch's lines in the term."""

    def __init__(self, term: Document, module_id: str, data: dict[str, Any],
                 targets: dict[tuple[str, int], str], patches: dict[str, dict[str, Any]]):
        super().__init__(term.file, data)
        self.term, self.module_id = term, module_id
        self.targets, self.patches = targets, patches

    def translate(self, path: Path_) -> Path_:
        base: Path_ = ("modules", self.module_id, "patch")
        entry = self.targets.get((str(path[0]), int(str(path[1])))) if len(path) > 1 else None
        if entry is None:
            return base
        patch, at = self.patches[entry], base + (entry,)
        if len(path) < 3 or path[2] not in patch:
            return at
        field, rest = path[2], path[3:]
        if field == "options" and isinstance(patch[field], dict) and rest:
            letter = string.ascii_uppercase[int(str(rest[0]))]
            named = {_letter(k): k for k in patch[field]}
            return at + (field, named[letter], *rest[1:]) if letter in named else at + (field,)
        return at + (field, *rest)

    def diagnostic(self, path: Path_, message: str, *, key: bool = False) -> Diagnostic:
        return self.term.diagnostic(self.translate(path), message, key=key)

    def type_hint(self, path: Path_, expected: str | list[str]) -> str:
        return self.term.type_hint(self.translate(path), expected)

    def warn(self, path: Path_, message: str) -> None:
        self.term.warn(self.translate(path), message)


def _patch_options(options: list[dict[str, Any]], changes: dict[Any, Any], where: Path_,
                   term: Document) -> list[Diagnostic]:
    problems = []
    for key, fields in changes.items():
        letter = _letter(key)
        index = string.ascii_uppercase.find(letter) if len(letter) == 1 else -1
        if index < 0 or index >= len(options):
            last = string.ascii_uppercase[len(options) - 1]
            problems.append(term.diagnostic(where + (key,), f"no option {key!r}: the options "
                                            f"are A to {last}", key=True))
        elif not isinstance(fields, dict):
            problems.append(term.diagnostic(where + (key,), "expected a mapping of the "
                                            "option's fields to change, e.g. {text: ...}"))
        else:
            options[index].update(fields)
    return problems


def _apply(entry: dict[str, Any], patch: dict[str, Any], where: Path_, term: Document
           ) -> list[Diagnostic]:
    problems = []
    for field, value in patch.items():
        if field in FIXED:
            problems.append(term.diagnostic(where + (field,), f"a patch cannot change an entry's "
                                            f"{field}: exclude it and add a new one in an "
                                            f"overlay file instead", key=True))
        elif field == "options" and isinstance(value, dict) and "options" in entry:
            problems += _patch_options(entry["options"], value, where + (field,), term)
        else:
            entry[field] = value
    return problems


def apply_patches(module_id: str, data: dict[str, Any], patches: dict[str, dict[str, Any]],
                  term: Document, folder: Path, allow_links: bool = False
                  ) -> tuple[list[Diagnostic], list[tuple[str, str, str]]]:
    """Patch data (a module's resolved data) in place; (problems, origins for --explain)."""
    located = {entry["id"]: (section, i) for section in SECTIONS
               for i, entry in enumerate(data.get(section, []))}
    problems: list[Diagnostic] = []
    origins: list[tuple[str, str, str]] = []
    targets: dict[tuple[str, int], str] = {}
    for entry_id, patch in patches.items():
        where: Path_ = ("modules", module_id, "patch", entry_id)
        if entry_id not in located:
            problems.append(term.diagnostic(where, f"module {module_id!r} has no quiz item, "
                                            f"discussion question or reading {entry_id!r} "
                                            f"this term{did_you_mean(entry_id, located)}",
                                            key=True))
            continue
        section, index = located[entry_id]
        targets[(section, index)] = entry_id
        problems += _apply(data[section][index], patch, where, term)
        line = term.where(where, key=True)[0]
        origins += [(f"{module_id}.patch.{entry_id}.{field}", _summary(value),
                     f"{term.file}:{line}") for field, value in patch.items()]
    return problems + _checked(module_id, data, targets, patches, term, folder, allow_links), origins


def _checked(module_id: str, data: dict[str, Any], targets: dict[tuple[str, int], str],
             patches: dict[str, dict[str, Any]], term: Document, folder: Path,
             allow_links: bool) -> list[Diagnostic]:
    """The schema, the item rules and the images of every patched entry."""
    at = _AtPatch(term, module_id, data, targets, patches)
    patched = set(targets)

    def ours(path: Path_) -> bool:
        return len(path) > 1 and (str(path[0]), int(str(path[1]))) in patched

    problems = [d for path, d in data_errors(data, "module", at) if ours(path)]
    readings = {r["id"] for r in data.get("readings", [])}
    for section, i in sorted(patched):
        if section == "quiz":
            problems += check_item(at, i, data["quiz"][i], readings)
    mapped = [d for d in asset_errors(at, folder, allow_links)
              if d.field.startswith(f"modules.{module_id}.patch.")]
    return problems + mapped


def _summary(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:57] + "..."
