"""The files a module's content uses: images beside its module.yaml, checked before any render.

A relative image path in any Markdown field means a file in the module's own folder. Each one
must be a regular file there, with a single link (a hard link could make a file from outside
the course look like one inside it), within a pixel budget (a small PNG can unpack to gigabytes),
and, for SVG, without references outside the module's folder or deeply nested `<use>` elements
(each level multiplies the drawing work: six levels ran for minutes). `check` and `build` both
run these checks, so an image that would fail the render is reported with its line first.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from hscourse.course.paths import markdown_fields, markdown_references
from hscourse.course.schema import SCHEMAS

MAX_LOCAL_FILE = 8 * 1024 * 1024  # any one file a document may read
MAX_PIXELS = 40_000_000  # about 6300 x 6300: far above any page's need at 300 dpi
MAX_USE_DEPTH = 3
MAX_SVG_BYTES = 2 * 1024 * 1024
_XLINK = "{http://www.w3.org/1999/xlink}href"
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


def local_image_paths(data: Any) -> Iterator[tuple[tuple[object, ...], str]]:
    """(path in the module, relative image name) for every local image in its Markdown."""
    for where, text in markdown_fields(data, SCHEMAS["module"]):
        if "](" not in text and "]:" not in text:
            continue
        for kind, url in markdown_references(text):
            parts = urlsplit(url)
            if kind == "image" and not parts.scheme and not parts.netloc and parts.path:
                yield where, unquote(parts.path)


def open_in_folder(folder: Path, relative: str) -> int:
    """A read-only descriptor of folder/relative, opened one component at a time with
    O_NOFOLLOW relative to the folder's own descriptor, so that no symbolic link (even one
    swapped in between a check and the read) can lead the read outside folder."""
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("", ".", "..") or "/" in p for p in parts):
        raise OSError(f"{relative!r} is not a plain path inside the folder")
    nofollow = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | nofollow)
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        return os.open(parts[-1], os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0),
                       dir_fd=fd)
    finally:
        os.close(fd)


def read_in_folder(folder: Path, relative: str, limit: int, allow_links: bool = False) -> bytes:
    """The bytes of a regular, singly linked file inside folder; OSError with the reason."""
    try:
        fd = open_in_folder(folder, relative)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # O_NOFOLLOW met a symbolic link
            raise OSError("it is a symbolic link, or lies behind one; copy the file itself "
                          "into the folder") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_nlink > 1 and not allow_links:
            raise OSError("the file has other hard links (it may be a file from outside the "
                          "course); copy it instead, or set `allow_hard_links: true`")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"larger than {limit // (1024 * 1024)} MiB")
    return data


def raster_problem(data: bytes) -> str:
    """Why a raster image is refused (too many pixels, unreadable), or ''."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        return f"not an image hscourse can read ({exc})"
    except Image.DecompressionBombError:
        return "too many pixels"
    if width * height > MAX_PIXELS:
        return (f"{width} x {height} pixels is more than the budget of "
                f"{MAX_PIXELS // 1_000_000} million; scale it down (a printed page needs "
                f"about 2500 x 3500 at 300 dpi)")
    return ""


def _use_depth(root: ElementTree.Element) -> int:
    """How deeply `<use>` elements refer to elements that contain `<use>` elements."""
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    depth: dict[int, int] = {}

    def of(element: ElementTree.Element, trail: frozenset[int]) -> int:
        key = id(element)
        if key in trail:
            return 99  # a cycle: refused as infinitely deep
        if key not in depth:
            best = 0
            for use in element.iter():
                if use.tag.rsplit("}", 1)[-1] != "use":
                    continue
                target = by_id.get((use.get("href") or use.get(_XLINK) or "").lstrip("#"))
                best = max(best, 1 + (of(target, trail | {key}) if target is not None else 0))
            depth[key] = best
        return depth[key]

    return of(root, frozenset())


def _svg_references(root: ElementTree.Element) -> Iterator[str]:
    for element in root.iter():
        for name in ("href", _XLINK):
            if element.get(name):
                yield element.get(name, "")
        for match in _CSS_URL.finditer(element.get("style", "") + (element.text or "")
                                       if element.tag.endswith("style") else
                                       element.get("style", "")):
            yield match.group(1)


def svg_problem(data: bytes, folder: Path, name: str) -> str:
    """Why an SVG is refused: a DOCTYPE (entities), deep `<use>` nesting, or a reference to a
    file outside the module's folder or a web address; '' when it is fine."""
    if len(data) > MAX_SVG_BYTES:
        return f"the SVG is larger than {MAX_SVG_BYTES // (1024 * 1024)} MiB"
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return "the SVG has a DOCTYPE or entities; save it without them"
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        return f"the SVG is not well-formed XML ({exc})"
    if _use_depth(root) > MAX_USE_DEPTH:
        return (f"the SVG nests <use> elements more than {MAX_USE_DEPTH} deep, which can take "
                f"minutes to draw; flatten it")
    base = PurePosixPath(name).parent
    for ref in _svg_references(root):
        parts = urlsplit(ref)
        if ref.startswith("#") or parts.scheme == "data":
            continue
        target = (folder / base / unquote(parts.path)).resolve()
        if parts.scheme or parts.netloc or not target.is_relative_to(folder.resolve()):
            return (f"the SVG refers to {ref[:80]!r}, outside the module's folder; a module "
                    f"may use only its own files")
        if not target.is_file():
            return f"the SVG refers to {ref[:80]!r}, which is not in the module's folder"
    return ""


def image_problem(folder: Path, name: str, allow_links: bool = False) -> str:
    """Why the image `name` (relative to the module's folder) cannot be used, or ''."""
    try:
        data = read_in_folder(folder, name, MAX_LOCAL_FILE, allow_links)
    except FileNotFoundError:
        return (f"no file {name!r} in {folder.name}/: put the image beside module.yaml and "
                f"write its name (e.g. map.png)")
    except OSError as exc:
        return f"cannot use {name!r}: {exc.strerror or exc}"
    if name.lower().endswith(".svg"):
        return svg_problem(data, folder, name)
    return raster_problem(data)
