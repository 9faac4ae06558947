"""`hscourse serve`: build, serve dist/ on 127.0.0.1, rebuild when a course file is saved.

The build is the ordinary one (PDFs that did not change are reused, so a rebuild renders only
what an edit touched) with the web edition switched on. HTML pages are served with a small
script that polls /__hscourse/version and reloads the page after each rebuild; while the
course has a content error every page is replaced by the error, with its file:line:column,
until a save fixes it. The server listens on 127.0.0.1 unless the caller names another host,
and serves only the student outputs (site/ and student/), never the private instructor files.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hscourse.options import Options
from hscourse.render.html import environment, shipped_templates
from hscourse.watch import Rebuilder

LOCALHOST = "127.0.0.1"
PREFIX = "/__hscourse/"
# Only what students get: instructor outputs are private files (0600), and serving them would
# hand them to every account on the machine.
SERVED = ("site", "student")


class Preview:
    """A live preview of the course at root: a server thread and a watcher thread."""

    def __init__(self, root: Path, term: Path | None = None, port: int = 8000,
                 host: str = LOCALHOST, options: Options = Options(),
                 report: Callable[[str], None] = lambda _: None):
        self.report, self.host = report, host
        self.rebuilder = Rebuilder(root, term, replace(options, html=True))
        self.dist = self.rebuilder.dist
        self.version = 0
        self.problems: list[str] = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        handler = partial(PreviewHandler, preview=self, directory=str(self.dist))
        self.server = ThreadingHTTPServer((host, port), handler)
        self.threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}/site/index.html"

    def rebuild(self) -> None:
        """Build once; remember the problems (or none) and bump the version pages poll."""
        rebuilt = self.rebuilder.rebuild()
        for line in rebuilt.lines():
            self.report(line)
        with self.lock:
            self.problems = rebuilt.problems
            self.version += 1

    def watch(self) -> None:
        """Rebuild after every batch of saves, until stopped."""
        for _ in self.rebuilder.saves(self.stop_event):
            self.rebuild()

    def start(self) -> Preview:
        """Build, then serve and watch in background threads (daemons)."""
        self.rebuild()
        for target in (self.server.serve_forever, self.watch):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.server.shutdown()
        self.server.server_close()
        for thread in self.threads:
            thread.join(timeout=2)
        self.rebuilder.close()

    def state(self) -> tuple[int, list[str]]:
        with self.lock:
            return self.version, list(self.problems)


class PreviewHandler(SimpleHTTPRequestHandler):
    """dist/ as files, HTML pages with the reload script, the error page while there are
    problems, and the two preview addresses under /__hscourse/."""

    def __init__(self, *args: Any, preview: Preview, **kwargs: Any):
        self.preview = preview
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Quiet: the preview reports builds, not every request."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        version, problems = self.preview.state()
        if path == PREFIX + "version":
            self.send(json.dumps({"version": version, "ok": not problems}).encode(),
                      "application/json")
        elif path == PREFIX + "reload.js":
            self.send((shipped_templates() / "site" / "reload.js").read_bytes(),
                      "text/javascript; charset=utf-8")
        elif path in ("/", "/site", "/site/"):
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/site/index.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path.lstrip("/").split("/", 1)[0] not in SERVED:
            self.send_error(HTTPStatus.NOT_FOUND, "the preview serves site/ and student/ only")
        elif problems and (path.endswith((".html", "/"))):
            page = environment(()).get_template("site/error.html.j2").render(problems=problems)
            self.send(with_reload(page, version).encode(), "text/html; charset=utf-8",
                      HTTPStatus.INTERNAL_SERVER_ERROR)
        elif path.endswith(".html"):
            file = Path(self.translate_path(path))
            if not file.is_file():
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            page = file.read_text(encoding="utf-8")
            self.send(with_reload(page, version).encode(), "text/html; charset=utf-8")
        else:
            super().do_GET()

    def send(self, body: bytes, kind: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def with_reload(page: str, version: int) -> str:
    """The page with the reload script before </body> (the built files never have it)."""
    script = environment(()).get_template("site/reload-tag.html.j2").render(version=version)
    at = page.rfind("</body>")
    return page[:at] + script + page[at:] if at >= 0 else page + script
