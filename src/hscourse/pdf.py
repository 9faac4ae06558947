"""Stage 5, write: render HTML to PDF with WeasyPrint, reading nothing outside the course folder.

WeasyPrint's default fetcher reads any file: URL and any web address, and can embed what it
reads as an attachment. The RestrictedFetcher allows only regular files inside the course folder
(symlinks resolved) and small data: URLs; every refusal, and every error WeasyPrint logs, fails
the render with a message naming the reference. WeasyPrint is imported only here, and only when
a PDF is actually written, so `check` and no-op builds never pay for it.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

MAX_DATA_URL = 512 * 1024
MAX_LOCAL_FILE = 8 * 1024 * 1024


class RenderError(Exception):
    """A render that was refused or failed; the message names what and where."""


@dataclass
class FetchLog:
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def check_reference(url: str, root: Path) -> tuple[Path | None, str]:
    """Decide whether a URL may be read: (local path or None for data:, reason if refused)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        if len(url) > MAX_DATA_URL:
            return None, f"data: URL larger than {MAX_DATA_URL // 1024} KiB"
        return None, ""
    if scheme != "file":
        return None, f"{scheme or 'relative'} URLs are not allowed; put the file in the course folder"
    if parts.netloc not in ("", "localhost"):
        return None, f"file URL on host {parts.netloc!r} is not allowed"
    path = Path(unquote(parts.path))
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None, "no such file"
    if not real.is_relative_to(root):
        return None, "outside the course folder"
    info = real.stat()
    if not stat.S_ISREG(info.st_mode):
        return None, "not a regular file"
    if info.st_size > MAX_LOCAL_FILE:
        return None, f"file larger than {MAX_LOCAL_FILE // (1024 * 1024)} MiB"
    return real, ""


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RestrictedFetcher(URLFetcher):
        def __init__(self, root: Path, log: FetchLog):
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
            self.root, self.log = root, log

        def fetch(self, url: str, headers: Any = None) -> Any:
            path, reason = check_reference(url, self.root)
            if reason:
                self.log.refused.append(f"{url}: {reason}")
                raise ValueError(f"refused {url}: {reason}")
            if path is None:
                return super().fetch(url, headers)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                      {"Content-Type": content_type})

    return RestrictedFetcher


class _Collect(logging.Handler):
    def __init__(self, log: FetchLog):
        super().__init__(logging.ERROR)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        self.log.errors.append(record.getMessage())


def write_pdf(html: str, root: Path, *, variant: str | None = "pdf/ua-1") -> bytes:
    """Render HTML (whose relative references resolve against root) to PDF bytes.

    The default variant is PDF/UA-1: a tagged PDF with its language and title, for screen
    readers.
    """
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    from weasyprint import HTML

    log = FetchLog()
    handler = _Collect(log)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        fetcher = _fetcher_class()(root.resolve(), log)
        document = HTML(string=html, base_url=root.resolve().as_uri() + "/", url_fetcher=fetcher)
        pdf = document.write_pdf(pdf_variant=variant)
    finally:
        logger.removeHandler(handler)
    problems = [f"refused to read {r}" for r in log.refused] + log.errors
    if problems:
        raise RenderError("; ".join(problems))
    return pdf
