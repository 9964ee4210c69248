"""restate-server as local processes: one node, or a cluster of nodes on this machine."""

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

from . import local_http
from .ports import free_port
from .process_group import stop_group
from .waiting import wait_for, wait_until_serving


def how_to_install(project_root: Path, version: str) -> str:
    return f"""\
No restate-server found. The tests need a real one; get it in one of these ways:
  npm install                  (in {project_root}, installs the version in package.json)
  npm install --global @restatedev/restate-server@{version}
  brew install restatedev/tap/restate-server
or point RESTATE_SERVER_BIN at a restate-server binary."""


def pinned_version(project_root: Path, package: str = "@restatedev/restate-server") -> str:
    """The version of a Restate npm package that the project's package.json pins."""
    pins = json.loads((project_root / "package.json").read_text()).get("devDependencies", {})
    if package not in pins:  # not a LookupError: that means "no restate-server"
        raise RuntimeError(f"{project_root / 'package.json'} pins no version of {package}")
    version: str = pins[package]
    return version


def find_restate_server(project_root: Path) -> list[str]:
    """The command that runs restate-server: $RESTATE_SERVER_BIN, on PATH, installed by
    ``npm install`` in the project, or else through npx. Raises LookupError saying how to get it."""
    version = pinned_version(project_root)
    configured = os.environ.get("RESTATE_SERVER_BIN")
    if configured:
        if shutil.which(configured):
            return [configured]
        raise LookupError(
            f"RESTATE_SERVER_BIN={configured} is not an executable.\n{how_to_install(project_root, version)}"
        )
    for candidate in (shutil.which("restate-server"), project_root / "node_modules" / ".bin" / "restate-server"):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    if shutil.which("npx"):
        npx = ["npx", "--yes", f"@restatedev/restate-server@{version}"]
        try:
            found = subprocess.run([*npx, "--version"], capture_output=True, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            found = None
        if found and found.returncode == 0:
            return npx
    raise LookupError(how_to_install(project_root, version))


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
# A node that joins stays "suspect" for this long before the cluster places partitions on it:
# 5 s by default, for networks where nodes come and go; on one machine 1 s is enough (with
# none at all, calls after a node died sometimes stalled).
gossip-suspect-interval = "1s"
{tracing}

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
        wait_until_serving(health, lambda: self.alive, self.log, timeout)

    def send_signal(self, sig: int) -> None:
        """Send a signal, without waiting for the node to act on it."""
        if self.alive:
            assert self.process
            os.killpg(self.process.pid, sig)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process:
            stop_group(self.process, sig)


class RestateServer:
    """restate-server: one node, or a cluster of ``nodes`` nodes on this machine."""

    def __init__(
        self,
        command: list[str],
        base_dir: Path,
        signing_key: Path | None = None,
        nodes: int = 1,
        *,
        always_replay: bool = False,
        tracing_endpoint: str = "",
    ) -> None:
        # Restate sends the service a traceparent only while it exports spans of its own.
        self.tracing = f'tracing-endpoint = "{tracing_endpoint}"' if tracing_endpoint else ""
        invoker = []
        if signing_key:  # Restate signs each request to the service; the service checks the signature
            invoker.append(f'request-identity-private-key-pem-file = "{signing_key}"')
        if always_replay:  # suspend at every await, so that each step after the first is a replay
            invoker.append('inactivity-timeout = "0s"')
        self.invoker_settings = "\n[worker.invoker]\n" + "\n".join(invoker) + "\n" if invoker else ""
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
                tracing=self.tracing,
            )
            node.launch(settings + self.invoker_settings)

    def wait_until_healthy(self) -> None:
        # A cluster first elects its metadata servers and places its partitions.
        timeout = 30 if len(self.nodes) == 1 else 90
        for node in self.nodes:
            node.wait_until_healthy(timeout)

    def kill_node(self, node: RestateNode) -> None:
        """SIGKILL one node: the rest of the cluster carries on."""
        node.stop(signal.SIGKILL)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM: each node shuts down cleanly. SIGKILL: at once, for data about to be deleted."""
        # All at once: a cluster's nodes then stop together rather than wait for each other.
        for node in self.nodes:
            node.send_signal(sig)
        for node in self.nodes:
            node.stop(sig)

    def ingress_services(self) -> set[str]:
        """The services that every live node's ingress can call (its health check lists them)."""
        listed = [local_http.request("GET", f"{url}/restate/health").json()["services"] for url in self.ingress_urls]
        return set.intersection(*map(set, listed))

    def restart(self) -> None:
        """Stop and start again on the same data and ports: what it stored must still be there.
        Ready once the ingress knows the services again: it answers its health check a moment
        before it has read them back, and "service not found" to their calls meanwhile."""
        services = self.ingress_services()
        self.stop()
        self.start()
        wait_for(lambda: self.ingress_services() >= services, 30, f"the ingress knowing {sorted(services)} again")
