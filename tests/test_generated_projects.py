"""Slow tier: a generated project's documented commands work as written, and its own test
suite passes against a real restate-server.

The default bake's README (set up with uv) and the CI workflow of one example alone are
followed literally in a fresh bake and a fresh virtual environment (scripts/run_readme.py,
scripts/run_ci.py): set-up, serving, registering, every curl, bare ``pytest``, ``pytest
--slow``, ``pytest --always-replay``, ``pytest --restate-nodes=3`` (a node killed
mid-suite), lint and type-check; stopping the service with SIGTERM within 2 s. On the agent
alone, the README's pip set-up is followed, then serving and the agent's examples. Each other
example alone passes its suite with ``pytest --always-replay`` (the agent's with ``--slow``
too, but for the tests of test_serving.py's ``background``).
"""

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    AGENT,
    AGENT_SECTIONS,
    DEFAULT,
    DOCUMENTED_COMBINATIONS,
    GIT_IDENTITY,
    SMALLEST,
    Project,
    bake,
)

from scripts.run_ci import run_ci
from scripts.run_readme import (
    KEEPS_RUNNING,
    Command,
    as_script,
    run,
    run_readme,
)
from scripts.user_shell import user_environment

pytestmark = pytest.mark.slow


def pytest_summaries(transcript: str) -> list[str]:
    return re.findall(r"^=+ (.*(?:passed|failed|error).*) =+$", transcript, re.MULTILINE)


def output_of(command: str, transcript: str) -> str:
    """What a command printed (written with or without a comment after it), in a transcript
    of ``$ command`` lines and their output."""
    for block in transcript.split("\n$ ")[1:]:
        line, _, output = block.partition("\n")
        if line.split("#")[0].strip() == command:
            return output
    raise AssertionError(f"no {command!r} in the transcript")


def test_the_readme_works_as_written(cookies: Any) -> None:
    """Every command of the default bake's README, set up with uv: every other bake's README
    documents these same commands or fewer, and the agent's examples, which the agent's run
    follows (the fast tier checks it)."""
    project = bake(cookies, **DOCUMENTED_COMBINATIONS[DEFAULT])

    transcript = run_readme(project.path)

    assert "\n$ uv sync" in transcript and (project.path / "uv.lock").exists()
    # Bare `pytest` leaves out the slow tests and the cluster-only one; --slow, only the
    # cluster-only one; on a cluster, the quick tests and the cluster-only one.
    quick = pytest_summaries(output_of("pytest", transcript))
    assert len(quick) == 1 and re.fullmatch(r"\d+ passed, \d+ deselected in .*", quick[0]), quick
    everything = pytest_summaries(output_of("pytest --slow", transcript))
    assert len(everything) == 1 and re.fullmatch(r"\d+ passed, 1 deselected in .*", everything[0]), everything
    replayed = pytest_summaries(output_of("pytest --always-replay", transcript))
    assert len(replayed) == 1 and re.fullmatch(r"\d+ passed, \d+ deselected in .*", replayed[0]), replayed
    cluster = pytest_summaries(output_of("pytest --restate-nodes=3", transcript))
    assert len(cluster) == 1 and re.fullmatch(r"\d+ passed, \d+ deselected in .*", cluster[0]), cluster
    assert '"subscriptions":{"Netflix":"SUCCESS","Disney+":"SUCCESS"}' in transcript
    assert '{"text":"see you","delivered_at":' in transcript
    assert '\n{"answer":"yes","outcome":"answered"}\n' in transcript  # the awakeable's answer
    assert '\n{"answer":null,"outcome":"no answer within 1 s"}\n' in transcript  # the timer's
    assert '\n{"ann": 4, "bob": 3, "cy": 1}\n' in transcript  # the broadcast's counts
    assert '{"text":"held up","delivered_at":' in transcript  # let in by cancelling the hold
    assert '{"message":"Dear mary, taking one greeting back: 1 left","count":1}' in transcript
    assert re.search(r"UserSignup/sam/attach\n+false\n", transcript)


def test_the_readme_works_as_written_for_the_agent_set_up_with_pip(cookies: Any) -> None:
    """The pip set-up, on the agent's bake (pydantic-ai's newest, as pip resolves it), then
    what only the agent's README documents: serving it as the README says, and its examples."""
    project = bake(cookies, **DOCUMENTED_COMBINATIONS[AGENT])

    transcript = run_readme(project.path, with_pip=True, sections=AGENT_SECTIONS)

    assert "\n$ pip install -e . --group dev" in transcript and not (project.path / "uv.lock").exists()
    assert "\n$ python -m restate_service --dev" in transcript
    asked = output_of("curl localhost:8080/SupportAgent/chat-1/transcript -X POST", transcript)
    assert "customer: Please refund it." in asked and "agent: Refunded order A-1002" in asked, asked


def test_the_ci_workflow_runs_as_written(cookies: Any) -> None:
    """On a bake of its own, as a user gets it: nothing has run in it yet. The smallest bake
    stands for all: the workflow's steps are the same whatever the examples (the fast tier
    checks it), and the default bake's README run runs the same commands (uv sync, lint,
    mypy, pytest --slow) on all four examples."""
    project = bake(cookies, **DOCUMENTED_COMBINATIONS[SMALLEST])

    transcript = run_ci(project.path)

    summaries = pytest_summaries(transcript)
    assert len(summaries) == 1, summaries
    assert re.fullmatch(r"\d+ passed, 1 deselected in .*", summaries[0])  # the cluster-only test


def test_the_containers_command_serves_and_stops_within_2_s_of_sigterm(baked: Any, tmp_path: Path) -> None:
    """The Dockerfile's steps without Docker, in a directory standing for the image's WORKDIR:
    what it copies, its uv install as written (uv mounted there, the user's uv here; this
    machine's Python for the image's), then its CMD as written with its PATH, stopped as
    `docker stop` does. The user's and system steps (useradd) are the image's own."""
    project: Project = baked("de+bb+vo+wf")
    dockerfile = (project.path / "Dockerfile").read_text().replace("\\\n", " ")
    workdir = re.findall(r"^WORKDIR (\S+)$", dockerfile, re.MULTILINE)[-1]
    image = tmp_path / "app"
    image.mkdir()
    for *sources, target in (line.split()[1:] for line in re.findall(r"^COPY .+$", dockerfile, re.MULTILINE)):
        for pattern in sources:
            for source in project.path.glob(pattern.rstrip("/")):  # a pattern may match nothing (uv.lock*)
                if source.is_dir():  # its contents, into the target
                    shutil.copytree(source, image / target)
                else:
                    shutil.copy(source, image / target / source.name if target.endswith(("/", ".")) else image / target)
    env = user_environment()
    installs = [step for step in re.findall(r"^RUN (.+)$", dockerfile, re.MULTILINE) if " uv " in f" {step} "]
    assert installs, dockerfile
    for step in installs:
        command = re.sub(r"--mount=\S+\s+", "", step)
        done = subprocess.run(["bash", "-c", command], cwd=image, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
    for path in re.findall(r'^ENV PATH="(.+)"$', dockerfile, re.MULTILINE):
        env["PATH"] = path.replace(workdir, str(image)).replace("$PATH", env["PATH"])
    command = shlex.join(json.loads(re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)[-1]))
    script = as_script([Command(0, "container", f"{command}   {KEEPS_RUNNING}")], tmp_path)

    done = run(script, image, env, isolated=True)

    assert done.returncode == 0, done.stdout + done.stderr + (tmp_path / "background-0.log").read_text()


def node_ids_of_tests_using(fixture: str, project: Project, module: str) -> list[str]:
    """The node ids of the tests in one of the project's test modules that take this fixture."""
    tree = ast.parse((project.path / module).read_text())
    tests = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    return [f"{module}::{test.name}" for test in tests if fixture in {arg.arg for arg in test.args.args}]


def test_the_generated_suite_passes_when_restate_replays_at_every_await(suite_project: Project) -> None:
    """With Restate suspending and replaying at every await (--always-replay): a handler that
    does not do the same thing again on replay fails. The agent's slow tests too (--slow), but
    those of test_serving.py's ``background``: the README's serve commands, an installed
    package, the dev loop and a removed handler serve the app alike whatever its examples (the
    default bake's README run and the CI run run them; the agent's README run serves it with
    the README's commands), and each process importing the agent's app takes seconds of CPU."""
    options = []
    if suite_project.answers["ai_agent"]:
        left_out = node_ids_of_tests_using("background", suite_project, "tests/test_serving.py")
        assert left_out, "test_serving.py: no test uses the background fixture"
        options = ["--slow", *(f"--deselect={test}" for test in left_out)]
    suite = suite_project.run("pytest", *options, "--always-replay", "-q", "-p", "no:cacheprovider")

    assert suite.returncode == 0, suite.stdout + suite.stderr
    summary = suite.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, summary
    if suite_project.answers["ai_agent"]:
        assert f"{len(left_out)} deselected" in summary, summary


def test_without_a_restate_server_the_suite_fails_saying_how_to_install_one(baked: Any) -> None:
    project: Project = baked("vo")
    # No RESTATE_SERVER_BIN, and a PATH with Python's tools but no restate-server, npm or npx.
    env = {"PATH": str(Path(sys.executable).parent), "HOME": os.environ.get("HOME", "/tmp")}
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_virtual_objects.py"],
        cwd=project.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert suite.returncode == 1, suite.stdout
    assert "No restate-server found" in suite.stdout and "npm install" in suite.stdout
    assert "skipped" not in suite.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    ("arguments", "starts_restate"),
    [
        (["tests/test_external_systems.py"], False),
        (["--collect-only"], False),
        (["tests/test_external_systems.py", "tests/test_identity.py"], True),
    ],
    ids=["tests-without-restate", "collect-only", "a-test-that-needs-it"],
)
def test_restate_starts_only_when_a_collected_test_needs_it(
    baked: Any, tmp_path: Path, arguments: list[str], starts_restate: bool
) -> None:
    project: Project = baked("de")
    # A restate-server that notes each start, then runs the real one.
    starts, wrapper = tmp_path / "starts", tmp_path / "restate-server"
    real = shutil.which(os.environ.get("RESTATE_SERVER_BIN", "restate-server"))
    assert real, "no restate-server: make installs one"
    wrapper.write_text(f'#!/bin/sh\necho started >> "{starts}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments],
        cwd=project.path,
        env={**os.environ, "RESTATE_SERVER_BIN": str(wrapper)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert starts.exists() == starts_restate, suite.stdout


def test_pre_commit_runs_clean_without_an_activated_venv(baked: Any, tmp_path: Path) -> None:
    # A copy: the git repository and the caches stay out of the shared bake.
    project = Path(shutil.copytree(baked("de+bb+vo+wf").path, tmp_path / "project"))
    # No venv on PATH: pre-commit gives each hook the tools its config names, in environments
    # it keeps in the user's cache (~/.cache/pre-commit) as it does for a user.
    env = user_environment(**GIT_IDENTITY)
    pre_commit = str(Path(sys.executable).parent / "pre-commit")
    for command in (["git", "init", "-q"], ["git", "add", "-A"], [pre_commit, "run", "--all-files"]):
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
