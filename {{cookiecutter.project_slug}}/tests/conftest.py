"""Fixtures: a real restate-server and this project's service, for the whole test session.

A test asks for what it talks to, by name:

- ``ingress``: calls to your handlers through Restate, as the README's curl commands make them.
- ``ledger``: what the stand-in external systems did (``external_systems.py`` writes it).
- ``admin``: Restate's admin API: register a service, read an invocation's status.
- ``service``: the service as Restate calls it: serving and registered.
- ``service_process``: the same service, for a test that kills or restarts it; it is serving
  again after the test.
- ``restate_server``: the restate-server processes, for a test that restarts them.
- ``key``: a key no other test uses, for virtual objects and workflows.

Restate starts only if a collected test needs it, as soon as pytest finds the first such test,
so it boots while pytest collects the rest; the service's process starts with the session, to
import the app meanwhile. The service runs with deterministic failure injection on (every call
to an external system fails once before it succeeds), so every test also proves that Restate
retries and that journaled steps are not repeated.
"""

import gc
import os
import re
import shutil
import signal
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from local_restate.clients import Admin, Ingress, Ledger
from local_restate.restate_server import RestateServer, find_restate_server
from local_restate.service_process import ServiceProcess

from {{ cookiecutter.package_name }}.identity_key import new_private_key, public_key_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"
SERVICE_ENV = {"FAIL_FIRST_ATTEMPTS": "1"}


@dataclass
class Processes:
    """What the session started: the service, and restate-server (or why there is none) once a
    collected test needs it."""

    workdir: Path
    ledger: Ledger
    signing_key: Path
    service: ServiceProcess
    server: RestateServer | None = None
    no_server: str = ""


PROCESSES = pytest.StashKey[Processes]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--restate-nodes",
        type=int,
        default=int(os.environ.get("RESTATE_NODES", "1")),
        help="run the suite against a local Restate cluster of this many nodes (default 1, or $RESTATE_NODES)",
    )
    parser.addoption(
        "--always-replay",
        action="store_true",
        help="Restate suspends each invocation at every await and replays it from its journal: "
        "a handler that does not do the same thing again on replay fails",
    )
    parser.addoption(
        "--slow",
        action="store_true",
        help="also run the tests marked slow: those that kill or restart a process, wait on a timer, or run under load",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """The service's process starts at once: importing the app takes most of a second, done
    while pytest collects. It serves once a collected test needs Restate."""
    if not session.config.option.collectonly:
        session.stash[PROCESSES] = prepare()


def prepare() -> Processes:
    workdir = Path(tempfile.mkdtemp(prefix="restate-tests-"))
    ledger = Ledger(workdir / "ledger.jsonl")
    # Requests are signed, as in production: Restate holds a fresh key, the service its public half.
    signing_key = workdir / "restate-identity.pem"
    new_private_key(signing_key)
    service_env = {**SERVICE_ENV, "LEDGER_FILE": str(ledger.path), "RESTATE_IDENTITY_KEYS": public_key_of(signing_key)}
    return Processes(workdir, ledger, signing_key, ServiceProcess(PACKAGE, PROJECT_ROOT, workdir, service_env))


def pytest_itemcollected(item: pytest.Item) -> None:
    """The first test that needs Restate starts it, and the service, while pytest collects on."""
    processes = item.session.stash.get(PROCESSES, None)
    needs_restate = "restate_server" in getattr(item, "fixturenames", ())
    if needs_restate and processes and not (processes.server or processes.no_server):
        launch(processes, item.config.getoption("restate_nodes"), item.config.getoption("always_replay"))


def launch(processes: Processes, nodes: int, always_replay: bool) -> None:
    try:
        command = find_restate_server(PROJECT_ROOT)
        processes.server = RestateServer(
            command,
            processes.workdir / "restate",
            processes.signing_key,
            nodes,
            always_replay=always_replay,
{%- if cookiecutter.tracing %}
            # Spans of Restate's own, to a port where nothing listens (they are dropped): with
            # them, Restate hands the service a traceparent, which its spans join (test_tracing.py).
            tracing_endpoint="http://127.0.0.1:9",
{%- endif %}
        )
        processes.server.launch()
        processes.service.launch()
    except LookupError as missing:
        processes.no_server = str(missing)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the tests marked ``slow`` unless --slow, and those marked ``cluster`` on a single node."""
    left_out = set()
    if not config.getoption("slow"):
        left_out.add("slow")
    if config.getoption("restate_nodes") == 1:
        left_out.add("cluster")
    kept = [item for item in items if not any(item.get_closest_marker(marker) for marker in left_out)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """A test module's slow set-up (test_serving.py's ``background`` fixture) starts now, through
    the module's start_early function, if a test that uses it is to run."""
    # What the imports made lives until the end: keep it out of the garbage collector's full
    # passes (pytest makes two when the session ends, Python one at exit), which would spend
    # ~0.4 s going over it. What the tests make is still collected.
    gc.freeze()
    processes = session.stash.get(PROCESSES, None)
    if processes is None or processes.server is None:
        return
    tests = [item for item in session.items if isinstance(item, pytest.Function)]
    for module in {test.module for test in tests if "background" in test.fixturenames}:
        if hasattr(module, "start_early"):
            module.start_early(processes.server, processes.service, processes.workdir, session.config.add_cleanup)


def pytest_sessionfinish(session: pytest.Session) -> None:
    processes = session.stash.get(PROCESSES, None)
    if processes is None:
        return
    try:
        processes.service.stop()
    finally:  # restate-server stops even if the service would not
        if processes.server:
            processes.server.stop(signal.SIGKILL)  # its data is deleted next: no clean shutdown needed
        shutil.rmtree(processes.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def restate_server(request: pytest.FixtureRequest) -> RestateServer:
    processes = request.session.stash[PROCESSES]
    if not processes.server:
        pytest.fail(processes.no_server, pytrace=False)
    processes.server.wait_until_healthy()
    return processes.server


@pytest.fixture(scope="session")
def admin(restate_server: RestateServer) -> Admin:
    return Admin(restate_server)


@pytest.fixture(scope="session")
def ledger(restate_server: RestateServer, request: pytest.FixtureRequest) -> Ledger:
    return request.session.stash[PROCESSES].ledger


@pytest.fixture(scope="session")
def service(admin: Admin, request: pytest.FixtureRequest) -> ServiceProcess:
    service = request.session.stash[PROCESSES].service
    service.wait_until_serving()
    admin.register(service.url)
    return service


@pytest.fixture
def service_process(service: ServiceProcess) -> Iterator[ServiceProcess]:
    yield service
    if service.running and service.extra_env:  # the test changed its settings: back to the suite's
        service.kill()
    if not service.running:
        service.start()


@pytest.fixture(scope="session")
def ingress(restate_server: RestateServer, service: ServiceProcess) -> Ingress:
    return Ingress(restate_server)


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", request.node.name) + "-" + uuid.uuid4().hex[:8]
