"""Stage 5, write: render HTML to PDF with WeasyPrint, reading nothing outside the course folder.

WeasyPrint's default fetcher reads any file: URL and any web address, and can embed what it
reads as an attachment. The RestrictedFetcher allows only regular files inside the course folder
(symlinks resolved; no hidden files, nothing under dist/) and small data: URLs, and refuses every
other scheme, host and path; it never follows a redirect because it never opens a network URL.
WeasyPrint swallows some refused fetches (inside SVG) and logs to a null handler, so every
refusal and every ERROR record WeasyPrint logs is collected here and fails the render. Links are
checked too: a link may point to the web, to an e-mail address or inside the document, never to
a file (its link would carry this computer's path).

WeasyPrint is imported only here, and only when a PDF is actually written, so `check` and no-op
builds never pay for it.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hscourse.course.assets import MAX_LOCAL_FILE, read_in_folder
from hscourse.render import tagging
from hscourse.render.native import import_weasyprint
from hscourse.render.shipped import shipped_templates

MAX_DATA_URL = 512 * 1024
_SHARED_STYLE = re.compile(r"<style data-shared>(.*?)</style>", re.S)
_FETCHING_CSS = re.compile(r"url\(|@import|@font-face|\\", re.I)
LINK_SCHEMES = ("http", "https", "mailto")
OUTPUT_FOLDERS = ("dist",)


class RenderError(Exception):
    """A render that was refused or failed; `problems` name each offending reference."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class FetchLog:
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _shown(url: str, root: Path) -> str:
    """A URL as messages show it: relative to the course folder when it points inside it."""
    prefix = root.as_uri() + "/"
    return url[len(prefix):] if url.startswith(prefix) else url[:200]


def check_reference(url: str, root: Path, folders: tuple[str, ...] = ()
                    ) -> tuple[Path | None, str]:
    """Decide whether a URL may be read: (local path or None for data:, reason if refused).

    root must be resolved; with folders (paths relative to root), only files inside them may be
    read: a module's document reads its own module folder and the instructor's template and
    term folders, never another module's files. Percent-escapes are decoded before the path is resolved, so
    `%2e%2e/` climbs like `../` does and is caught by the same containment check.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        if len(url) > MAX_DATA_URL:
            return None, f"data: URL larger than {MAX_DATA_URL // 1024} KiB"
        return None, ""
    if scheme != "file":
        return None, (f"{scheme}: URLs are not allowed; put the file in the course folder"
                      if scheme else "not an absolute URL")
    if parts.netloc not in ("", "localhost"):
        return None, f"a file URL on another host ({parts.netloc}) is not allowed"
    path = unquote(parts.path)
    if "\0" in path:
        return None, "a NUL character in the path"
    # Lexical: symbolic links are not followed here, and read_course_file refuses them.
    real = Path(os.path.normpath(path))
    if not real.is_relative_to(root):
        return None, "outside the course folder"
    inside = real.relative_to(root).parts
    if not inside:
        return None, "not a file"
    if any(part.startswith(".") for part in inside) or inside[:1] == OUTPUT_FOLDERS:
        return None, "hidden files and build outputs cannot be used"
    if folders and not any(real.is_relative_to(root / folder) for folder in folders):
        return None, "outside this module's folder (a module may use only its own files)"
    return real, ""


def read_course_file(root: Path, path: Path, allow_links: bool = False) -> bytes:
    """The bytes of a course file, read through descriptors from the course folder down with
    O_NOFOLLOW (assets.read_in_folder): no symbolic link, even one swapped in after
    check_reference, a FIFO, a device or a hard-linked file is read."""
    try:
        return read_in_folder(root, path.relative_to(root).as_posix(), MAX_LOCAL_FILE,
                              allow_links)
    except FileNotFoundError:
        raise OSError("no such file in the course folder") from None
    except OSError:
        raise


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RestrictedFetcher(URLFetcher):
        """Reads course files itself and lets urllib handle data: URLs only."""

        def __init__(self, root: Path, log: FetchLog, folders: tuple[str, ...],
                     allow_links: bool):
            super().__init__(allowed_protocols=("data",), allow_redirects=False)
            self.root, self.log, self.folders = root, log, folders
            self.allow_links = allow_links

        def fetch(self, url: str, headers: Any = None) -> Any:
            path, reason = check_reference(url, self.root, self.folders)
            if not reason and path is not None:
                try:
                    body = read_course_file(self.root, path, self.allow_links)
                except OSError as exc:
                    reason = str(exc.strerror or exc)
            if reason:
                self.log.refused.append(f"{_shown(url, self.root)} ({reason})")
                raise ValueError(f"refused {url[:200]}: {reason}")
            if path is None:
                return super().fetch(url, headers)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), body, {"Content-Type": content_type})

    return RestrictedFetcher


class _Collect(logging.Handler):
    """WeasyPrint's errors, and its warning that a glyph is missing (it would print a box)."""

    def __init__(self, log: FetchLog):
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.log.errors.append(message)
        elif ".notdef glyph" in message:
            self.log.errors.append(f"{message}; no installed font has this character: "
                                   "install a font that does (hscourse check names the package)")


@contextmanager
def _collecting(log: FetchLog) -> Iterator[None]:
    """Collect WeasyPrint's ERROR records, whatever logging the application configured."""
    logger = logging.getLogger("weasyprint")
    handler, level = _Collect(log), logger.level
    logger.addHandler(handler)
    if not logger.isEnabledFor(logging.WARNING):
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def source_date_epoch(date: str | None) -> int:
    """SOURCE_DATE_EPOCH when set (reproducible-builds.org), else the course date, else 0."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value.isdigit():
        return int(value)
    if date:
        try:
            day = Date.fromisoformat(date)
        except ValueError:
            return 0
        return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
    return 0


@contextmanager
def _fixed_epoch(epoch: int) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH while rendering: the fontTools subsetter stamps fonts with it."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def link_problems(links: list[tuple[str, str]], root: Path, folders: tuple[str, ...] = ()
                  ) -> list[str]:
    """Refusals for (type, target) links that point at anything but the web, mail or the course."""
    out = []
    for kind, target in links:
        if kind == "internal":
            continue
        scheme = urlsplit(target).scheme.lower()
        if kind == "external" and scheme in LINK_SCHEMES:
            continue
        path, reason = check_reference(target, root, folders)
        if not reason:
            reason = ("data: URLs cannot be links" if path is None else "a link to a file "
                      "would print this computer's path into the PDF; link to a web address")
        if reason:
            out.append(f"refused link to {_shown(target, root)} ({reason})")
    return out


@lru_cache(maxsize=16)
def _parsed_stylesheet(text: str) -> Any:
    from weasyprint import CSS

    return CSS(string=text)


_THREAD = threading.local()


def _font_configuration(html: str) -> dict[str, Any]:
    """One WeasyPrint font configuration per thread, shared by its documents: Pango keeps
    each font's metrics and shapes there, and a fresh one per document cost a tenth of the
    render; the PDFs are byte for byte the same (tests/test_render_cost.py). A document with
    an @font-face of its own gets a fresh one, so that its fonts reach no other document."""
    if re.search("@font-face", html, re.I):
        return {}
    if not hasattr(_THREAD, "fonts"):
        from weasyprint.text.fonts import FontConfiguration

        _THREAD.fonts = FontConfiguration()
    return {"font_config": _THREAD.fonts}


def split_stylesheet(html: str) -> tuple[str, list[Any]]:
    """The document without its shared <style data-shared> elements, and those stylesheets
    parsed, once per process: every edition of a language shares them (_style.html.j2), and
    parsing them took about a tenth of a short document's render. If one could fetch
    anything (url(), @import, @font-face, or a backslash escape that could spell them), all
    stay in the document, so that they are parsed with the document's own restricted fetcher
    and keep their order. Moved or not, the PDF is the same: nothing outside them competes
    with them but inline styles, which win either way, and a later <style> (an edition's,
    the instructor's), which comes later either way."""
    shared = [match.group(1) for match in _SHARED_STYLE.finditer(html)]
    if not shared or any(_FETCHING_CSS.search(css) for css in shared):
        return html, []
    return _SHARED_STYLE.sub("", html), [_parsed_stylesheet(css) for css in shared]


def warm_up() -> None:
    """What every worker's first document would pay, paid in the render server before
    workers are forked from it: the shipped print.css parsed (every document made with the
    shipped templates carries it as its first shared stylesheet, _style.html.j2: about 45 ms)
    and the font configuration made (fontconfig's configuration and caches read: 14 ms),
    which each worker then shares with its documents. The server does this while the build
    is still making its first document's HTML (docs/performance.md, seventh round). A course
    with its own print.css has its own parsed, as before."""
    try:
        _parsed_stylesheet((shipped_templates() / "print.css").read_text(encoding="utf-8"))
    except OSError:
        pass
    _font_configuration("")


def compress_once(pdf: Any) -> None:
    """Compress each of a pydyf PDF's streams now, once. pydyf compresses a stream every time
    it serializes it, and its file identifier serializes every object a second time: that
    doubled the cost of writing the file (see with_identifier). The bytes are the same as
    pydyf's (zlib level 9, operations joined by newlines)."""
    import pydyf

    for item in pdf.objects:
        if isinstance(item, pydyf.Stream) and item.compress:
            body = b"\n".join(pydyf._to_bytes(part) for part in item.stream)
            item.stream = [zlib.compress(body, 9)]
            item.extra = {**item.extra, "Filter": "/FlateDecode"}
            item.compress = False


def with_identifier(pdf: bytes) -> bytes:
    """pdf with a file /ID: the MD5 of its bytes, written into the trailer dictionary (the
    first one after where startxref points: the cross-reference stream's, or the one after a
    classic table). pydyf's own identifier serializes every object a second time and
    compresses the object stream again: 4% of a guide's render (valgrind). The file's bytes
    give the same promise (the same document, the same /ID) for a fraction of that. The
    trailer comes after every object, so no offset moves."""
    start = int(pdf[pdf.rindex(b"startxref") + len(b"startxref"):].split()[0])
    at = pdf.index(b"<<", start) + 2
    digest = hashlib.md5(pdf, usedforsecurity=False).hexdigest().encode()
    return b"".join((pdf[:at], b"/ID [<", digest, b"> <", digest, b">]", pdf[at:]))


def _finisher(tags: tagging.Tagging, tagged: bool) -> Callable[[Any, Any], None]:
    """What WeasyPrint calls with its PDF objects just before writing them."""

    def finish(document: Any, pdf: Any) -> None:
        if tagged:
            tagging.finish(pdf, tags)
        compress_once(pdf)

    return finish


def write_pdf(html: str, root: Path, *, variant: str | None = "pdf/ua-1",
              date: str | None = None, folders: tuple[str, ...] = (),
              allow_links: bool = False) -> bytes:
    """Render HTML (whose relative references resolve against root) to PDF bytes.

    The default variant is PDF/UA-1: a tagged PDF with its language and title, for screen
    readers. date (YYYY-MM-DD, the course date) fixes the font timestamps and, when the HTML
    names no document date, the PDF's dates; SOURCE_DATE_EPOCH overrides it. folders, when
    given, are the only parts of root the document may read (see check_reference). Without either the
    PDF carries no date at all, so identical inputs always give identical bytes.
    """
    import_weasyprint()
    from weasyprint import HTML

    root = root.resolve()
    log = FetchLog()
    epoch = source_date_epoch(date)
    stamp_dates = bool(date) or "SOURCE_DATE_EPOCH" in os.environ
    with _collecting(log), _fixed_epoch(epoch):
        fetcher = _fetcher_class()(root, log, folders, allow_links)
        body, stylesheets = split_stylesheet(html)
        document = HTML(string=body, base_url=root.as_uri() + "/", url_fetcher=fetcher
                        ).render(stylesheets=stylesheets, **_font_configuration(html))
        links = [(kind, target) for page in document.pages for kind, target, *_ in page.links]
        refused_links = link_problems(links, root, folders)
        if document.metadata.created is None and stamp_dates:
            stamp = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            document.metadata.created = document.metadata.modified = stamp
        with tagging.hooked() as tags:
            pdf = with_identifier(document.write_pdf(
                pdf_variant=variant, finisher=_finisher(tags, bool(variant and "ua" in variant))))
    problems = [f"refused to read {r}" for r in dict.fromkeys(log.refused)]
    problems += refused_links + [e for e in dict.fromkeys(log.errors) if "refused " not in e]
    if problems:
        raise RenderError(problems)
    return pdf
