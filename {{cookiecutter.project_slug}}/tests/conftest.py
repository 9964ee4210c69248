"""Fixtures: one real restate-server and this project's service for the whole test session.

The service runs with deterministic failure injection on (every call to an external
system fails once before it succeeds), so every test also proves that Restate retries
and that journaled steps are not repeated. Its external systems write what they did to
a ledger file the tests read.
"""

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from local_restate import Ingress, Ledger, RestateServer, ServiceProcess, find_restate_server

from {{ cookiecutter.package_name }}.identity_key import new_private_key, public_key_of

SERVICE_ENV = {"FAIL_FIRST_ATTEMPTS": "1"}


@dataclass
class Processes:
    """What the session starts: restate-server (or why there is none) and the service."""

    workdir: Path
    ledger: Ledger
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``cluster`` need several nodes: leave them out on a single one."""
    if config.getoption("restate_nodes") > 1:
        return
    single_node = [item for item in items if item.get_closest_marker("cluster") is None]
    if len(single_node) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in single_node])
        items[:] = single_node


def pytest_sessionstart(session: pytest.Session) -> None:
    """Launch both processes before pytest collects the tests, so they boot meanwhile."""
    workdir = Path(tempfile.mkdtemp(prefix="restate-tests-"))
    ledger = Ledger(workdir / "ledger.jsonl")
    # Requests are signed, as in production: Restate holds a fresh key, the service its public half.
    signing_key = workdir / "restate-identity.pem"
    new_private_key(signing_key)
    service_env = {**SERVICE_ENV, "LEDGER_FILE": str(ledger.path), "RESTATE_IDENTITY_KEYS": public_key_of(signing_key)}
    service = ServiceProcess(workdir, service_env)
    processes = Processes(workdir, ledger, service)
    try:
        nodes = session.config.getoption("restate_nodes")
        processes.server = RestateServer(find_restate_server(), workdir / "restate", signing_key, nodes)
        processes.server.launch()
    except LookupError as missing:
        processes.no_server = str(missing)
    session.stash[PROCESSES] = processes


def pytest_collection_finish(session: pytest.Session) -> None:
    """A test module with a start_early function (test_serving.py) starts its slow set-up now."""
    processes = session.stash.get(PROCESSES, None)
    if processes is None or processes.server is None:
        return
    for module in {item.module for item in session.items if isinstance(item, pytest.Function)}:
        if hasattr(module, "start_early"):
            module.start_early(processes.server, processes.service, processes.workdir, session.config.add_cleanup)


def pytest_sessionfinish(session: pytest.Session) -> None:
    processes = session.stash.get(PROCESSES, None)
    if processes is None:  # pytest_sessionstart failed before it launched anything
        return
    processes.service.stop()
    if processes.server:
        processes.server.stop()
    shutil.rmtree(processes.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def restate_server(request: pytest.FixtureRequest) -> RestateServer:
    processes = request.session.stash[PROCESSES]
    if not processes.server:
        pytest.fail(processes.no_server, pytrace=False)
    processes.server.wait_until_healthy()
    return processes.server


@pytest.fixture(scope="session")
def ledger(request: pytest.FixtureRequest) -> Ledger:
    """What the stand-in external systems did, across service restarts."""
    return request.session.stash[PROCESSES].ledger


@pytest.fixture(scope="session")
def service(restate_server: RestateServer, request: pytest.FixtureRequest) -> ServiceProcess:
    """The service, serving and registered with restate-server."""
    service = request.session.stash[PROCESSES].service
    service.start()
    restate_server.register(service.url)
    return service


@pytest.fixture
def service_process(service: ServiceProcess) -> Iterator[ServiceProcess]:
    """The service's process, for tests that kill it; it is running again after the test."""
    yield service
    if not service.running:
        service.start()


@pytest.fixture(scope="session")
def ingress(restate_server: RestateServer, service: ServiceProcess) -> Ingress:
    """A client for Restate's ingress, with this project's services registered."""
    return Ingress(restate_server)


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    """A key no other test uses, so tests sharing the server never share state."""
    return re.sub(r"[^A-Za-z0-9]+", "-", request.node.name) + "-" + uuid.uuid4().hex[:8]
