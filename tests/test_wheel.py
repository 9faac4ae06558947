"""The wheel carries everything (code, templates, schemas) and works outside the repository."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import REPO


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(REPO)], check=True)
    return next(out.glob("hscourse-*.whl"))


def test_wheel_holds_templates_and_shipped_course(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("hscourse/templates/base.html.j2", "hscourse/templates/print.css",
                     "hscourse/templates/guide.html.j2", "hscourse/course/schema.py",
                     "hscourse/shipped/course.yaml",
                     "hscourse/shipped/modules/tibet/module.yaml"):
        assert required in names, required


def install(wheel: Path, tmp_path: Path) -> Path:
    """A fresh virtual environment with the wheel installed; its bin folder.

    The environment sees this one's dependencies (WeasyPrint, ...) through a .pth file, so no
    network is needed, but hscourse itself only from the wheel pip installs."""
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True)
    where = subprocess.run([str(python), "-c", "import hscourse; print(hscourse.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert where.startswith(str(site)), where
    return env_dir / "bin"


def test_init_from_the_wheel_then_build_the_first_term(wheel: Path, tmp_path: Path) -> None:
    """The installed wheel alone, outside the repository: `init`, `check`, then a build."""
    hscourse = str(install(wheel, tmp_path) / "hscourse")
    init = subprocess.run([hscourse, "init", "mycourse"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert init.returncode == 0, init.stderr
    course = tmp_path / "mycourse"
    assert (course / "README.md").is_file() and (course / "modules/tibet/module.yaml").is_file()
    checked = subprocess.run([hscourse, "check", "-t", "2027-spring"], cwd=course,
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "OK: 5 modules" in checked.stdout, checked.stderr
    term = course / "terms/2027-spring.yaml"  # one module of the term (with its overlay, and
    text = term.read_text(encoding="utf-8")  # the template override with the logo) is enough
    start, end = text.index("  - module: human-security"), text.index("\nmodules:")
    kept = text[text.index("  - module: water-conflict"):text.index("  - module: r2p-darfur")]
    term.write_text(text[:start] + kept + "exams: []  # the course's exams draw on modules cut "
                    "here\n" + text[end + 1:], encoding="utf-8")
    result = subprocess.run([hscourse, "build", "-q", "--term", "terms/2027-spring.yaml"],
                            cwd=course, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    pdfs = sorted(p.name for p in (course / "dist/2027-spring").rglob("*.pdf"))
    assert pdfs == sorted(f"water-conflict-{k}.pdf" for k in ("handout", "quiz", "guide"))
