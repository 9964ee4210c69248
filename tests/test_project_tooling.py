"""Fast tier: the generated project's tooling says the same as its requirements and README.

The pre-commit hooks install their own tools (so they work without an activated venv):
their versions must be the requirements' versions. After a bake, cookiecutter prints the
next commands: they must be the README's set-up, which the slow tier runs as written.
"""

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from conftest import TEMPLATE, Project
from packaging.requirements import Requirement

from scripts.run_readme import SETUP, readme_commands

# Tools (pre-commit, a hook of its own, a build backend); every other requirement is one mypy reads.
NOT_FOR_MYPY = {"pre-commit", "ruff", "setuptools"}


def requirements(project: Project) -> dict[str, str]:
    """Every requirement of requirements.txt and requirements-dev.txt, by name."""
    found = {}
    for file in ("requirements.txt", "requirements-dev.txt"):
        for line in (project.path / file).read_text().splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith(("#", "-r")):
                requirement = Requirement(line)
                found[requirement.name] = str(requirement)
    return found


def hook_dependencies(project: Project) -> dict[str, set[str]]:
    config = yaml.safe_load((project.path / ".pre-commit-config.yaml").read_text())
    return {
        hook["id"]: {str(Requirement(dependency)) for dependency in hook.get("additional_dependencies", [])}
        for repo in config["repos"]
        for hook in repo["hooks"]
    }


def test_the_pre_commit_hooks_install_the_versions_of_the_requirements(baked: Any) -> None:
    project = baked("de+bb+vo+wf")
    pinned, hooks = requirements(project), hook_dependencies(project)

    assert hooks["ruff-check"] == hooks["ruff-format"] == {pinned["ruff"]}
    assert hooks["mypy"] == {spec for name, spec in pinned.items() if name not in NOT_FOR_MYPY}


def test_after_a_bake_the_next_commands_are_the_readmes(tmp_path: Path) -> None:
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    baked = subprocess.run(
        [str(cookiecutter), str(TEMPLATE), "--no-input", "--output-dir", str(tmp_path), "project_name=Order Service"],
        capture_output=True,
        text=True,
        check=True,
    )
    commands = readme_commands(tmp_path / "order-service" / "README.md")
    setup = [command.text.split("#")[0].strip() for command in commands if command.section == SETUP]

    printed = baked.stdout.splitlines()
    next_commands = printed[printed.index("  cd order-service") :][:3]
    assert next_commands == ["  cd order-service", "  " + " && ".join(setup), "  pytest"]
    assert "pytest" in [command.text.split("#")[0].strip() for command in commands]
