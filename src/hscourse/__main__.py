"""The `hscourse` command (and `python -m hscourse`).

Kept light on purpose: for a command that renders, the render server starts here, before
the command line itself (click, the rest of hscourse) is imported, so that the server's
import of WeasyPrint begins about 40 ms sooner. The console script is imported again by that
server (multiprocessing's forkserver imports the program's main script): it then imports
only this module."""

from __future__ import annotations

import sys


def main() -> None:
    from hscourse.render.server import start_for_command

    start_for_command(sys.argv[1:])
    from hscourse.cli import run

    run()


if __name__ == "__main__":
    main()
