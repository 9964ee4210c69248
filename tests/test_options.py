"""Fast tier: the docker and ci options, the record of the answers, and updates with cruft.

Docker and CI files hold nothing that depends on the examples, so the options are crossed
with each other on the default examples only; test_generation.py lints the files of every
example combination (both options default to on).
"""

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import GIT_IDENTITY, TEMPLATE, Project, bake
from cookiecutter.main import cookiecutter

DOCKER_FILES = {"Dockerfile", ".dockerignore", "compose.yaml", "compose.cluster.yaml"}
CI_FILES = {".github/workflows/ci.yml"}


def present(project: Project, names: set[str]) -> set[str]:
    return {name for name in names if (project.path / name).exists()}


@pytest.mark.parametrize(
    ("docker", "ci", "tracing"), list(itertools.product([True, False], ["GitHub Actions", "none"], [True, False]))
)
def test_docker_and_ci_files_come_only_when_chosen(cookies: Any, docker: bool, ci: str, tracing: bool) -> None:
    project = bake(cookies, docker=docker, ci=ci, tracing=tracing)
    assert present(project, DOCKER_FILES) == (DOCKER_FILES if docker else set())
    assert present(project, CI_FILES) == (CI_FILES if ci != "none" else set())
    tracing_files = {f"{project.answers['package_name']}/tracing.py", "tests/test_tracing.py"}
    assert present(project, tracing_files) == (tracing_files if tracing else set())
    assert (project.path / ".pre-commit-config.yaml").exists()


def test_the_record_replays_the_same_project_and_holds_no_local_paths(cookies: Any, tmp_path: Path) -> None:
    project = bake(cookies, project_name="Order Service", workflows=False, docker=False)
    record = (project.path / ".cookiecutter.json").read_text()
    assert str(tmp_path) not in record and str(TEMPLATE) not in record
    assert json.loads(record)["cookiecutter"]["workflows"] is False

    replayed = Path(
        cookiecutter(str(TEMPLATE), replay=str(project.path / ".cookiecutter.json"), output_dir=str(tmp_path))
    )
    assert tree(replayed) == tree(project.path)


def tree(directory: Path) -> dict[str, str]:
    return {str(path.relative_to(directory)): path.read_text() for path in directory.rglob("*") if path.is_file()}


def test_the_hooks_can_run_again_on_an_existing_project(cookies: Any) -> None:
    """cruft re-runs the hooks when it updates a project: the second run changes nothing."""
    project = bake(cookies, building_blocks=False)
    before = tree(project.path)
    cookiecutter(
        str(TEMPLATE),
        no_input=True,
        extra_context={"building_blocks": False},
        output_dir=str(project.path.parent),
        overwrite_if_exists=True,
    )
    assert tree(project.path) == before


def test_a_bake_with_the_sessions_compiled_templates_is_the_one_cookiecutter_makes(
    cookies: Any, tmp_path: Path, compiled_templates: Any
) -> None:
    """The tests' bakes reuse what Jinja compiled (conftest.py's compiled_templates): the second
    bake here does, and must make what the cookiecutter command, in a process of its own, makes."""
    answers = {"virtual_objects": False, "ai_agent": True}
    bake(cookies, **answers)
    reused = len(compiled_templates.compiled)
    project = bake(cookies, **answers)
    assert reused and len(compiled_templates.compiled) == reused  # nothing compiled again
    typed = [f"{key}={'y' if value else 'n'}" for key, value in answers.items()]
    command = [str(Path(sys.executable).parent / "cookiecutter"), str(TEMPLATE), "--no-input", "-o", str(tmp_path)]
    done = subprocess.run([*command, *typed], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert tree(tmp_path / project.path.name) == tree(project.path)


def test_cruft_create_then_cruft_check(tmp_path: Path) -> None:
    template = tmp_path / "template"
    copy_as_git_repository(TEMPLATE, template)
    created = run(["cruft", "create", str(template), "--no-input", "--output-dir", str(tmp_path / "out")], tmp_path)
    assert created.returncode == 0, created.stdout + created.stderr
    project = tmp_path / "out" / "restate-service"
    assert (project / ".cruft.json").exists()
    checked = run(["cruft", "check"], project)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def copy_as_git_repository(source: Path, target: Path) -> None:
    """The template as it is in the work tree (committed or not), as a fresh git repository."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], source).stdout
    for name in filter(None, listed.split("\0")):
        if (source / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "template"]):
        done = run(command, target)
        assert done.returncode == 0, done.stderr


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run git, or a tool from this environment (cruft), in ``cwd``."""
    tool = command[0] if command[0] == "git" else str(Path(sys.executable).parent / command[0])
    env = {**os.environ, **GIT_IDENTITY}
    return subprocess.run([tool, *command[1:]], cwd=cwd, capture_output=True, text=True, check=False, env=env)
