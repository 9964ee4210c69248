"""The ``tracing`` answer (default no): with it, the service exports OpenTelemetry spans of its
handlers and steps (``tracing.py``), its compose files add Jaeger and point Restate and the
service at it; without it, none of that, no code and no dependency, is generated.

Fast tier: what each answer generates, lint and types, the Compose schema. Slow tier: the
generated suite of a bake with tracing, its span tests (``tests/test_tracing.py``) included.
"""

import re
from typing import Any

import pytest
import yaml
from conftest import ALL_COMBINATIONS, Mypy, Project, schema_errors
from packaging.requirements import Requirement
from test_project_tooling import NOT_FOR_MYPY, declared, hook_dependencies

TRACING_FILES = {"{package}/tracing.py", "tests/test_tracing.py"}
OTEL = {"opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http", "opentelemetry-proto"}
# What tracing adds anywhere in a project: code, settings, dependencies, words in the docs.
TRACES_OF_TRACING = re.compile(r"opentelemetry|jaeger|OTEL_|tracing[-_.]|\btraces?\b|\bspans?\b", re.IGNORECASE)
CACHES = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"}
# Linted with tracing: every example, and the greeter alone (its span test calls a handler that
# runs no step).
LINTED = ("de+bb+vo+wf+ai", "vo")
TRACED = {f"{name}+tracing": {**ALL_COMBINATIONS[name], "tracing": True} for name in (*LINTED, "de+bb+vo+wf")}


def traced(baked: Any, name: str = "de+bb+vo+wf+ai") -> Project:
    project: Project = baked(f"{name}+tracing", TRACED)
    return project


def generated_files(project: Project) -> set[str]:
    """Each file's path in the project, but the record of the answers and what running it leaves."""
    paths = {path.relative_to(project.path) for path in project.path.rglob("*") if path.is_file()}
    return {str(path) for path in paths if not CACHES & set(path.parts) and path.name != ".cookiecutter.json"}


def test_without_tracing_no_tracing_code_dependency_or_viewer_is_generated(baked: Any) -> None:
    project: Project = baked("de+bb+vo+wf+ai")  # every example; tracing by default: no
    assert project.answers["tracing"] is False
    files = generated_files(project)
    assert not {name.format(package=project.answers["package_name"]) for name in TRACING_FILES} & files
    # The harness (Jinja-free, shared with the template's bench) has a tracing_endpoint option;
    # conftest.py sets it only with tracing.
    for path in files - {path for path in files if path.startswith("tests/local_restate/")}:
        assert not TRACES_OF_TRACING.search((project.path / path).read_text(errors="replace")), path
    sdk = Requirement(declared(project)["restate-sdk"])
    assert "tracing" not in sdk.extras and not OTEL & set(declared(project))


@pytest.mark.parametrize("name", LINTED)
def test_with_tracing_the_project_passes_ruff_and_mypy(baked: Any, mypy: Mypy, name: str) -> None:
    project = traced(baked, name)
    for path in TRACING_FILES:
        assert (project.path / path.format(package=project.answers["package_name"])).is_file(), path
    for check in [("ruff", "check", "."), ("ruff", "format", "--check", ".")]:
        done = project.run(*check)
        assert done.returncode == 0, f"{' '.join(check)}\n{done.stdout}{done.stderr}"
    typecheck = mypy(project.path)
    assert typecheck.returncode == 0, typecheck.stdout + typecheck.stderr


def test_with_tracing_the_dependencies_are_declared_and_the_type_check_hook_has_them(baked: Any) -> None:
    project = traced(baked, "de+bb+vo+wf")
    runtime = {Requirement(line).name: Requirement(line) for line in project.pyproject()["project"]["dependencies"]}
    assert "tracing" in runtime["restate-sdk"].extras
    assert {"opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"} <= set(runtime)
    assert set(declared(project)) >= OTEL  # opentelemetry-proto too, in the dev group: the span test reads it
    pinned, hooks = declared(project), hook_dependencies(project)
    assert hooks["mypy"] == {spec for name, spec in pinned.items() if name not in NOT_FOR_MYPY}


def test_with_tracing_the_compose_files_validate_and_send_every_span_to_jaeger(baked: Any) -> None:
    project = traced(baked)
    for compose_file in ("compose.yaml", "compose.cluster.yaml"):
        assert schema_errors(project.path / compose_file, "vendor.compose-spec") == []
        services = yaml.safe_load((project.path / compose_file).read_text())["services"]
        jaeger = services.pop("jaeger")
        assert re.fullmatch(r"jaegertracing/jaeger:\d+\.\d+\.\d+", jaeger["image"]), jaeger  # pinned
        assert "16686:16686" in jaeger["ports"]  # the UI the README points to
        restates = [service for name, service in services.items() if name.startswith("restate")]
        assert restates and all(r["environment"]["RESTATE_TRACING_ENDPOINT"] == "http://jaeger:4317" for r in restates)
        assert services["service"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
    assert "http://localhost:16686" in (project.path / "README.md").read_text()


def test_with_tracing_the_ci_workflow_follows_the_workflow_schema(baked: Any) -> None:
    project = traced(baked)
    assert schema_errors(project.path / ".github" / "workflows" / "ci.yml", "vendor.github-workflows") == []


@pytest.mark.slow
def test_the_generated_suite_with_tracing_passes_its_span_tests_included(baked: Any) -> None:
    """The quick tests of every example with tracing on (spans in every handler and stand-in),
    then the span tests, which are slow (they restart the service)."""
    project = traced(baked, "de+bb+vo+wf")
    for arguments in ([], ["--slow", "tests/test_tracing.py"]):
        suite = project.run("pytest", "-q", "-p", "no:cacheprovider", *arguments)
        assert suite.returncode == 0, suite.stdout + suite.stderr
        summary = suite.stdout.strip().splitlines()[-1]
        assert " passed" in summary and "skipped" not in summary and "failed" not in summary, summary
    assert re.match(r"\d+ passed in", summary) and "deselected" not in summary, summary  # the span tests ran
