"""Small courses for the LMS tests: the shipped course, the example, and edited copies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hscourse.course.load import load_text

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tests" / "fixtures" / "course"


# A real 1x1 PNG: images are checked (readable, within the pixel budget) before any render.
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def edited_example(tmp_path: Path, change: dict[str, Any], image: bytes | None = None,
                   module: dict[str, Any] | None = None) -> Path:
    """A copy of the example course with its first quiz item changed (a None value removes
    the field), fields of the module added, and optionally an image map.png in its folder."""
    course = tmp_path / "course"
    (course / "modules" / "example").mkdir(parents=True)
    (course / "course.yaml").write_text((EXAMPLE / "course.yaml").read_text())
    data = load_text((EXAMPLE / "modules/example/module.yaml").read_text(), "module.yaml").data
    data["quiz"][0].update(change)
    data["quiz"][0] = {k: v for k, v in data["quiz"][0].items() if v is not None}
    data.update(module or {})
    (course / "modules/example/module.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    if image is not None:
        (course / "modules/example/map.png").write_bytes(image)
    return course
