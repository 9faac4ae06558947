"""Where the templates that come with hscourse are: inside the installed package, or the
repository's in a development tree. Apart from render/html.py (Jinja and the course model)
so that the render server can read the shipped stylesheet without importing them."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def shipped_templates() -> Path:
    """The templates inside the installed package, or the repository's in a development tree."""
    inside = PACKAGE_DIR / "templates"
    return inside if inside.is_dir() else PACKAGE_DIR.parents[1] / "templates"
