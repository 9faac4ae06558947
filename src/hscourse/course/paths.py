"""Path safety for names that come from course files (ids) and for paths inside dist/.

Markdown in module files is checked here too: an image or link may not point outside the course
folder, so `hscourse check` reports it with its line before any render is tried.

Ids become folder and file names, so an id must never climb out of its folder (`../x`), name a
sub-folder (`a/b`), be empty, or be a name Windows reserves for a device (`con`, `nul`, `aux`...),
which cannot be created or opened as a file there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from hscourse.course.schema import ID_PATTERN, SCHEMAS, field_schemas, is_markdown, resolve

WINDOWS_RESERVED = ("con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                    *(f"lpt{i}" for i in range(10)))


# Folders a build writes inside dist/: a term of that name would land inside one of them.
RESERVED_TERM_IDS = ("student", "instructor", "lms", "grades", "site", "large-print")


def term_id_problem(term_file: Path) -> str:
    """Why a term file's name cannot name its output folder dist/<term-id>/, or ''."""
    name = term_file.stem
    if not re.fullmatch(ID_PATTERN, name):
        return (f"the term file's name {term_file.name!r} must be an id (lowercase letters, "
                "digits and hyphens, e.g. 2027-spring.yaml): it names the output folder")
    if name in RESERVED_TERM_IDS:
        return (f"a term cannot be called {name!r}: dist/{name}/ holds other outputs; "
                "rename the file")
    return ""


def unsafe_relative_path(path: str) -> str:
    """Why a relative output path (POSIX, e.g. 'student/x-quiz.pdf') is unsafe, or ''."""
    if not path or "\\" in path or "\0" in path or ":" in path:
        return "must be a non-empty relative path without backslashes, colons or NUL"
    pure = PurePosixPath(path)
    if pure.is_absolute():
        return "must be relative"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return "must not contain empty, '.' or '..' parts"
        if part.split(".")[0].lower() in WINDOWS_RESERVED:
            return f"{part!r} is a reserved name on Windows"
    return ""


def inside(folder: Path, relative: str) -> Path:
    """folder/relative, refusing anything that could land outside folder (ValueError)."""
    problem = unsafe_relative_path(relative)
    if problem:
        raise ValueError(f"unsafe output path {relative!r}: {problem}")
    target = folder / relative
    if not target.resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"unsafe output path {relative!r}: it leads outside {folder}")
    return target


def reference_problem(kind: str, url: str) -> str:
    """Why a Markdown image or link destination is refused before any render, or ''.

    Images must be files in the course folder, named by a relative path that never climbs
    (`..`, also as `%2e%2e`), or small data: images; links may also go to the web, to an e-mail
    address or to a place in the document.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if kind == "link" and (scheme in ("http", "https", "mailto") or url.startswith("#")):
        return ""
    if kind == "image" and scheme == "data" and url[5:].lower().startswith("image/"):
        return ""
    if kind == "link":
        return (f"link address {url[:80]!r}: links may go to the web (https://...), to an "
                f"e-mail address (mailto:) or to a #place in the document; a link to a file "
                f"would print this computer's path into the PDF")
    if scheme or parts.netloc:
        return (f"image address {url[:80]!r}: only the names of files beside module.yaml "
                f"(map.png) or data: images are allowed")
    path = unquote(parts.path)
    if not path or path.startswith(("/", "\\")) or "\\" in path or "\0" in path or any(
            part == ".." for part in PurePosixPath(path).parts):
        return (f"{kind} address {url[:80]!r} leads outside the course folder; put the file in "
                f"the module's folder, beside module.yaml, and write its name (map.png)")
    return ""


def _permissive_parser() -> Any:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.validateLink = lambda url: True  # type: ignore[method-assign]  # see every destination, even ones rendering drops
    return parser


def markdown_references(text: str) -> Iterator[tuple[str, str]]:
    """The ("image" | "link", destination) pairs written in Markdown text."""
    for token in _permissive_parser().parse(text):
        for child in token.children or []:
            if child.type == "image":
                yield "image", str(child.attrGet("src") or "")
            elif child.type == "link_open":
                yield "link", str(child.attrGet("href") or "")


def markdown_fields(data: Any, schema: dict[str, Any],
                    path: tuple[object, ...] = ()) -> Iterator[tuple[tuple[object, ...], str]]:
    """(path, text) of every value the schema describes as Markdown."""
    schema = resolve(schema, data)
    if isinstance(data, dict):
        properties = field_schemas(schema, data)
        for key, value in data.items():
            yield from markdown_fields(value, properties.get(key, {}), path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from markdown_fields(value, schema.get("items", {}), path + (i,))
    elif isinstance(data, str) and is_markdown(schema):
        yield path, data


def reference_errors(doc: Any) -> Iterator[Any]:
    """A Diagnostic for each refused image or link in the Markdown of a loaded module file."""

    for path, text in markdown_fields(doc.data, SCHEMAS["module"]):
        if "](" not in text and "]:" not in text:
            continue
        for kind, url in markdown_references(text):
            problem = reference_problem(kind, url)
            if problem:
                yield doc.diagnostic(path, problem)
