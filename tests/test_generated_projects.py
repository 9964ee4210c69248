"""Slow tier: generated projects pass their own test suites against a real restate-server,
and the generated README's commands work as written."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Project

from scripts.demo import run_demo

pytestmark = pytest.mark.slow

MANIFEST = "application/vnd.restate.endpointmanifest.v3+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_generated_suite_passes(slow_project: Project) -> None:
    suite = slow_project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")

    assert suite.returncode == 0, suite.stdout + suite.stderr
    summary = suite.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, summary


def test_the_generated_suite_passes_on_a_3_node_cluster_with_a_node_killed(baked: Any) -> None:
    project: Project = baked("de+bb+vo+wf")
    suite = project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--restate-nodes=3")

    assert suite.returncode == 0, suite.stdout + suite.stderr
    summary = suite.stdout.strip().splitlines()[-1]
    # Nothing left out: the cluster-only test (it kills a node mid-suite) ran too.
    assert " passed" in summary and "deselected" not in summary and "skipped" not in summary, summary


def test_the_readme_commands_work_as_written(baked: Any) -> None:
    project: Project = baked("de+bb+vo+wf")
    output = run_demo(project.path)

    assert '"subscriptions":{"Netflix":"SUCCESS","Disney+":"SUCCESS"}' in output
    assert '{"text":"see you","delivered_at":' in output
    assert output.count('"yes"') == 1  # the awakeable's answer
    assert '{"message":"Dear mary, taking one greeting back: 1 left","count":1}' in output
    assert output.rstrip().endswith("false")  # the workflow, clicked with a wrong secret


def test_python_m_package_serves_the_app(baked: Any) -> None:
    project: Project = baked("vo")
    port = free_port()
    command = [sys.executable, "-m", project.answers["package_name"], "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=project.path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/health").is_success:
                    break
            time.sleep(0.05)
        manifest = httpx.get(f"http://127.0.0.1:{port}/discover", headers={"accept": MANIFEST}).json()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)
    assert [service["name"] for service in manifest["services"]] == ["Greeter"]
    assert tomllib.loads((project.path / "hypercorn-config.toml").read_text())["bind"] == "127.0.0.1:9080"


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


def test_pre_commit_runs_clean_on_a_fresh_project(baked: Any, tmp_path: Path) -> None:
    # A copy: the git repository and the caches stay out of the shared bake.
    project = Path(shutil.copytree(baked("de+bb+vo+wf").path, tmp_path / "project"))
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    env |= {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # the hooks use this env's tools
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["pre-commit", "run", "--all-files"]):
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
