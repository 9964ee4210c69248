"""The template's test spec: one bake fixture over named combinations of the four examples.

Fast tier (default): generation, hooks, lint, imports. Slow tier (``-m slow``): the
generated project's own test suite against a real restate-server.
"""

import itertools
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = ("durable_execution", "building_blocks", "virtual_objects", "workflows")
SHORT = {"durable_execution": "de", "building_blocks": "bb", "virtual_objects": "vo", "workflows": "wf"}


def combination(chosen: tuple[str, ...]) -> dict[str, bool]:
    return {example: example in chosen for example in EXAMPLES}


def name_of(chosen: tuple[str, ...]) -> str:
    return "+".join(SHORT[example] for example in chosen)


# Every non-empty choice of examples: 15 combinations, plus "none", which the hook refuses.
ALL_COMBINATIONS = {
    name_of(chosen): combination(chosen)
    for size in range(1, len(EXAMPLES) + 1)
    for chosen in itertools.combinations(EXAMPLES, size)
}
# The slow tier follows the README and the CI workflow of these bakes, as written: the
# default (all four examples) and one example alone.
DOCUMENTED_COMBINATIONS = {name: ALL_COMBINATIONS[name] for name in ("de+bb+vo+wf", "de")}
# ...and runs the generated suite of the other examples alone.
SUITE_COMBINATIONS = {name: ALL_COMBINATIONS[name] for name in ("bb", "vo", "wf")}


GIT_IDENTITY = {"GIT_AUTHOR_NAME": "template tests", "GIT_AUTHOR_EMAIL": "tests@example.com"}
GIT_IDENTITY |= {"GIT_COMMITTER_NAME": "template tests", "GIT_COMMITTER_EMAIL": "tests@example.com"}


@dataclass
class Project:
    """A baked project and the answers it was baked with."""

    path: Path
    answers: dict[str, Any]

    @property
    def package(self) -> Path:
        return self.path / self.answers["package_name"]

    def run(self, *command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a command in the project with this environment's Python tools."""
        bin_dir = Path(sys.executable).parent
        return subprocess.run(
            [str(bin_dir / command[0]), *command[1:]],
            cwd=self.path,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def pyproject(self) -> dict[str, Any]:
        return tomllib.loads((self.path / "pyproject.toml").read_text())


def bake(cookies: Any, **answers: Any) -> Project:
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    context = {**result.context, **answers}
    return Project(Path(result.project_path), context)


@pytest.fixture(scope="session")
def baked(cookies_session: Any) -> Any:
    """Bake once per combination and session; later requests for it reuse the bake."""
    projects: dict[str, Project] = {}

    def get(name: str, combinations: dict[str, dict[str, bool]] = ALL_COMBINATIONS) -> Project:
        if name not in projects:
            projects[name] = bake(cookies_session, **combinations[name])
        return projects[name]

    return get


@pytest.fixture(scope="session", params=sorted(ALL_COMBINATIONS), ids=str)
def project(request: pytest.FixtureRequest, baked: Any) -> Project:
    """Each of the 15 combinations of examples, baked with default answers otherwise."""
    result: Project = baked(request.param)
    return result


@pytest.fixture(scope="session", params=sorted(SUITE_COMBINATIONS), ids=str)
def suite_project(request: pytest.FixtureRequest, baked: Any) -> Project:
    result: Project = baked(request.param)
    return result


@pytest.fixture(params=sorted(DOCUMENTED_COMBINATIONS), ids=str)
def fresh_project(request: pytest.FixtureRequest, cookies: Any) -> Project:
    """A bake of its own, as a user gets it: nothing has run in it yet."""
    return bake(cookies, **DOCUMENTED_COMBINATIONS[request.param])


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for all bakes: the SDK is analysed once, not fifteen times."""
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture(scope="session", autouse=True)
def session_tempdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Temporary files go under pytest's base temp, which pytest prunes: cookiecutter writes
    each rendered hook to a temporary file and never deletes it, once per bake."""
    tempdir = tmp_path_factory.mktemp("tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(tempdir))
        patch.setenv("TMPDIR", str(tempdir))  # for the cookiecutter and pytest runs it starts
        yield tempdir
