"""Fingerprints of a build's inputs, so that unchanged work is skipped.

Two levels: `environment` covers what every document depends on besides its own HTML (this
hscourse, WeasyPrint, the fonts installed); `inputs` adds every file of the course folder a
build reads. When the inputs stamp of the last build still holds and its outputs are in place,
a build ends before loading anything (a no-op build); otherwise each document's HTML decides.
Only light modules are imported here, so that the no-op path stays fast.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from hscourse import __version__
from hscourse.render.shipped import shipped_templates

PACKAGE = Path(__file__).resolve().parent
FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts",
                str(Path.home() / ".local/share/fonts"), str(Path.home() / ".fonts"))
COURSE_FOLDERS = ("modules", "terms", "templates")


def _files(folder: Path) -> Iterable[Path]:
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def _add_file(digest: hashlib._Hash, path: Path, label: str) -> None:
    info = path.stat()
    digest.update(f"{label}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())


@lru_cache(maxsize=1)
def environment() -> str:
    """hscourse (its version and own files, templates included), WeasyPrint and the fonts.
    Files count by size and time of change. WeasyPrint counts by its __init__.py, which
    holds its version and which installing any version writes anew (its version through
    importlib.metadata cost every build 15 ms to import that)."""
    digest = hashlib.sha256(f"hscourse {__version__}\n".encode())
    weasyprint = find_spec("weasyprint")
    if weasyprint is None or weasyprint.origin is None:
        digest.update(b"weasyprint missing\n")
    else:
        _add_file(digest, Path(weasyprint.origin), "weasyprint/__init__.py")
    for path in _files(PACKAGE):
        _add_file(digest, path, str(path.relative_to(PACKAGE)))
    templates = shipped_templates()
    if not templates.is_relative_to(PACKAGE):  # a development tree's, beside the package
        for path in _files(templates):
            _add_file(digest, path, f"templates/{path.relative_to(templates)}")
    for top in FONT_FOLDERS:
        for folder, _, _ in sorted(os.walk(top)):
            digest.update(f"{folder}\0{os.stat(folder).st_mtime_ns}\n".encode())
    return digest.hexdigest()


def inputs(root: Path, term: Path | None, options: str) -> str:
    """Everything a build of the course at root reads, and the options that change output."""
    digest = hashlib.sha256(f"{environment()}\n{options}\n".encode())
    secret = os.environ.get("HSCOURSE_SECRET", "")  # keys every shuffle (hscourse.course.forms)
    digest.update(hashlib.sha256(secret.encode()).digest())
    root = root.resolve()
    for path in [root / "course.yaml"] + ([term.resolve()] if term else []):
        if path.is_file():
            _add_file(digest, path, str(path))
    for name in COURSE_FOLDERS:
        for path in _files(root / name):
            _add_file(digest, path, str(path.relative_to(root)))
    roster = _roster(root, term)
    if roster is not None:
        _add_file(digest, roster, "roster")
    return digest.hexdigest()


def _roster(root: Path, term: Path | None) -> Path | None:
    """The roster CSV the settings name (print sets and class sheets print its names), when
    it is a file inside the course folder."""
    import yaml

    name = None
    for path in [root / "course.yaml"] + ([term] if term else []):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # the build reports it
        if isinstance(data, dict) and isinstance(data.get("roster"), str):
            name = data["roster"]
    if name is None:
        return None
    path = (root / name).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None
