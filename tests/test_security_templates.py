"""Finding 6 of the second security pass: templates are sandboxed.

An override used to be able to run commands (`cycler.__init__.__globals__.os`), read files and
walk the garbage collector to the course model with its answers. Templates now render in
Jinja2's immutable sandbox and a student edition is given the student view only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hscourse.build import Options, build
from hscourse.errors import ContentError

from conftest import EXAMPLE, copy_built, copy_course, prebuilt_example

ATTACKS = {
    "run a command": "{{ cycler.__init__.__globals__.os.popen('echo PWNED-7c3').read() }}",
    "read a file": "{{ lipsum.__globals__['__builtins__']['open']('/etc/hostname').read() }}",
    "walk the collector": "{% for o in ().__class__.__base__.__subclasses__() %}{{ o }}"
                          "{% endfor %}",
    "reach the loader": "{{ self._TemplateReference__context.environment.loader }}",
    "mutate the view": "{{ module.quiz.append(1) }}",
}


@pytest.mark.parametrize("body", ATTACKS.values(), ids=ATTACKS.keys())
def test_a_template_cannot_escape_the_sandbox(tmp_path: Path, body: str) -> None:
    root = copy_course(EXAMPLE, tmp_path / "course")
    (root / "templates").mkdir()
    (root / "templates/quiz.html.j2").write_text(
        '{% extends "builtin/quiz.html.j2" %}{% block title_block %}' + body
        + '{{ super() }}{% endblock %}', encoding="utf-8")
    with pytest.raises(Exception) as caught:
        build(root, dist=tmp_path / "dist", options=Options(jobs=1))
    assert "PWNED-7c3" not in str(caught.value)
    assert type(caught.value).__name__ in ("SecurityError", "ContentError", "UndefinedError")
    assert not (tmp_path / "dist").exists()


def test_a_student_template_is_given_no_instructor_data(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Everything a student template can reach, printed: no explanation, no key. On a copy of
    the example course built once per run: the quiz, whose template this is, renders again
    and is leak-checked; the other PDFs are reused."""
    root = copy_built(prebuilt_example(tmp_path_factory), tmp_path / "course")
    (root / "templates").mkdir()
    (root / "templates/quiz.html.j2").write_text(
        '{% extends "builtin/quiz.html.j2" %}{% block title_block %}'
        '<pre>{{ module }} {{ course }} {{ edition }}</pre>{{ super() }}{% endblock %}',
        encoding="utf-8")
    try:
        result = build(root, options=Options(jobs=1))
    except ContentError as exc:  # the leak check would name what leaked
        pytest.fail(str(exc))
    assert result.rendered == ["student/example-quiz.pdf"]
