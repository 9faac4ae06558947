"""Writing into dist/: atomic files, an all-or-nothing publish, the manifest, reproducible zips.

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
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from hscourse.paths import inside, unsafe_relative_path

MANIFEST = "manifest.json"
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

    def __post_init__(self) -> None:
        problem = unsafe_relative_path(self.path)
        if problem:
            raise ValueError(f"unsafe output path {self.path!r}: {problem}")


def _temp_for(target: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.name}.", suffix=TEMP_SUFFIX,
                            dir=target.parent)


def _stage(target: Path, data: bytes) -> str:
    """Write data to a flushed, synced temporary file (mode 0644) beside target; its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_for(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
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


def write_atomic(target: Path, data: bytes) -> None:
    """Write data to target so that readers see the old file or the new one, never a part."""
    tmp = _stage(target, data)
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


def publish(dist: Path, files: Mapping[Output, bytes], inputs: str | None = None) -> None:
    """Replace the outputs in dist/ with files, all or nothing, and write the manifest last.

    Outputs the previous manifest listed and this build did not make are removed afterwards.
    """
    dist.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(dist)
    remove_stale_temporaries(dist)
    staged: list[tuple[str, Path]] = []
    with deferred_signals():
        try:
            unchanged = {(o.path, o.sha256) for o in previous}
            for entry, data in sorted(files.items(), key=lambda item: item[0].path):
                target = inside(dist, entry.path)
                if (entry.path, entry.sha256) in unchanged and target.is_file():
                    continue  # an incremental build: the file there is already this one
                staged.append((_stage(target, data), target))
            manifest = inside(dist, MANIFEST)
            staged.append((_stage(manifest, manifest_bytes(files, inputs)), manifest))
        except BaseException:
            for tmp, _ in staged:
                Path(tmp).unlink(missing_ok=True)
            raise
        for tmp, target in staged:
            os.replace(tmp, target)
        for folder in {target.parent for _, target in staged}:
            _sync_folder(folder)
    current = {entry.path for entry in files}
    for old in previous:
        if old.path not in current:
            inside(dist, old.path).unlink(missing_ok=True)


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
    (epoch, e.g. from hscourse.pdf.source_date_epoch, never before 1980), fixed permissions."""
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
