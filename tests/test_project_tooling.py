"""Fast tier: the generated project's tooling says the same as its pyproject.toml and README.

Its dependencies are declared once, in pyproject.toml: ``[project] dependencies`` and the
``dev`` dependency group. The pre-commit hooks install their own tools (so they work without
an activated venv): their versions must be the declared ones. The template's own venv holds
the same (its ``generated-project`` group), to run generated suites. After a bake,
cookiecutter prints the next commands: they must be the README's set-up, which the slow tier
runs as written.
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import TEMPLATE, Project, bake
from packaging.requirements import Requirement

from scripts.run_readme import readme_commands, run_readme, setup_commands

# Tools (pre-commit, a hook of its own, an installer, a build backend); every other dependency is one mypy reads.
NOT_FOR_MYPY = {"pre-commit", "ruff", "pip", "setuptools"}


def declared(project: Project) -> dict[str, str]:
    """Every dependency the project declares, runtime and dev, by name."""
    pyproject = project.pyproject()
    found = {}
    for line in [*pyproject["project"]["dependencies"], *pyproject["dependency-groups"]["dev"]]:
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


@pytest.mark.parametrize("name", ["de+bb+vo+wf", "de+bb+vo+wf+ai"])
def test_the_pre_commit_hooks_install_the_declared_versions(baked: Any, name: str) -> None:
    project = baked(name)
    pinned, hooks = declared(project), hook_dependencies(project)

    assert hooks["ruff-check"] == hooks["ruff-format"] == {pinned["ruff"]}
    assert hooks["mypy"] == {spec for name, spec in pinned.items() if name not in NOT_FOR_MYPY}


def test_the_template_venv_holds_what_the_generated_project_declares(cookies: Any) -> None:
    """The Makefile installs the template's dev group, which includes this list: the slow tier
    runs generated suites in-process, with the template's venv. A bake with every yes/no
    answer yes declares every dependency any bake can have."""
    answers = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    everything = bake(cookies, **{name: True for name, value in answers.items() if value is True or value is False})
    groups = tomllib.loads((TEMPLATE / "pyproject.toml").read_text())["dependency-groups"]
    listed = {str(Requirement(line)) for line in groups["generated-project"]}

    assert listed == set(declared(everything).values()), "pyproject.toml's generated-project group"
    assert {"include-group": "generated-project"} in groups["dev"]


def test_after_a_bake_the_next_commands_are_the_readmes(tmp_path: Path) -> None:
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    baked = subprocess.run(
        [str(cookiecutter), str(TEMPLATE), "--no-input", "--output-dir", str(tmp_path), "project_name=Order Service"],
        capture_output=True,
        text=True,
        check=True,
    )
    commands = readme_commands(tmp_path / "order-service" / "README.md")
    setup = [command.text.split("#")[0].strip() for command in setup_commands(commands)]

    printed = baked.stdout.splitlines()
    next_commands = printed[printed.index("  cd order-service") :][:3]
    assert next_commands == ["  cd order-service", "  " + " && ".join(setup), "  pytest"]
    assert "pytest" in [command.text.split("#")[0].strip() for command in commands]


def test_the_readme_runner_refuses_a_section_with_no_commands_before_running_any(baked: Any) -> None:
    project: Project = baked("vo")
    with pytest.raises(ValueError, match=r"\['Troubleshooting'\]"):
        run_readme(project.path, sections=["Test", "Troubleshooting"])
    assert not (project.path / ".venv").exists()
