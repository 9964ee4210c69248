"""Fast tier: whatever a person types at the prompts gives a valid project or a clear refusal.

Answers are typed as at the interactive prompts (cookiecutter takes those as they are; with
--no-input it renders key=value answers as Jinja first, so ``{{`` there is Jinja's business).
"""

import itertools
import py_compile
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
from conftest import Mypy, bake_typed
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

FREE_TEXT = ("project_name", "description", "author_name", "author_email")
# The slug and package prompts get valid answers, so only the free text decides the outcome.
VALID_NAMES = {"project_slug": "hostile-project", "package_name": "hostile_project"}


def ruff(project: Path) -> int:
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=project, check=False)
    formatting = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."], cwd=project, check=False
    )
    return lint.returncode or formatting.returncode


def files_in(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()] if directory.exists() else []


def first_unsafe(answers: dict[str, str]) -> str | None:
    """The first free-text answer the hook must refuse: one with a control character."""
    for question in FREE_TEXT:
        if any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in answers.get(question, "")):
            return question
    return None


def check(answers: dict[str, str], capfd: pytest.CaptureFixture[str], output: Path) -> Path | None:
    """The property: a valid project that shows the answers as typed, or one clear refusal.

    Bakes into ``output``; returns the project, which the caller lints, or None if refused."""
    output.mkdir(parents=True)
    capfd.readouterr()
    project = bake_typed(answers, output)
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR: ")]
    refused = first_unsafe(answers)
    if refused:
        assert project is None, f"{refused} was not refused"
        assert errors and errors[0].startswith(f"ERROR: {refused} "), errors
        assert files_in(output / "out") == [], "a refused run left files behind"
        return None
    assert project is not None, errors
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["description"] == answers.get("description", "A Restate service in Python.")
    assert meta["authors"] == [
        {"name": answers.get("author_name", "Your Name"), "email": answers.get("author_email", "you@example.com")}
    ]
    readme = (project / "README.md").read_text()
    assert f"# {answers.get('project_name', 'Restate Service')}\n" in readme
    assert answers.get("description", "") in readme
    for path in project.rglob("*.py"):
        py_compile.compile(str(path), doraise=True)
    assert not (output / "PWNED").exists() and not Path("PWNED").exists()
    return project


# One named case per kind of character a person might type.
NAMED = {
    "single quotes": {"project_name": "Bob's Shop", "author_name": "O'Brien"},
    "double quotes": {"project_name": 'The "Best" Service', "description": 'Says "hi"'},
    "backslashes": {"project_name": "Back\\slash", "description": "C:\\path\\to\\it \\n \\u0041"},
    "jinja expression": {"project_name": "{{ cookiecutter.author_name }}", "description": "{{ 7 * 7 }}"},
    "jinja statement": {"project_name": "{% raw %}x", "description": "{% for x in y %}{% endfor %}"},
    "hash": {"project_name": "Service #1", "description": "# not a comment"},
    "dollar": {"project_name": "$HOME $(touch PWNED)", "description": "${PATH}"},
    "backticks": {"project_name": "`touch PWNED`", "description": "```code```"},
    "python injection": {"description": '"""); open("PWNED", "w"); ("""', "author_name": "'); import os; ('"},
    "non-latin letters": {"project_name": "Café Ürün 日本 Ωmega", "author_name": "Jürgen Müller-Łukasz"},
    "emoji": {"project_name": "Rocket 🚀 Service", "description": "Fast 🚀🔥 and 👍", "author_name": "😀"},
    "newline in the name": {"project_name": "Two\nLines"},
    "newline in the description": {"description": "first line\nsecond line"},
    "carriage return": {"author_email": "me@example.com\r"},
}


@pytest.mark.parametrize("answers", NAMED.values(), ids=NAMED.keys())
def test_a_named_hostile_answer(answers: dict[str, str], capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    project = check({**VALID_NAMES, **answers}, capfd, tmp_path / "bake")
    assert project is None or ruff(project) == 0


# Names the hooks accept, up to the longest, give a project that passes its own checks.
LONG_NAMES = {
    "long project name": {"project_name": "Customer Subscription Billing Reconciliation Platform"},
    "longest package name": {"project_slug": "s" * 80, "package_name": "p" * 64},
}


@pytest.mark.parametrize("answers", LONG_NAMES.values(), ids=LONG_NAMES.keys())
def test_a_long_name_passes_ruff_and_mypy(answers: dict[str, str], tmp_path: Path, mypy: Mypy) -> None:
    project = bake_typed(answers, tmp_path)
    assert project is not None
    assert ruff(project) == 0
    typecheck = mypy(project)
    assert typecheck.returncode == 0, typecheck.stdout


def test_the_default_slug_of_a_hostile_name_is_valid(capfd: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = bake_typed({"project_name": 'Café 日本 🚀 "Shop" #1 $x `y`'}, Path(tmp))
        assert project is not None and project.name == "cafe-ri-ben-shop-1-x-y"
        assert ruff(project) == 0


SPECIALS = ["'", '"', "\\", "#", "$", "`", "{{", "}}", "{%", "%}", "{#", "\n", "\t", "é", "日本", "Ω", "🚀", "😀"]
typed_text = st.lists(
    st.one_of(st.sampled_from(SPECIALS), st.text(st.characters(exclude_categories=("Cs",)), max_size=3)),
    max_size=8,
).map("".join)


def test_any_typed_answer_gives_a_valid_project_or_a_clear_refusal(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bakes = itertools.count()

    @settings(
        max_examples=50,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(answers=st.fixed_dictionaries({}, optional=dict.fromkeys(FREE_TEXT, typed_text)))
    def valid_or_refused(answers: dict[str, str]) -> None:
        event("refused" if first_unsafe(answers) else "generated")
        check({**VALID_NAMES, **answers}, capfd, tmp_path / str(next(bakes)))

    valid_or_refused()
    # Every accepted project passes its own ruff: one run over all of them, each file under
    # its own project's settings.
    assert ruff(tmp_path) == 0
