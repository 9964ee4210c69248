"""A real restate-server and this project's service, started as local processes for tests.

No Docker: restate-server is a single binary (npm package ``@restatedev/restate-server``).
Everything binds to 127.0.0.1 on free ports, lives in a temporary directory, runs in its
own process group and is stopped by its PID.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

RESTATE_VERSION = "1.7.12"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"

HOW_TO_INSTALL = f"""\
No restate-server found. The tests need a real one; get it in one of these ways:
  npm install                  (in {PROJECT_ROOT}, installs the version in package.json)
  npm install --global @restatedev/restate-server@{RESTATE_VERSION}
  brew install restatedev/tap/restate-server
or point RESTATE_SERVER_BIN at a restate-server binary."""

# One node's settings. A single node provisions itself; in a cluster the first node
# provisions it, every node lists all nodes as metadata servers, and the log keeps two copies,
# so the cluster outlives one node. Short retries: an injected failure costs milliseconds.
NODE_CONFIG = """\
cluster-name = "tests"
node-name = "{name}"
base-dir = "{base_dir}"
bind-address = "127.0.0.1:{node_port}"
advertised-address = "http://127.0.0.1:{node_port}/"
auto-provision = {auto_provision}
default-replication = {replication}
default-num-partitions = 4
disable-telemetry = true
rocksdb-total-memory-size = "256 MiB"

[metadata-client]
addresses = [{metadata_servers}]

[default-retry-policy]
initial-interval = "10ms"
exponentiation-factor = 2.0
max-interval = "50ms"
max-attempts = 1000
on-max-attempts = "pause"

[admin]
bind-address = "127.0.0.1:{admin_port}"
disable-web-ui = true

[ingress]
bind-address = "127.0.0.1:{ingress_port}"
"""

# Restate signs each request to the service with this key; the service checks the signature.
SIGNING_CONFIG = """
[worker.invoker]
request-identity-private-key-pem-file = "{pem_file}"
"""


_handed_out: set[int] = set()


def free_port() -> int:
    """A free 127.0.0.1 port below the ephemeral range (32768+ on Linux), so that no outgoing
    connection (say, between cluster nodes) takes it between now and the server's bind."""
    for _ in range(1000):
        port = random.randrange(20000, 32000)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port between 20000 and 32000")


def find_restate_server() -> list[str]:
    """The command that runs restate-server; raises LookupError with install help if none works."""
    configured = os.environ.get("RESTATE_SERVER_BIN")
    if configured:
        if shutil.which(configured):
            return [configured]
        raise LookupError(f"RESTATE_SERVER_BIN={configured} is not an executable.\n{HOW_TO_INSTALL}")
    for candidate in (shutil.which("restate-server"), PROJECT_ROOT / "node_modules" / ".bin" / "restate-server"):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    if shutil.which("npx"):
        npx = ["npx", "--yes", f"@restatedev/restate-server@{RESTATE_VERSION}"]
        try:
            found = subprocess.run([*npx, "--version"], capture_output=True, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            found = None
        if found and found.returncode == 0:
            return npx
    raise LookupError(HOW_TO_INSTALL)


def _stop_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal the process group the process leads (it may have children), then reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def _wait_until_healthy(alive: Callable[[], bool], urls: list[str], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending:
        if not alive():
            raise RuntimeError(f"the process serving {pending[0]} exited:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{pending} not healthy after {timeout}s:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(pending[0], timeout=1).is_success:
                pending.pop(0)
                continue
        except httpx.TransportError:
            pass
        time.sleep(0.02)


class RestateNode:
    """One restate-server process, with its data in ``base_dir``."""

    def __init__(self, command: list[str], base_dir: Path, name: str) -> None:
        self.command = command
        self.base_dir = base_dir
        self.name = name
        self.ingress_port, self.admin_port, self.node_port = free_port(), free_port(), free_port()
        self.ingress_url = f"http://127.0.0.1:{self.ingress_port}"
        self.admin_url = f"http://127.0.0.1:{self.admin_port}"
        self.log = base_dir / "restate-server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def launch(self, settings: str) -> None:
        """Start the process; it is ready once ``wait_until_healthy`` returns."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        config = self.base_dir / "restate.toml"
        config.write_text(settings)
        env = {**os.environ, "npm_config_update_notifier": "false", "RESTATE_LOG_FORMAT": "compact"}
        # restate-server makes a directory per partition in TMPDIR and leaves it behind: keep
        # those with the node's data, which the suite removes.
        env["TMPDIR"] = str(self.base_dir)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*self.command, "--config-file", str(config), "--no-logo", "--listen-mode", "tcp"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def wait_until_healthy(self, timeout: float) -> None:
        health = [f"{self.admin_url}/health", f"{self.ingress_url}/restate/health"]
        _wait_until_healthy(lambda: self.alive, health, self.log, timeout)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process:
            _stop_group(self.process, sig)


class RestateServer:
    """restate-server: one node, or a cluster of ``nodes`` nodes on this machine."""

    def __init__(self, command: list[str], base_dir: Path, signing_key: Path | None = None, nodes: int = 1) -> None:
        self.signing_key = signing_key
        self.nodes = [RestateNode(command, base_dir / f"node-{n}", f"node-{n}") for n in range(1, nodes + 1)]

    @property
    def live_nodes(self) -> list[RestateNode]:
        return [node for node in self.nodes if node.alive]

    @property
    def ingress_urls(self) -> list[str]:
        return [node.ingress_url for node in self.live_nodes]

    @property
    def ingress_url(self) -> str:
        return self.live_nodes[0].ingress_url

    @property
    def admin_url(self) -> str:
        return self.live_nodes[0].admin_url

    def start(self) -> None:
        self.launch()
        self.wait_until_healthy()

    def launch(self) -> None:
        """Start every node; the server is ready once ``wait_until_healthy`` returns."""
        metadata_servers = ", ".join(f'"http://127.0.0.1:{node.node_port}/"' for node in self.nodes)
        for node in self.nodes:
            settings = NODE_CONFIG.format(
                name=node.name,
                base_dir=node.base_dir / "data",
                node_port=node.node_port,
                admin_port=node.admin_port,
                ingress_port=node.ingress_port,
                auto_provision=str(node is self.nodes[0]).lower(),
                replication=min(2, len(self.nodes)),
                metadata_servers=metadata_servers,
            )
            if self.signing_key:
                settings += SIGNING_CONFIG.format(pem_file=self.signing_key)
            node.launch(settings)

    def wait_until_healthy(self) -> None:
        # A cluster first elects its metadata servers and places its partitions.
        timeout = 30 if len(self.nodes) == 1 else 90
        for node in self.nodes:
            node.wait_until_healthy(timeout)

    def kill_node(self, node: RestateNode) -> None:
        """SIGKILL one node: the rest of the cluster carries on."""
        node.stop(signal.SIGKILL)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def restart(self) -> None:
        """Stop and start again on the same data and ports: what it stored must still be there."""
        self.stop()
        self.start()

    def register(self, service_url: str) -> dict[str, Any]:
        """Register (or re-register) a deployment, as `restate deployments register` does."""
        response = httpx.post(f"{self.admin_url}/deployments", json={"uri": service_url, "force": True}, timeout=30)
        response.raise_for_status()
        deployment: dict[str, Any] = response.json()
        return deployment

    def invocation(self, invocation_id: str) -> dict[str, Any]:
        """An invocation's row in Restate's ``sys_invocation`` table (status, retry count, ...)."""
        query = f"SELECT * FROM sys_invocation WHERE id = '{invocation_id}'"
        response = httpx.post(f"{self.admin_url}/query", json={"query": query}, headers={"accept": "application/json"})
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["rows"]
        assert len(rows) == 1, f"invocation {invocation_id}: {rows}"
        return rows[0]


# A fork server for the service: it imports the app once, then for each line on stdin (extra
# environment, as JSON) forks a process that runs exactly what `python -m hypercorn --config
# ...` runs, and prints its PID. Imports are most of a start-up (~0.7 s); a fork takes
# milliseconds, so tests can kill and restart the service freely.
FORK_SERVER = f"""\
import json, os, signal, sys
import {PACKAGE}.app
from hypercorn.__main__ import main
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # reap the services it forked
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()  # its own process group, to be killed on its own
        os.dup2(2, 1)  # its output goes to the log, not to the PID pipe
        os.environ.update(json.loads(line))
        os._exit(main(sys.argv[1:]))
    print(pid, flush=True)
"""


class ServiceProcess:
    """This project's app under hypercorn, in a process a test may kill and start again.

    ``root`` and ``port`` serve a copy of the project, say in place of this one.
    """

    def __init__(self, workdir: Path, env: dict[str, str], root: Path = PROJECT_ROOT, port: int = 0) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "service.log"
        self.pid: int | None = None
        command = [sys.executable, "-c", FORK_SERVER, "--config", f"{PACKAGE}/hypercorn-config.toml"]
        command += ["--bind", f"127.0.0.1:{self.port}", f"{PACKAGE}.app:app"]
        with self.log.open("ab") as log:
            self._forks = subprocess.Popen(
                command,
                cwd=root,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )

    def start(self, **extra_env: str) -> None:
        """Serve on this object's port (the same port every time), with extra environment."""
        assert self._forks.stdin and self._forks.stdout
        self._forks.stdin.write(json.dumps(extra_env).encode() + b"\n")
        self._forks.stdin.flush()
        self.pid = int(self._forks.stdout.readline() or 0) or None
        _wait_until_healthy(lambda: self.running, [f"{self.url}/health"], self.log)

    @property
    def running(self) -> bool:
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """SIGKILL (by default): the process gets no chance to finish anything."""
        if self.running:
            assert self.pid
            os.killpg(self.pid, sig)
            for _ in until(10, f"service process {self.pid} did not exit"):
                if not self.running:
                    break

    def stop(self) -> None:
        """SIGTERM, as docker stop sends: the service stops cleanly (see serving.py). If it
        does not (test_serving.py says so), SIGKILL, so that the session ends all the same."""
        try:
            self.kill(signal.SIGTERM)
        except AssertionError:
            self.kill(signal.SIGKILL)
        _stop_group(self._forks, signal.SIGKILL)


class Ledger:
    """What the stand-in external systems did, read from the file they append to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    def entries(self, event: str = "done", **fields: Any) -> list[dict[str, Any]]:
        """Entries of this event whose fields have the given values, in the order written."""
        entries = [json.loads(line) for line in self.path.read_text().splitlines()]
        return [e for e in entries if e["event"] == event and all(e.get(k) == v for k, v in fields.items())]

    def count(self, event: str = "done") -> int:
        """How many entries of this event there are, of every operation: cheap enough to poll."""
        return self.path.read_text().count(f'"event": "{event}"')

    def wait_for(self, event: str = "done", timeout: float = 10, **fields: Any) -> dict[str, Any]:
        """The first matching entry, once it exists."""
        for _ in until(timeout, f"no {event!r} entry with {fields} in the ledger"):
            found = self.entries(event, **fields)
            if found:
                return found[0]
        raise AssertionError("unreachable")


def until(timeout: float, failure: str, interval: float = 0.02) -> Iterator[None]:
    """Poll: ``for _ in until(5, "why"): if done(): break`` fails with "why" after 5 seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        yield
        time.sleep(interval)
    raise AssertionError(failure)


class Ingress:
    """Calls to Restate's ingress, the same requests the README's curl commands make.

    Plain HTTP (httpx) rather than ``restate.client``: synchronous tests, and requests a
    reader can map one to one to the README's curl commands. On a cluster, each call goes
    to the next live node, so calls spread over all of them.
    """

    def __init__(self, server: RestateServer) -> None:
        self.server = server
        self._clients: dict[str, httpx.Client] = {}
        self._calls = 0

    @property
    def http(self) -> httpx.Client:
        """A client for the next live node's ingress."""
        urls = self.server.ingress_urls
        url = urls[self._calls % len(urls)]
        self._calls += 1
        if url not in self._clients:
            self._clients[url] = httpx.Client(base_url=url, timeout=30)
        return self._clients[url]

    def call(self, path: str, body: Any = None) -> httpx.Response:
        """Call a handler and wait for its result (``POST /Service/handler``)."""
        return self.http.post(path, json=body)

    def call_ok(self, path: str, body: Any = None) -> Any:
        response = self.call(path, body)
        assert response.is_success, f"{path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def send(self, path: str, body: Any = None, delay_ms: int | None = None) -> str:
        """Start a handler without waiting (``POST .../send``); returns the invocation id."""
        params = {"delay": f"{delay_ms}ms"} if delay_ms is not None else None
        response = self.http.post(f"{path}/send", json=body, params=params)
        assert response.is_success, f"{path}/send: {response.status_code} {response.text}"
        invocation_id: str = response.json()["invocationId"]
        return invocation_id

    def attach(self, invocation_id: str) -> Any:
        """Wait for a started invocation and return its result."""
        response = self.http.get(f"/restate/invocation/{invocation_id}/attach")
        assert response.is_success, f"attach {invocation_id}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def post_raw(self, path: str, content: bytes) -> httpx.Response:
        """POST exactly these bytes as JSON, for input no JSON encoder would produce."""
        return self.http.post(path, content=content, headers={"content-type": "application/json"})


def assert_rejected_as_bad_input(
    server: RestateServer, response: httpx.Response, *mentions: str, status: int = 400, sent: Any = None
) -> None:
    """Bad input gets a 4xx at once, naming the problem but never repeating ``sent`` (the offending
    value), and ends the invocation: Restate will not retry it."""
    assert response.status_code == status, f"{response.status_code} {response.text}"
    assert response.elapsed.total_seconds() < 1, response.elapsed
    message = response.json()["message"]
    for mention in mentions:
        assert mention in message, f"{mention!r} not in {message!r}"
    assert "input_value" not in message, message
    if sent is not None:
        assert str(sent) not in message, message
    invocation = server.invocation(response.headers["x-restate-id"])
    # Completed with a failure is final: a terminal error, not a retryable one.
    assert (invocation["status"], invocation["completion_result"]) == ("completed", "failure"), invocation
    assert invocation["completion_failure"].startswith(f"[{status}]"), invocation
