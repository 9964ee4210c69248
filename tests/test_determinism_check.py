"""Fast tier: the generated determinism check (tests/test_determinism.py) passes on every
combination of examples, and fails, naming file:line and the fix, on each call that breaks
replay when it is injected into a handler; the same calls inside a step pass.

The check is run in-process (its functions, loaded from the bake) on a copy of the package;
the slow test runs it as a user does, with pytest.
"""

import ast
import importlib.util
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import EXAMPLES, MODULES, Project

CHECK = Path("tests") / "test_determinism.py"


def load_check(project: Path) -> ModuleType:
    """The generated check, as a module of its own: its PROJECT_ROOT is this project."""
    name = f"determinism_check_{abs(hash(project))}"
    spec = importlib.util.spec_from_file_location(name, project / CHECK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_check_passes_on_every_combination(project: Project) -> None:
    check = load_check(project.path)

    assert set(check.MODULES) == set(project.package.rglob("*.py"))
    assert [problem for module in check.MODULES for problem in check.replay_problems(module)] == []
    for example in EXAMPLES:
        if project.answers[example]:
            module = f"{MODULES[example]}.py"
            assert check.handlers_in(project.package / module), f"no handler read in {module}"


@dataclass
class Case:
    imports: str  # lines put before the module's first import
    code: str  # lines put at the top of the handler's body (or, handler None, at the module's end)
    marker: str  # the text of the call the check must name, on the line it must name
    says: str = ""  # in the message (the call as named, and the fix); "" for a case that passes
    module: str = "virtual_objects.py"
    handler: str | None = "greet"


def inject(path: Path, case: Case) -> int:
    """Put the case's code into the module; the line of its marker."""
    source = path.read_text()
    module = ast.parse(source)
    lines = source.splitlines()
    if case.handler is None:
        lines += ["", "", *case.code.splitlines()]
    else:
        function = next(
            node
            for node in ast.walk(module)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == case.handler
        )
        first = function.body[1] if ast.get_docstring(function) else function.body[0]
        lines[first.lineno - 1 : first.lineno - 1] = [" " * first.col_offset + line for line in case.code.splitlines()]
    first_import = next(node for node in module.body if isinstance(node, ast.Import | ast.ImportFrom))
    lines[first_import.lineno - 1 : first_import.lineno - 1] = case.imports.splitlines()
    path.write_text("\n".join(lines) + "\n")
    if not case.marker:
        return 0
    marked = [number for number, line in enumerate(lines, 1) if case.marker in line]
    assert len(marked) == 1, marked
    return marked[0]


CLOCK, NOW, SLEEP = "Fix: await ctx.time()", "Fix: datetime.fromtimestamp(await ctx.time()", "Fix: await ctx.sleep("
CONCURRENCY, EFFECT = "Fix: restate.gather / restate.select", "Fix: pass the function to a step instead of calling it"
# One case for each kind of call, and for each way to import it.
FAILING = {
    "random": Case("import random", "x = random.random()", "random.random()", "random.random() in handler greet"),
    "random-alias": Case("import random as r", "x = r.randint(1, 6)", "r.randint", "r.randint() (random.randint)"),
    "random-from": Case("from random import choice", "x = choice('ab')", "choice('ab')", "choice() (random.choice)"),
    "secrets": Case(
        "import secrets", "x = secrets.token_hex()", "secrets.", 'ctx.run_typed("new secret", secrets.token_hex)'
    ),
    "time.time": Case("import time", "x = time.time()", "time.time()", CLOCK),
    "time.time_ns": Case("import time", "x = time.time_ns()", "time.time_ns()", CLOCK),
    "time.monotonic": Case("import time", "x = time.monotonic()", "time.monotonic()", CLOCK),
    "time.monotonic_ns": Case("import time", "x = time.monotonic_ns()", "monotonic_ns()", CLOCK),
    "time.perf_counter": Case("import time", "x = time.perf_counter()", "perf_counter()", CLOCK),
    "time.perf_counter_ns": Case("import time", "x = time.perf_counter_ns()", "perf_counter_ns()", CLOCK),
    "time-from": Case("from time import monotonic as clock", "x = clock()", "x = clock()", "clock() (time.monotonic)"),
    "datetime.datetime.now": Case("import datetime", "x = datetime.datetime.now()", "datetime.datetime.now()", NOW),
    "datetime.now": Case(
        "from datetime import datetime", "x = datetime.now()", "x = datetime.now()", "(datetime.datetime.now)"
    ),
    "datetime.utcnow": Case("from datetime import datetime", "x = datetime.utcnow()", "datetime.utcnow()", NOW),
    "datetime.today": Case("from datetime import datetime as dt", "x = dt.today()", "dt.today()", NOW),
    "date.today": Case("from datetime import date", "x = date.today()", "date.today()", "(datetime.date.today)"),
    "uuid.uuid1": Case("import uuid", "x = uuid.uuid1()", "uuid.uuid1()", "Fix: ctx.uuid()"),
    "uuid.uuid4": Case("import uuid", "x = uuid.uuid4()", "uuid.uuid4()", "Fix: ctx.uuid()"),
    "uuid4-from": Case("from uuid import uuid4", "x = uuid4()", "x = uuid4()", "uuid4() (uuid.uuid4)"),
    "os.urandom": Case("import os", "x = os.urandom(8)", "os.urandom(8)", "Fix: ctx.random().randbytes(n)"),
    "os.getrandom": Case("import os", "x = os.getrandom(8)", "os.getrandom(8)", "Fix: ctx.random().randbytes(n)"),
    "asyncio.sleep": Case("import asyncio", "await asyncio.sleep(1)", "asyncio.sleep(1)", SLEEP),
    "time.sleep": Case("import time", "time.sleep(1)", "time.sleep(1)", SLEEP),
    "asyncio.gather": Case("import asyncio", "x = await asyncio.gather()", "asyncio.gather()", CONCURRENCY),
    "asyncio.wait": Case("import asyncio", "x = await asyncio.wait([])", "asyncio.wait([])", CONCURRENCY),
    "asyncio.wait_for": Case(
        "import asyncio", "x = await asyncio.wait_for(y, 1)", "asyncio.wait_for(y, 1)", CONCURRENCY
    ),
    "asyncio.as_completed": Case(
        "import asyncio", "x = asyncio.as_completed([])", "asyncio.as_completed([])", CONCURRENCY
    ),
    "asyncio.create_task": Case("import asyncio", "x = asyncio.create_task(y)", "asyncio.create_task(y)", CONCURRENCY),
    "asyncio.timeout": Case("import asyncio", "x = asyncio.timeout(1)", "asyncio.timeout(1)", CONCURRENCY),
    "external_systems": Case(
        "from . import external_systems", "x = external_systems.create_user()", "create_user(", EFFECT
    ),
    "external_systems-from": Case(
        "from .external_systems import create_user",
        "x = create_user()",
        "create_user(",
        "create_user() (external_systems.create_user)",
    ),
    "httpx": Case("import httpx", "x = httpx.get('https://example.com')", "httpx.get", EFFECT),
    "requests": Case("import requests", "x = requests.post('https://example.com')", "requests.post", EFFECT),
    "aiohttp": Case("import aiohttp", "x = aiohttp.ClientSession()", "ClientSession", EFFECT),
    "urllib": Case("from urllib import request", "x = request.urlopen('https://example.com')", "urlopen", EFFECT),
    "workflow-main": Case(
        "import random", "x = random.random()", "random.random()", "in handler run", "workflows.py", "run"
    ),
    "argument-of-a-step": Case(
        "import random",
        "x = await ctx.run_typed('round', round, number=random.random())",
        "random.random()",
        "handler greet",
    ),
    "called-local-function": Case(
        "import random", "def roll() -> int:\n    return random.randint(1, 6)\nx = roll()", "randint", "handler greet"
    ),
    "called-lambda": Case("import random", "x = (lambda: random.random())()", "random.random()", "ctx.random()"),
    "helper-taking-a-context": Case(
        "import time",
        "async def stamp(ctx: restate.ObjectContext) -> float:\n    return time.time()",
        "time.time()",
        "stamp (it takes a Restate context)",
        handler=None,
    ),
}
# The same calls, made where a replay does not repeat them.
PASSING = {
    "lambda-in-run_typed": Case("import random", "x = await ctx.run_typed('draw', lambda: random.random())", ""),
    "reference-in-run_typed": Case("import random", "x = await ctx.run_typed('draw', random.random)", ""),
    "local-function-in-run_typed": Case(
        "import random", "def draw() -> float:\n    return random.random()\nx = await ctx.run_typed('draw', draw)", ""
    ),
    "lambda-in-run": Case("import uuid", "x = await ctx.run('id', action=lambda: str(uuid.uuid4()))", ""),
    "effect-by-reference": Case(
        "from . import external_systems",
        "x = await ctx.run_typed('user', external_systems.create_user, user_id='a', idempotency_key=str(ctx.uuid()))",
        "",
    ),
    "the-context's-own": Case("", "x = (ctx.random().random(), ctx.uuid(), await ctx.time())", ""),
    "allowed-by-comment": Case("import random", "x = random.Random(42).random()  # determinism: ok", ""),
    "not-a-handler": Case("import random", "def roll() -> float:\n    return random.random()", "", handler=None),
}


@pytest.fixture(scope="module")
def default_bake(baked: Any) -> Project:
    project: Project = baked("de+bb+vo+wf")
    return project


def check_a_copy(project: Project, case: Case, copy: Path) -> tuple[list[str], int, str]:
    """Inject the case into a copy of the package; what the check says, the line, the file."""
    shutil.copytree(project.package, copy / project.package.name)
    (copy / "tests").mkdir()
    shutil.copy(project.path / CHECK, copy / CHECK)
    module = copy / project.package.name / case.module
    line = inject(module, case)
    return load_check(copy).replay_problems(module), line, f"{project.package.name}/{case.module}"


@pytest.mark.parametrize("case", FAILING.values(), ids=FAILING.keys())
def test_the_check_names_each_call_a_replay_repeats(default_bake: Project, case: Case, tmp_path: Path) -> None:
    problems, line, module = check_a_copy(default_bake, case, tmp_path)

    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{module}:{line}: "), problems[0]
    assert case.says in problems[0], problems[0]
    assert "\n    Fix: " in problems[0]


@pytest.mark.parametrize("case", PASSING.values(), ids=PASSING.keys())
def test_the_same_calls_inside_a_step_pass(default_bake: Project, case: Case, tmp_path: Path) -> None:
    problems, _, _ = check_a_copy(default_bake, case, tmp_path)

    assert problems == []


@pytest.mark.slow
def test_pytest_runs_the_check_and_names_the_call(default_bake: Project, tmp_path: Path) -> None:
    """As a user runs it: pytest tests/test_determinism.py, in a project with a new mistake."""
    project = Project(tmp_path / "project", default_bake.answers)
    shutil.copytree(default_bake.path, project.path, ignore=shutil.ignore_patterns("__pycache__", ".*_cache"))
    line = inject(project.package / "virtual_objects.py", FAILING["random"])

    suite = project.run("pytest", "-q", "-p", "no:cacheprovider", str(CHECK))

    assert suite.returncode == 1, suite.stdout + suite.stderr
    assert f"{project.package.name}/virtual_objects.py:{line}: random.random() in handler greet" in suite.stdout
    assert "Fix: ctx.random()" in suite.stdout
    assert "1 failed" in suite.stdout.splitlines()[-1]
