"""Imported, for its side effect, by the process that a build's render workers are forked from
(multiprocessing's forkserver; see workers.Renderer): import the renderer and render one small
document, so that every worker starts with WeasyPrint imported and warmed.

Without it each worker imported WeasyPrint (about 0.7 s of CPU) and paid its first-use costs
(cffi parsing C type declarations, fonts opened, the subsetter loaded: about 0.25 s) in its
first document. A failed warm-up is ignored: it is only a head start, and the real render
reports any real problem.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import jinja2

from hscourse.render.fonts import template_fonts
from hscourse.render.html import shipped_templates
from hscourse.render.workers import import_renderer


def warm_up() -> None:
    """Import the renderer and render the warm-up document (templates/warm-up.html.j2)."""
    import_renderer()
    from hscourse.render.pdf import write_pdf

    text = (shipped_templates() / "warm-up.html.j2").read_text(encoding="utf-8")
    html = jinja2.Environment(autoescape=True).from_string(text).render(
        fonts=template_fonts("en"))
    with tempfile.TemporaryDirectory() as folder:
        try:
            write_pdf(html, Path(folder), date="2000-01-01")
        except Exception:  # noqa: BLE001 - a head start only; the real render reports problems
            pass


warm_up()
