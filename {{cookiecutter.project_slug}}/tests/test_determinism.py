"""Determinism: a handler does the same thing again when Restate replays it.

Restate replays a handler from its journal: after a crash, a retry or a suspension, the handler
runs again from the top, and each journaled step (``ctx.run_typed``, a call, a timer, state)
returns what it returned the first time. Code between the steps runs again for real. If it
reads the clock, draws a random number or acts on the world, the replay sees other values,
can take another path than the journal recorded (Restate refuses it with a journal mismatch
error, and retries), or repeats the effect.

This test reads every module of the package (a module you add is read too, no configuration
needed) and fails on such a call made outside a step, naming its ``file:line`` and the fix.
It reads:

- each handler: a function decorated with ``@<service>.handler()`` or ``@<workflow>.main()``;
- each function that takes a Restate context (``ctx: restate.Context`` and the like), such as
  a helper the handler passes ``ctx`` to;
- the functions and lambdas nested in them, which run as part of the handler, except the
  action of a step, ``ctx.run_typed("name", action, ...)`` or ``ctx.run(...)``: a lambda or
  local function there runs inside the step, and the journal keeps its result.

Other functions the handlers call are not read: keep these calls out of them too, or call
them in a step. Run it alone with ``pytest tests/test_determinism.py``. ``pytest
--always-replay`` complements it at run time: Restate replays each handler the tests call at
every await. If a flagged call is safe where it is (a ``random.Random(seed)`` seeded from
``ctx.random()``), end its line with ``# determinism: ok``.
"""

import ast
import importlib
import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The package: the directory next to tests/ that holds app.py, and every module in it.
PACKAGES = sorted(path.parent for path in PROJECT_ROOT.glob("*/app.py"))
MODULES = sorted(path for package in PACKAGES for path in package.rglob("*.py"))


@dataclass(frozen=True)
class Rule:
    why: str
    fix: str  # {call} is the call as written


RANDOM = Rule("a replay draws other numbers", "ctx.random() (seeded by Restate: the same on every replay)")
SECRET = Rule(
    "a replay makes another secret than the one the journal's steps used",
    'make it in a step, whose result the journal keeps: await ctx.run_typed("new secret", {call})',
)
UUID = Rule("a replay makes another id", "ctx.uuid() (the same on every replay)")
BYTES = Rule(
    "a replay gets other bytes",
    "ctx.random().randbytes(n) for bytes that need not be secret; for a secret, a ctx.run_typed step",
)
CLOCK = Rule("a replay reads another time", "await ctx.time() (journaled: the same on every replay)")
NOW = Rule(
    "a replay reads another time",
    "datetime.fromtimestamp(await ctx.time(), timezone.utc) (ctx.time() is journaled)",
)
SLEEP = Rule(
    "Restate does not know of the wait: a replay waits again, and a crash forgets how long is left",
    "await ctx.sleep(timedelta(...)), a durable timer",
)
CONCURRENCY = Rule(
    "which one finishes first is not journaled, so a replay can see another order and take another branch",
    "restate.gather / restate.select / restate.as_completed / restate.wait_completed over Restate's"
    " futures (a timeout: restate.select against ctx.sleep(...))",
)
EFFECT = Rule(
    "the effect is not journaled: every replay makes it again",
    'pass the function to a step instead of calling it: await ctx.run_typed("name", {call}, ...),'
    " with an idempotency key from ctx.uuid()",
)

# Calls by their full name, imports resolved: `from datetime import datetime as dt; dt.now()`
# is datetime.datetime.now.
RULES = {
    "uuid.uuid1": UUID,
    "uuid.uuid4": UUID,
    "os.urandom": BYTES,
    "os.getrandom": BYTES,
    "time.time": CLOCK,
    "time.time_ns": CLOCK,
    "time.monotonic": CLOCK,
    "time.monotonic_ns": CLOCK,
    "time.perf_counter": CLOCK,
    "time.perf_counter_ns": CLOCK,
    "datetime.datetime.now": NOW,
    "datetime.datetime.utcnow": NOW,
    "datetime.datetime.today": NOW,
    "datetime.date.today": NOW,
    "time.sleep": SLEEP,
    "asyncio.sleep": SLEEP,
    "asyncio.gather": CONCURRENCY,
    "asyncio.wait": CONCURRENCY,
    "asyncio.wait_for": CONCURRENCY,
    "asyncio.as_completed": CONCURRENCY,
    "asyncio.create_task": CONCURRENCY,
    "asyncio.timeout": CONCURRENCY,
}
# Every function of these modules.
MODULE_RULES = {"random": RANDOM, "secrets": SECRET}
# Modules that act on the world: their functions belong in steps. Add your own clients' modules.
EFFECT_MODULES = {"external_systems", "httpx", "requests", "aiohttp", "urllib"}

HANDLER_DECORATORS = {"handler", "main"}
CONTEXT_TYPES = {"Context", "ObjectContext", "ObjectSharedContext", "WorkflowContext", "WorkflowSharedContext"}
STEPS = {"run", "run_typed"}
ALLOW = "# determinism: ok"

Function = ast.FunctionDef | ast.AsyncFunctionDef


def is_handler(function: Function) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in HANDLER_DECORATORS:
            return True
    return False


def takes_context(function: Function) -> bool:
    arguments = function.args
    for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
        if argument.annotation is not None:
            written = ast.unparse(argument.annotation).strip("'\"")
            if written.rsplit(".", 1)[-1] in CONTEXT_TYPES:
                return True
    return False


def imported_names(module: ast.Module) -> dict[str, str]:
    """Each name an import binds, and the full name it stands for."""
    names = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}" if node.module else base + alias.name
    return names


def full_name(node: ast.expr, names: dict[str, str]) -> str | None:
    """`r.randint` is random.randint after `import random as r`; None if not from an import."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = full_name(node.value, names)
        return f"{base}.{node.attr}" if base else None
    return None


def rule_for(name: str) -> Rule | None:
    if name in RULES:
        return RULES[name]
    parts = name.split(".")
    if len(parts) > 1 and parts[0] in MODULE_RULES:
        return MODULE_RULES[parts[0]]
    if EFFECT_MODULES.intersection(parts[:-1]):
        return EFFECT
    return None


def step_action(call: ast.Call) -> ast.expr | None:
    """The action of ctx.run_typed("name", action, ...) or ctx.run("name", action, ...)."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in STEPS):
        return None
    if len(call.args) >= 2:
        return call.args[1]
    return next((keyword.value for keyword in call.keywords if keyword.arg == "action"), None)


def replay_problems(path: Path) -> list[str]:
    """Each call in a handler that a replay would not repeat as the journal recorded it."""
    source = path.read_text()
    module = ast.parse(source, filename=str(path))
    names = imported_names(module)
    lines = source.splitlines()
    where = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path

    step_lambdas: set[ast.Lambda] = set()
    step_functions: set[str] = set()  # local functions handed to a step, by name
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            action = step_action(node)
            if isinstance(action, ast.Lambda):
                step_lambdas.add(action)
            elif isinstance(action, ast.Name):
                step_functions.add(action.id)

    def calls(node: ast.AST, reader: str | None) -> Iterator[tuple[ast.Call, str]]:
        """The calls under node that run as part of a handler, with who makes them."""
        children: list[ast.AST] = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.Lambda) and node in step_lambdas:
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if reader is not None and node.name in step_functions:
                return  # a local function run by a step
            if reader is None and is_handler(node):
                reader = f"handler {node.name}"
            elif reader is None and takes_context(node):
                reader = f"{node.name} (it takes a Restate context)"
            children = list(node.body)  # not its decorators or defaults: they run once, at import
        elif isinstance(node, ast.Call) and reader is not None:
            yield node, reader
        for child in children:
            yield from calls(child, reader)

    problems = []
    for call, reader in calls(module, None):
        name = full_name(call.func, names)
        rule = rule_for(name) if name else None
        if name is None or rule is None or ALLOW in lines[call.lineno - 1]:
            continue
        written = ast.unparse(call.func)
        shown = name.lstrip(".")  # .external_systems.f, imported from this package
        called = f"{written}()" if written == shown else f"{written}() ({shown})"
        problems.append(
            f"{where}:{call.lineno}: {called} in {reader}, outside a step: {rule.why}."
            f"\n    Fix: {rule.fix.format(call=written)}"
        )
    return problems


def handlers_in(path: Path) -> set[str]:
    module = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(module)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_handler(node)
    }


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(PROJECT_ROOT)))
def test_handlers_make_no_call_a_replay_would_not_repeat(module: Path) -> None:
    problems = replay_problems(module)
    assert not problems, "\n".join(problems)


def test_the_check_reads_every_handler_the_app_serves() -> None:
    assert PACKAGES, f"no package with an app.py in {PROJECT_ROOT}"
    for package in PACKAGES:
        app = importlib.import_module(f"{package.name}.app")
        served = set()
        for service in app.services:
            for handler in service.handlers.values():
                function = inspect.unwrap(handler.fn)
                served.add((Path(inspect.getfile(function)).resolve(), function.__name__))
        read = {(path, name) for path in MODULES for name in handlers_in(path)}
        assert served <= read, f"handlers the check does not read: {sorted(served - read)}"
