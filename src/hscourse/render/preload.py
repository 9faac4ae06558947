"""Imported, for its side effect, by the process that a command-line build's render workers
are forked from (multiprocessing's forkserver; see render/server.py): it imports the renderer,
so that every worker starts with WeasyPrint imported. Without it each worker imported
WeasyPrint itself, about 0.7 s of CPU each.

The forkserver first ties its life to the build that started it, even in the middle of this
import: a build that turns out to have nothing to render ends at once, and the forkserver
would otherwise hold the build's output pipes open until its import is done. The cycle
collector stays off during the import, whose objects all live as long as the server.

It then parses the shipped stylesheet once for all workers (render/pdf.py, warm_up): the
build's first HTML takes longer to make than this import, so the server has the time.
"""

from __future__ import annotations

import gc
import os

from hscourse.render.server import STARTED_BY, end_with

end_with(int(os.environ.get(STARTED_BY, os.getppid())))

from hscourse.render.workers import import_renderer  # noqa: E402 - after end_with

gc.disable()  # the import makes objects that live as long as the server: 8% of it was
import_renderer()  # the collector walking them (0.27-0.31 s against 0.30-0.33 s)

from hscourse.render.pdf import warm_up  # noqa: E402 - imported by import_renderer

warm_up()
gc.freeze()  # kept out of every later collection, here and in each worker forked from here
gc.enable()
