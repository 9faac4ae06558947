"""Writing into dist/: atomic files and the manifest.

Every file is written to a temporary file in its own folder, flushed, and renamed into place,
so a build that fails or is killed part-way leaves the previous outputs intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Output:
    """One file in dist/, as the manifest lists it."""

    path: str
    audience: str
    kind: str
    module: str
    sha256: str
    version: str | None = None


def write_atomic(target: Path, data: bytes) -> None:
    """Write data to target so that readers see the old file or the new one, never a part."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(outputs: Iterable[Output]) -> bytes:
    entries = [{k: v for k, v in asdict(o).items() if v is not None}
               for o in sorted(outputs, key=lambda o: o.path)]
    return (json.dumps({"outputs": entries}, indent=2, ensure_ascii=False) + "\n").encode()


def read_manifest(dist: Path) -> list[Output]:
    try:
        data = json.loads((dist / MANIFEST).read_text(encoding="utf-8"))
        return [Output(**entry) for entry in data["outputs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
