"""The process a command-line build's render workers are forked from.

multiprocessing's forkserver imports the renderer once (render/preload.py) and forks every
worker from that state, so each starts with WeasyPrint imported. The import takes most of a
second, so the command line starts the forkserver as soon as it knows it may render (`build`,
`serve`): before it imports the rest of hscourse (a fifth of a second) and reads the course,
by forking itself into the server where it can (_fork_the_server). This module imports
nothing of hscourse, and little else, so that the start comes first.
"""

from __future__ import annotations

import atexit
import os
import sys

TYPE_CHECKING = False  # typing and threading cost 12 ms before the server can start
if TYPE_CHECKING:
    from multiprocessing.context import BaseContext
    from typing import NoReturn

PRELOAD = "hscourse.render.preload"
STARTED_BY = "HSCOURSE_FORKSERVER_FOR"  # the process id of the build that started it
RENDERING_COMMANDS = ("build", "serve")
_SERVED = {"enabled": False}
_SOCKET: list[tuple[str, str]] = []  # in a forked server: its socket's folder and address


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
    import multiprocessing

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
    """Start the forkserver now, when workers will come from it: its import of the renderer
    then runs beside this process. Workers asked for later are forked as soon as the
    import is done."""
    if not serves():
        return
    if _fork_the_server():
        return
    import threading
    from multiprocessing import forkserver

    server_context()
    threading.Thread(target=forkserver.ensure_running, daemon=True,
                     name="hscourse-start-server").start()


def _fork_the_server() -> bool:
    """Fork this process into multiprocessing's forkserver, where multiprocessing would
    start a new interpreter; False where that cannot be done, and multiprocessing then
    starts it as usual.

    The command line calls this first thing, when it has imported almost nothing: the
    server's import of the renderer starts 80 ms sooner than through a new interpreter,
    which multiprocessing starts only once it has imported itself and started its resource
    tracker. The server then is what multiprocessing would have made: its main loop
    (forkserver.main), serving on a socket in a folder only this user may enter, with the
    "alive" pipe that ends it when every client has gone. Only with one thread (forking
    while another runs could copy a lock it holds) and on the Pythons whose forkserver this
    matches (3.14 added a key to its handshake)."""
    threads = sys.modules.get("threading")  # not imported: no thread started but this one
    if not (3, 10) <= sys.version_info[:2] < (3, 14) or (threads and threads.active_count() > 1):
        return False
    import socket

    folder = os.path.join(os.environ.get("TMPDIR") or "/tmp",
                          f"hscourse-{os.getpid()}-{os.urandom(6).hex()}")
    address = os.path.join(folder, "server")
    listener = socket.socket(socket.AF_UNIX)
    pipe: tuple[int, int] | None = None
    try:
        os.mkdir(folder, 0o700)
        listener.bind(address)
        listener.listen()
        os.environ[STARTED_BY] = str(os.getpid())
        pipe = alive_r, alive_w = os.pipe()
        pid = os.fork()
    except OSError:  # no socket, pipe or process to spare: multiprocessing starts it instead
        listener.close()
        for fd in pipe or ():
            os.close(fd)
        _remove(folder, address)
        return False
    if pid == 0:
        _SOCKET.append((folder, address))
        _serve(listener.fileno(), alive_r, alive_w)
    os.close(alive_r)
    listener.close()
    from multiprocessing import forkserver

    vars(forkserver._forkserver).update(  # what its ensure_running would have set  # noqa: SLF001
        _forkserver_address=address, _forkserver_alive_fd=alive_w, _forkserver_pid=pid)
    server_context()
    atexit.register(_remove, folder, address)
    _fork_the_tracker()
    return True


def _fork_the_tracker() -> None:
    """Fork this process into multiprocessing's resource tracker, which would otherwise be
    a new interpreter started once the build makes its workers' queues (20 ms of CPU while
    both cores are busy importing). The tracker removes the queues' named semaphores if the
    build dies without doing so; it runs multiprocessing's own loop (resource_tracker.main),
    on a pipe whose other end multiprocessing then hands to every worker, as its own start
    does. Where it cannot fork, multiprocessing starts it as usual."""
    import signal
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker  # noqa: SLF001
    ignored = {signal.SIGINT, signal.SIGTERM}  # ignored by the tracker: blocked until it is
    try:
        read, write = os.pipe()
    except OSError:
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, ignored)
    try:
        pid = os.fork()
    except OSError:
        pid = -1
    if pid == 0:
        _track(read)
    signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    os.close(read)
    if pid < 0:
        os.close(write)
        return
    vars(tracker).update(_fd=write, _pid=pid)  # what its ensure_running would have set


def _track(read: int) -> NoReturn:
    """The forked tracker: multiprocessing's loop until every holder of the pipe has gone."""
    code = 1
    try:
        _close_all_but(read)
        from multiprocessing import resource_tracker

        resource_tracker.main(read)  # unblocks the signals it has just ignored
        code = 0
    except Exception:  # noqa: BLE001
        sys.excepthook(*sys.exc_info())
    finally:
        os._exit(code)


def _serve(listener: int, alive_r: int, alive_w: int) -> NoReturn:
    """The forked server: multiprocessing's forkserver loop, with the renderer preloaded.
    It never returns into the command line it was forked from, and removes its socket
    when it ends (the build does too, at exit; a killed build cannot)."""
    code = 1
    try:
        _close_all_but(listener, alive_r)
        from multiprocessing import forkserver

        forkserver.main(listener, alive_r, [PRELOAD])
    except SystemExit as end:  # the loop's way out: every client has gone
        code = end.code if isinstance(end.code, int) else 0
    except Exception:  # noqa: BLE001 - said as multiprocessing's own server would
        sys.excepthook(*sys.exc_info())
    finally:
        _remove_socket()
        os._exit(code)


def _close_all_but(*kept: int) -> None:
    """In a forked child: close every descriptor inherited from the command line but the
    standard streams and kept (the build's other pipes and sockets must not stay open)."""
    keep = sorted({0, 1, 2, *kept})
    for low, high in zip(keep, keep[1:] + [os.sysconf("SC_OPEN_MAX")]):
        os.closerange(low + 1, high)


def _remove_socket() -> None:
    """In a forked server (and the workers it forks, whose build has ended when they call
    this), remove the server's socket and folder."""
    for folder, address in _SOCKET:
        _remove(folder, address)


def _remove(folder: str, address: str) -> None:
    """Remove the server's socket and its folder (at exit, or after a failed start)."""
    for remove, path in ((os.unlink, address), (os.rmdir, folder)):
        try:
            remove(path)
        except OSError:
            pass


def end_with(process: int) -> bool:
    """End this process as soon as process ends (watched through a pidfd, in a thread);
    False where pidfds are not available. A process that is gone already ends this one now."""
    try:
        handle = os.pidfd_open(process)
    except ProcessLookupError:
        _remove_socket()
        os._exit(1)
    except (OSError, AttributeError):
        return False
    import threading

    threading.Thread(target=_exit_when_ended, args=(handle,), daemon=True,
                     name="hscourse-watch-build").start()
    return True


def _exit_when_ended(handle: int) -> None:
    """Wait until the process behind a pidfd ends, then end this one."""
    import select

    select.select([handle], [], [])
    _remove_socket()
    os._exit(1)
