"""The process a command-line build's render workers are forked from.

multiprocessing's forkserver imports the renderer once (render/preload.py) and forks every
worker from that state, so each starts with WeasyPrint imported. The import takes most of a
second, so the command line starts the forkserver as soon as it knows it may render (`build`,
`serve`): before it imports the rest of hscourse (a fifth of a second) and reads the course.
This module imports nothing of hscourse, so that the start comes first.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import sys
import threading
from multiprocessing.context import BaseContext

PRELOAD = "hscourse.render.preload"
STARTED_BY = "HSCOURSE_FORKSERVER_FOR"  # the process id of the build that started it
RENDERING_COMMANDS = ("build", "serve")
_SERVED = {"enabled": False}


def start_workers_from_a_server(enabled: bool = True) -> None:
    """Start render workers from multiprocessing's forkserver, which imports the renderer
    once for all of them (see workers.Renderer).

    The command line turns this on. A program that uses the library leaves it off unless its
    main module may be imported again: a worker started that way imports the program's main
    script (as multiprocessing's spawn does), so a script without an
    `if __name__ == "__main__":` guard would run again in every worker."""
    _SERVED["enabled"] = enabled


def serves() -> bool:
    """Whether render workers come from the forkserver: once start_workers_from_a_server was
    called, unless this process has the renderer imported already (a test session, a second
    build in one process), whose workers are forked from it and start warm."""
    return _SERVED["enabled"] and "weasyprint" not in sys.modules


def server_context() -> BaseContext:
    """The forkserver's context. The server learns which process it serves from the
    environment it inherits: by the time it looks, a build that ended at once has left it an
    orphan, whose parent is no longer the build."""
    os.environ[STARTED_BY] = str(os.getpid())
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    return context


def start_for_command(args: list[str]) -> None:
    """What the command line's entry point does first: render workers come from the
    forkserver for every command (the entry points are guarded), and the server starts now
    when the arguments name a command that renders (the first argument that is not an
    option: the command group has options only, -h, --help and --version)."""
    start_workers_from_a_server()
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command in RENDERING_COMMANDS:
        start_server()


def start_server() -> None:
    """Start the forkserver now, when workers will come from it. Starting it takes about
    10 ms, in a thread; its import of the renderer then runs in the server, beside this
    process. Workers asked for later are forked as soon as the import is done."""
    if serves():
        from multiprocessing import forkserver

        server_context()
        threading.Thread(target=forkserver.ensure_running, daemon=True,
                         name="hscourse-start-server").start()


def end_with(process: int) -> bool:
    """End this process as soon as process ends (watched through a pidfd, in a thread);
    False where pidfds are not available. A process that is gone already ends this one now."""
    try:
        handle = os.pidfd_open(process)
    except ProcessLookupError:
        os._exit(1)
    except (OSError, AttributeError):
        return False
    threading.Thread(target=_exit_when_ended, args=(handle,), daemon=True,
                     name="hscourse-watch-build").start()
    return True


def _exit_when_ended(handle: int) -> None:
    """Wait until the process behind a pidfd ends, then end this one."""
    select.select([handle], [], [])
    os._exit(1)
