"""Finding 1 of the second security pass: keys that cannot be worked out from a student form.

Orders used to be seeded from public values only (course code, term, module, form letter, item
id) and restricted to derangements, so a student could recompute a matching item's key. Now a
private `secret` keys every shuffle, permutations are uniform over all but the identity, and
nothing a student gets carries a seed, a secret or an item id.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from hscourse.cli import main
from hscourse.course.forms import SECRET_ENV, base_seed, forms_for, module_seed
from hscourse.course.model import module_view, seeded_order
from hscourse.course.project import load_course
from hscourse.formats.data import course_view

from conftest import EXAMPLE, REPO, copy_built, prebuilt_example

SECRET = "0123456789abcdef-course-secret"


def _orders(course, seed_of) -> dict[str, list[str]]:
    out = {}
    for module in course.modules:
        view = module_view(module, "student", seed_of(module))
        for item in view.get("quiz", []):
            if "choices" in item:
                out[f"{module.id}/{item['id']}"] = item["choices"]
    return out


def test_permutations_are_uniform_over_all_but_the_identity() -> None:
    counts = Counter(tuple(seeded_order(3, "uniform", k)) for k in range(6000))
    assert (0, 1, 2) not in counts
    assert set(counts) == set(itertools.permutations(range(3))) - {(0, 1, 2)}
    for order, count in counts.items():  # 1200 expected each; 4 sd is about 124
        assert 1050 < count < 1350, (order, count)


def test_with_a_secret_public_values_no_longer_give_the_printed_order(monkeypatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    course = load_course(REPO)
    public = _orders(course, lambda m: module_seed(course, m))  # what an attacker computes
    assert len(public) >= 3
    course.settings = course.settings.changed(secret=SECRET)
    printed = _orders(course, lambda m: module_seed(course, m))
    guessed = sum(printed[k] == public[k] for k in public)
    assert guessed < len(public) / 2, f"{guessed} of {len(public)} orders predictable"
    course.settings = course.settings.changed(secret=SECRET.upper())
    assert _orders(course, lambda m: module_seed(course, m)) != printed


def test_secret_from_the_environment_keys_the_seed(monkeypatch) -> None:
    course = load_course(EXAMPLE)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    public = base_seed(course)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    assert base_seed(course) != public and SECRET not in base_seed(course)


def test_forms_differ_with_the_secret(monkeypatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    course = load_course(EXAMPLE)
    course.settings = course.settings.changed(versions=3)
    plain = [[i["id"] for i in f.module.data["quiz"]] for f in forms_for(course, course.modules[0])]
    course.settings = course.settings.changed(secret=SECRET)
    keyed = [[i["id"] for i in f.module.data["quiz"]] for f in forms_for(course, course.modules[0])]
    assert plain != keyed


SHORTENED = {
    "pairs": ("      - {left: Juhe River, right: MATCH-RIGHT-shared by Beijing and Tianjin}\n", ""),
    "correct_order": (", Three Gorges Dam completed]", "]"),
}


@pytest.mark.parametrize("field", sorted(SHORTENED))
def test_check_refuses_matching_and_ordering_with_two_entries(tmp_path: Path, field: str) -> None:
    root = tmp_path / "c"
    shutil.copytree(EXAMPLE, root)
    module = root / "modules/example/module.yaml"
    old, new = SHORTENED[field]
    text = module.read_text(encoding="utf-8")
    assert old in text
    module.write_text(text.replace(old, new), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "-p", str(root)])
    assert result.exit_code == 1
    assert f"{field}: expected at least 3 entries, got 2" in result.output


def test_student_export_has_no_ids_seed_or_secret() -> None:
    course = load_course(EXAMPLE)
    course.settings = course.settings.changed(secret=SECRET)
    course.settings = course.settings.changed(seed="public-seed-text")
    text = json.dumps(course_view(course, "student"))
    assert SECRET not in text and "public-seed-text" not in text
    assert all("id" not in item for m in course_view(course, "student")["modules"]
               for item in m["quiz"])
    assert SECRET in json.dumps(course_view(course, "instructor"))


def test_build_warns_without_a_secret_and_never_prints_it(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """On a copy of the example course built once per run: the warning comes with every
    build, whether or not it renders anything."""
    monkeypatch.delenv(SECRET_ENV, raising=False)
    root = copy_built(prebuilt_example(tmp_path_factory), tmp_path / "c")
    result = CliRunner().invoke(main, ["build", "-q", "-p", str(root), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "has no `secret`" in result.output
    with (root / "course.yaml").open("a", encoding="utf-8") as f:
        f.write(f'secret: "{SECRET}"\n')
    result = CliRunner().invoke(main, ["build", "-q", "-p", str(root), "--jobs", "1"])
    assert result.exit_code == 0 and "secret" not in result.output
    explained = CliRunner().invoke(main, ["config", "-p", str(root), "--explain"])
    assert SECRET not in explained.output
    assert re.search(r"^secret +\(hidden\)", explained.output, re.M)
    for pdf in (root / "dist/student").glob("*.pdf"):
        assert SECRET.encode() not in pdf.read_bytes()


def test_init_writes_a_private_secret_that_differs_per_project(tmp_path: Path) -> None:
    secrets_seen = []
    for name in ("one", "two"):
        result = CliRunner().invoke(main, ["init", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        course = load_course(tmp_path / name)
        secrets_seen.append(course.settings.secret)
    assert len(set(secrets_seen)) == 2 and all(len(s) >= 16 for s in secrets_seen)
