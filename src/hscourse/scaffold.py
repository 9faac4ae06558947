"""`hscourse init` and `hscourse new-module`: start a course project or a module from templates.

The files written come from the package (src/hscourse/scaffold/ and the shipped course), so
both commands work from an installed wheel, outside this repository.
"""

from __future__ import annotations

import re
import secrets
import shutil
import string
from pathlib import Path

from hscourse.course.schema import ID_PATTERN
from hscourse.errors import ContentError, Diagnostic

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"
FIRST_TERM = "2027-spring"


def shipped_course() -> Path:
    """The shipped course: inside the installed package, or the repository root in development."""
    inside = Path(__file__).resolve().parent / "shipped"
    return inside if (inside / "course.yaml").is_file() else Path(__file__).resolve().parents[2]


def _refuse(target: Path, message: str) -> ContentError:
    return ContentError([Diagnostic(str(target), 0, 0, "", message)])


def init_project(target: Path) -> list[Path]:
    """Create a new course project in target (which must not exist or be empty)."""
    if target.exists() and any(target.iterdir()):
        raise _refuse(target, "the folder is not empty; choose a new folder name")
    source = shipped_course()
    term = target / "terms" / FIRST_TERM
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "course.yaml", target / "course.yaml")
    with (target / "course.yaml").open("a", encoding="utf-8") as course_file:
        course_file.write("\n# Private: keeps quiz forms and matching orders unpredictable. Do not "
                          "publish this line.\n"
                          f'secret: "{secrets.token_hex(16)}"\n')
    shutil.copytree(source / "modules", target / "modules")
    term.mkdir(parents=True)
    shutil.copy2(SCAFFOLD / "term.yaml", target / "terms" / f"{FIRST_TERM}.yaml")
    shutil.copy2(SCAFFOLD / "my-questions.yaml", term / "my-questions.yaml")
    shutil.copy2(SCAFFOLD / "logo.svg", term / "logo.svg")
    shutil.copytree(SCAFFOLD / "templates", term / "templates")
    shutil.copy2(SCAFFOLD / "README.md", target / "README.md")
    (target / ".gitignore").write_text("dist/\n", encoding="utf-8")
    return sorted(p for p in target.rglob("*") if p.is_file())


def new_module(project: Path, module_id: str) -> Path:
    """Write modules/<module_id>/module.yaml from the commented skeleton."""
    if not re.fullmatch(ID_PATTERN, module_id):
        raise _refuse(Path(module_id), "a module id is lowercase letters, digits and hyphens, "
                                       "e.g. food-security")
    path = project / "modules" / module_id / "module.yaml"
    if path.exists():
        raise _refuse(path, "this module already exists")
    title = module_id.replace("-", " ").capitalize()
    text = string.Template((SCAFFOLD / "module.yaml").read_text(encoding="utf-8"))
    path.parent.mkdir(parents=True)
    path.write_text(text.substitute(id=module_id, title=title), encoding="utf-8")
    return path
