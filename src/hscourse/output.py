"""Writing into dist/: atomic files, an all-or-nothing publish, the manifest, reproducible zips.

Instructor files are private (0600 in 0700 folders: keys, guides and grades are for the
instructor's account alone); student files are 0644. A build holds a lock on dist/ while it
runs, so two builds never interleave; a no-op build checks every output against the manifest
(size and modification time first, the SHA-256 when they differ).

Every file is written to a temporary file in its own folder, flushed, and renamed into place,
so readers never see part of a file. `publish` stages every new file first, and only then renames
them all and writes the manifest last, with SIGINT/SIGTERM/SIGHUP held back while it does, so a
build that fails or is interrupted leaves the previous outputs and manifest as they were. Only an
unblockable kill (SIGKILL, power loss) in the rename phase, which lasts microseconds, can leave a
mix; temporary files such a kill leaves behind are removed by the next publish.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from hscourse.course.paths import inside, unsafe_relative_path

MANIFEST = "manifest.json"
STATE = ".hscourse-state.json"  # size and mtime of each output: the no-op build's fast path
LOCK = ".hscourse.lock"
PRIVATE_FILE, PRIVATE_FOLDER, PUBLIC_FILE = 0o600, 0o700, 0o644
TEMP_PREFIX, TEMP_SUFFIX = ".hscourse-", ".tmp"
DEFERRED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                         if hasattr(signal, name))
ZIP_EPOCH = 315532800  # 1980-01-01, the earliest time a zip entry can record


@dataclass(frozen=True)
class Output:
    """One file in dist/, as the manifest lists it. Its path can never leave dist/."""

    path: str
    audience: str
    kind: str
    module: str
    sha256: str
    version: str | None = None
    input: str | None = None  # hash of what the file was made from, for incremental builds
    checked: bool | None = None  # a student file that passed the leak check when it was made
    edition: str | None = None  # "large-print" for the large-print edition, else None

    def __post_init__(self) -> None:
        problem = unsafe_relative_path(self.path)
        if problem:
            raise ValueError(f"unsafe output path {self.path!r}: {problem}")


def _temp_for(target: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.name}.", suffix=TEMP_SUFFIX,
                            dir=target.parent)


class OutputError(Exception):
    """dist/ cannot be written as it is (a link inside it, a full disk, another build)."""


def _folders(dist: Path, target: Path, private: bool) -> None:
    """Create target's folders below dist (0700 for instructor outputs), refusing links."""
    relative = target.parent.relative_to(dist)
    folder = dist
    for part in relative.parts:
        folder = folder / part
        if folder.is_symlink():
            raise OutputError(f"{folder} is a symbolic link; hscourse writes only into real "
                              f"folders inside {dist.name}/: remove the link and build again")
        if not folder.is_dir():
            folder.mkdir(mode=PRIVATE_FOLDER if private else 0o755)
        if private:
            os.chmod(folder, PRIVATE_FOLDER)


def stage(target: Path, data: bytes, mode: int = PUBLIC_FILE) -> str:
    """Write data to a flushed, synced temporary file (with mode) beside target; its path."""
    fd, tmp = _temp_for(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _sync_folder(folder: Path) -> None:
    """Make renames in folder durable (a no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(target: Path, data: bytes, mode: int = PUBLIC_FILE) -> None:
    """Write data to target so that readers see the old file or the new one, never a part."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = stage(target, data, mode)
    try:
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGHUP until the block ends (POSIX main thread only)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def remove_stale_temporaries(dist: Path) -> None:
    """Delete temporary files an earlier, killed publish left in dist/."""
    if dist.is_dir():
        for stale in dist.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            if stale.is_file() and not stale.is_symlink():
                stale.unlink(missing_ok=True)


@contextmanager
def dist_lock(dist: Path) -> Iterator[None]:
    """Hold dist/'s lock for a whole build; a second build stops with a clear message."""
    import fcntl

    if dist.is_symlink():
        raise OutputError(f"{dist} is a symbolic link; build into a real folder")
    created = not dist.exists()
    dist.mkdir(parents=True, exist_ok=True)
    fd = os.open(dist / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"another hscourse build is writing to {dist}; wait for it to "
                              "finish, then build again") from None
        yield
    finally:
        os.close(fd)
        if created and [p.name for p in dist.iterdir()] == [LOCK]:  # a failed first build
            (dist / LOCK).unlink(missing_ok=True)
            dist.rmdir()


def umasked(mode: int) -> int:
    """mode as the user's umask allows it (a file the user asked for, outside dist/)."""
    current = os.umask(0)
    os.umask(current)
    return mode & ~current


def _mode(entry: Output) -> int:
    return PUBLIC_FILE if entry.audience == "student" else PRIVATE_FILE


def _stage_all(dist: Path, files: Mapping[Output, bytes], previous: list[Output],
               inputs: str | None) -> list[tuple[str, Path]]:
    staged: list[tuple[str, Path]] = []
    state = _read_state(dist)
    try:
        unchanged = {(o.path, o.sha256) for o in previous}
        for entry, data in sorted(files.items(), key=lambda item: item[0].path):
            _folders(dist, dist / entry.path, entry.audience != "student")
            target = inside(dist, entry.path)
            if target.is_symlink():
                raise OutputError(f"{target} is a symbolic link; remove it and build again")
            if (entry.path, entry.sha256) in unchanged and _intact(dist, entry, state):
                os.chmod(target, _mode(entry))
                continue  # an incremental build: the file there is already this one
            staged.append((stage(target, data, _mode(entry)), target))
        manifest = inside(dist, MANIFEST)
        staged.append((stage(manifest, manifest_bytes(files, inputs)), manifest))
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    return staged


def publish(dist: Path, files: Mapping[Output, bytes], inputs: str | None = None) -> None:
    """Replace the outputs in dist/ with files, all or nothing, and write the manifest last.

    Outputs the previous manifest listed and this build did not make are removed afterwards.
    A disk that fills up, or a link inside dist/, stops the publish with an OutputError before
    anything is renamed.
    """
    dist.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(dist)
    remove_stale_temporaries(dist)
    with deferred_signals():
        try:
            staged = _stage_all(dist, files, previous, inputs)
        except OSError as exc:
            raise OutputError(f"could not write into {dist}: {exc.strerror or exc}; nothing "
                              "was changed") from None
        for tmp, target in staged:
            os.replace(tmp, target)
        for folder in {target.parent for _, target in staged}:
            _sync_folder(folder)
    current = {entry.path for entry in files}
    for old in previous:
        if old.path not in current:
            inside(dist, old.path).unlink(missing_ok=True)
    write_state(dist, files)


def _stat_key(path: Path) -> list[int] | None:
    try:
        info = path.lstat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def write_state(dist: Path, files: Iterable[Output]) -> None:
    """Record each output's size and mtime: the fast path of `verify`."""
    state = {o.path: _stat_key(dist / o.path) for o in files}
    (dist / STATE).write_text(json.dumps(state, sort_keys=True), encoding="utf-8")


def _read_state(dist: Path) -> dict[str, object]:
    try:
        state = json.loads((dist / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _intact(dist: Path, entry: Output, state: dict[str, object]) -> bool:
    """Whether entry's file is in dist/ as listed: the same size and mtime as recorded, or
    else the same SHA-256 (a file merely touched is still fine)."""
    path = dist / entry.path
    if path.is_symlink() or not path.is_file():
        return False
    return state.get(entry.path) == _stat_key(path) or sha256(path.read_bytes()) == entry.sha256


def verify(dist: Path, outputs: list[Output]) -> bool:
    """Whether every output is in dist/ exactly as the manifest lists it."""
    state = _read_state(dist)
    return all(_intact(dist, entry, state) for entry in outputs)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(outputs: Iterable[Output], inputs: str | None = None) -> bytes:
    """The manifest: every output, and the stamp of the inputs they were built from."""
    entries = [{k: v for k, v in asdict(o).items() if v is not None}
               for o in sorted(outputs, key=lambda o: o.path)]
    data = {"inputs": inputs, "outputs": entries} if inputs else {"outputs": entries}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def read_inputs_stamp(dist: Path) -> str | None:
    """The inputs stamp the last build recorded, if any."""
    try:
        stamp = json.loads((dist / MANIFEST).read_text(encoding="utf-8")).get("inputs")
    except (OSError, ValueError, AttributeError):
        return None
    return stamp if isinstance(stamp, str) else None


def read_manifest(dist: Path) -> list[Output]:
    """The outputs the last build recorded; [] when there is no valid manifest."""
    try:
        data = json.loads((dist / MANIFEST).read_text(encoding="utf-8"))
        return [Output(**entry) for entry in data["outputs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def zip_bytes(members: Mapping[str, bytes], epoch: int = ZIP_EPOCH) -> bytes:
    """A zip of members whose bytes depend only on the members: sorted names, one fixed time
    (epoch, e.g. from hscourse.render.pdf.source_date_epoch, never before 1980), fixed permissions."""
    stamp = datetime.fromtimestamp(max(epoch, ZIP_EPOCH), timezone.utc).timetuple()[:6]
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            problem = unsafe_relative_path(name)
            if problem:
                raise ValueError(f"unsafe zip member {name!r}: {problem}")
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, members[name], compresslevel=9)
    return buffer.getvalue()
