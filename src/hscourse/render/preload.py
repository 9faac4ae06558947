"""Imported, for its side effect, by the process that a command-line build's render workers
are forked from (multiprocessing's forkserver; see workers.Renderer): it imports the renderer,
so that every worker starts with WeasyPrint imported. Without it each worker imported
WeasyPrint itself, about 0.7 s of CPU each.

(Rendering a small document here as well, to pay WeasyPrint's first-use costs once, saved
each worker about 0.1 s but delayed every worker's start by 0.3-0.4 s: not kept.)
"""

from __future__ import annotations

from hscourse.render.workers import import_renderer

import_renderer()
