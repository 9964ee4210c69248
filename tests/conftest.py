"""The template's test spec: one bake fixture over named combinations of the four examples,
and the one definition of each helper the test files share (import them from here).

Fast tier (default): generation, hooks, lint, imports. Slow tier (``-m slow``): the
generated project's own test suite against a real restate-server.
"""

import ast
import contextlib
import fcntl
import functools
import itertools
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import jinja2
import jsonschema
import pytest
from check_jsonschema.builtin_schemas import get_builtin_schema
from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from ruamel.yaml import YAML

TEMPLATE = Path(__file__).resolve().parent.parent  # this checkout of the template
EXAMPLES = ("durable_execution", "building_blocks", "virtual_objects", "workflows", "ai_agent")
SHORT = {"durable_execution": "de", "building_blocks": "bb", "virtual_objects": "vo", "workflows": "wf"}
SHORT |= {"ai_agent": "ai"}
# Each example's module in the package (and its test, test_<module>.py).
MODULES = {example: example for example in EXAMPLES} | {"ai_agent": "agent"}


def combination(chosen: tuple[str, ...]) -> dict[str, bool]:
    return {example: example in chosen for example in EXAMPLES}


def name_of(chosen: tuple[str, ...]) -> str:
    return "+".join(SHORT[example] for example in chosen)


# Every non-empty choice of the first four examples: 15 combinations ("none" the hook refuses);
# the agent, whose bakes take longer to check (pydantic-ai), alone and with all four: 17 in all.
ALL_COMBINATIONS = {
    name_of(chosen): combination(chosen)
    for size in range(1, len(EXAMPLES))
    for chosen in itertools.combinations(EXAMPLES[:-1], size)
}
ALL_COMBINATIONS |= {name_of(chosen): combination(chosen) for chosen in [("ai_agent",), EXAMPLES]}
# The slow tier follows the README of the default bake (all four examples) as written, set up
# with uv. Every other bake's README documents the same commands or fewer, and the agent's
# examples (the fast tier checks it): on the agent's bake it follows the alternative set-up,
# pip's, then serving and those examples. On the smallest bake, one example alone, it follows
# the CI workflow.
DEFAULT, SMALLEST, AGENT = "de+bb+vo+wf", "vo", "ai"
AGENT_SECTIONS = ("Run", "Try the examples")  # after the pip set-up
DOCUMENTED_COMBINATIONS = {name: ALL_COMBINATIONS[name] for name in (DEFAULT, SMALLEST, AGENT)}
# ...and runs the generated suite of each other example alone, as `pytest --always-replay`;
# the agent's with its slow tests too: its crash tests run in no other bake (its README run
# stops before the Test section). Not the tests of test_serving.py's `background` fixture
# (test_generated_projects.py says why).
SUITE_COMBINATIONS = {name: ALL_COMBINATIONS[name] for name in ("de", "bb", "wf", "ai")}


GIT_IDENTITY = {"GIT_AUTHOR_NAME": "template tests", "GIT_AUTHOR_EMAIL": "tests@example.com"}
GIT_IDENTITY |= {"GIT_COMMITTER_NAME": "template tests", "GIT_COMMITTER_EMAIL": "tests@example.com"}


# `mypy .` in a project (the mypy fixture): what it printed and its exit status.
Mypy = Callable[[Path], subprocess.CompletedProcess[str]]


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


# Two ways to bake, as a person does: answers given as key=value with --no-input (cookiecutter
# renders them as Jinja first), or typed at the prompts (taken as they are).
def bake(cookies: Any, **answers: Any) -> Project:
    """Bake with these answers as key=value, defaults elsewhere; the hooks must accept them."""
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    context = {**result.context, **answers}
    return Project(Path(result.project_path), context)


@contextlib.contextmanager
def typed_at_the_prompts(answers: dict[str, str]) -> Iterator[None]:
    """Answer cookiecutter's prompts as a person would: these answers, defaults elsewhere."""

    def variable(name: str, default: Any, *_: Any, **__: Any) -> Any:
        return answers.get(name, default)

    with (
        mock.patch("cookiecutter.prompt.read_user_variable", variable),
        mock.patch("cookiecutter.prompt.read_user_yes_no", variable),
        mock.patch("cookiecutter.prompt.read_user_choice", lambda name, options, *_, **__: options[0]),
    ):
        yield


def bake_typed(answers: dict[str, str], output: Path) -> Path | None:
    """Bake with these answers typed; the project, or None if the hook refused."""
    config = output / "cookiecutter-config.yaml"
    config.write_text(f"replay_dir: {json.dumps(str(output / 'replay'))}\n")
    with typed_at_the_prompts(answers):
        try:
            return Path(cookiecutter(str(TEMPLATE), output_dir=str(output / "out"), config_file=str(config)))
        except FailedHookException:
            return None


def hook_constant(hook: str, name: str) -> Any:
    """A constant of a hook, read as the one literal it is assigned: cookiecutter renders the
    hooks (the answers arrive through Jinja), so they cannot be imported as they are."""
    module = ast.parse((TEMPLATE / "hooks" / hook).read_text())
    values = []
    for node in module.body:
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id == name for target in targets):
                values.append(node.value)
    assert len(values) == 1, f"{hook}: {name} must be assigned once, as one literal"
    return ast.literal_eval(values[0])


@functools.cache
def schema_validator(name: str) -> Any:
    """A validator for one of check-jsonschema's built-in schemas (``vendor.compose-spec``)."""
    schema = get_builtin_schema(name)
    validator = jsonschema.validators.validator_for(schema)
    return validator(schema, format_checker=validator.FORMAT_CHECKER)


def schema_errors(path: Path, schema: str) -> list[str]:
    """Where a YAML file breaks a built-in schema of check-jsonschema: what its command line
    reports, without a process (and the schema loaded again) per file."""
    instance = YAML(typ="safe").load(path.read_text())  # YAML 1.2, as check-jsonschema: `on:` is a string
    return [
        f"{path.name}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in schema_validator(schema).iter_errors(instance)
    ]


def cost(item: pytest.Item) -> int:
    """How long a test takes, roughly, as a rank: the README runs (minutes), the CI workflow
    run, the rest of the slow tier, then the fast tier."""
    if "readme_works" in item.name:
        return 0
    if "ci_workflow_runs" in item.name:
        return 1
    return 2 if item.get_closest_marker("slow") else 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The order for `make test`'s workers (pytest-xdist, --dist worksteal): it hands each worker
    one contiguous share of this list, and a worker that runs out takes the end of another's.
    So the slow tests are dealt out, longest first, to the start of each share, and the fast
    tier, in its order (bakes are reused within a share), fills the rest: no README run waits
    behind another, and none starts last, keeping the others waiting."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    slow = sorted((item for item in items if cost(item) < 3), key=cost)
    fast = iter([item for item in items if cost(item) == 3])
    shares: list[list[pytest.Item]] = [slow[worker::workers] for worker in range(workers)]
    left = len(items)
    for worker, share in enumerate(shares):
        size = left // (workers - worker)  # as worksteal sizes the shares
        share.extend(itertools.islice(fast, max(0, size - len(share))))
        left -= size
    items[:] = [item for share in shares for item in share] + list(fast)


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
    """Each of the 17 combinations of examples, baked with default answers otherwise."""
    result: Project = baked(request.param)
    return result


@pytest.fixture(scope="session", params=sorted(SUITE_COMBINATIONS), ids=str)
def suite_project(request: pytest.FixtureRequest, baked: Any) -> Project:
    result: Project = baked(request.param)
    return result


@pytest.fixture(scope="session")
def mypy(tmp_path_factory: pytest.TempPathFactory) -> Mypy:
    """`mypy .` in a project, over one cache for all bakes and all of `make test`'s workers, one
    run at a time: the first analyses the SDK, pydantic and pydantic-ai, the others find them
    in the cache. Side by side, each run would analyse them again (20 to 40 s of CPU each)."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        cache = tmp_path_factory.getbasetemp().parent / "mypy-cache"  # the workers' common base
        cache.mkdir(exist_ok=True)
    else:
        cache = tmp_path_factory.mktemp("mypy-cache")
    lock = cache.with_name("mypy-cache.lock")

    def run(project: Path) -> subprocess.CompletedProcess[str]:
        with lock.open("a") as turn:
            fcntl.flock(turn, fcntl.LOCK_EX)  # let go when the file closes
            command = [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "."]
            return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600, check=False)

    return run


class CompiledTemplates(jinja2.BytecodeCache):
    """The template's files as Jinja compiled them, kept for the session. Each bake would
    compile all of them again: two thirds of a bake's CPU. Jinja compares the source with the
    one it compiled, so a file changed since is compiled afresh."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def compiled_templates() -> Iterator[CompiledTemplates]:
    """Every bake in this process renders with the one cache of compiled templates (cookiecutter
    makes a Jinja environment per bake, with no cache)."""
    cache, make_environment = CompiledTemplates(), StrictEnvironment.__init__

    def with_the_cache(environment: StrictEnvironment, *args: Any, **kwargs: Any) -> None:
        make_environment(environment, *args, **kwargs)
        environment.bytecode_cache = cache

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StrictEnvironment, "__init__", with_the_cache)
        yield cache


@pytest.fixture(scope="session", autouse=True)
def session_tempdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Temporary files go under pytest's base temp, which pytest prunes: cookiecutter writes
    each rendered hook to a temporary file and never deletes it, once per bake."""
    tempdir = tmp_path_factory.mktemp("tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(tempdir))
        patch.setenv("TMPDIR", str(tempdir))  # for the cookiecutter and pytest runs it starts
        yield tempdir
