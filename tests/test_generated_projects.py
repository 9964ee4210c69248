"""Slow tier: generated projects pass their own test suites against a real restate-server,
and the generated README's commands work as written."""

import pytest
from conftest import Project

from scripts.demo import run_demo

pytestmark = pytest.mark.slow


def test_the_generated_suite_passes(slow_project: Project) -> None:
    suite = slow_project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")

    assert suite.returncode == 0, suite.stdout + suite.stderr
    summary = suite.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, summary


def test_the_readme_commands_work_as_written(baked: object) -> None:
    project: Project = baked("de+bb+vo+wf")  # type: ignore[operator]
    output = run_demo(project.path)

    assert '"subscriptions":{"Netflix":"SUCCESS","Disney+":"SUCCESS"}' in output
    assert '{"text":"see you","delivered_at":' in output
    assert output.count('"yes"') == 1  # the awakeable's answer
    assert '{"message":"Dear mary, taking one greeting back: 1 left","count":1}' in output
    assert output.rstrip().endswith("false")  # the workflow, clicked with a wrong secret
