"""This project's service under hypercorn, in a process a test may kill and start again."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from . import fork_server
from .ports import free_port
from .process_group import is_running, stop_group
from .waiting import wait_for, wait_until_serving


class ServiceProcess:
    """The app of ``package`` (in ``root``), served as ``python -m hypercorn`` serves it, on
    one port for its whole life: Restate finds it again after each start."""

    def __init__(self, package: str, root: Path, workdir: Path, env: dict[str, str], port: int = 0) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "service.log"
        self.pid: int | None = None
        self._forking = False  # asked the fork server for a process, and not yet read its PID
        self.extra_env: dict[str, str] = {}  # of the process now serving
        hypercorn = [
            "--config",
            f"{package}/hypercorn-config.toml",
            "--bind",
            f"127.0.0.1:{self.port}",
            f"{package}.app:app",
        ]
        workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self._forks = subprocess.Popen(
                [sys.executable, fork_server.__file__, package, *hypercorn],
                cwd=root,
                env={**os.environ, "PYTHONPATH": str(root), "PYTHONUNBUFFERED": "1", **env},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )

    def start(self, **extra_env: str) -> None:
        """Serve, with extra environment; returns once it answers."""
        self.launch(**extra_env)
        self.wait_until_serving()

    def launch(self, **extra_env: str) -> None:
        """Start serving, with extra environment; ready once ``wait_until_serving`` returns."""
        assert self._forks.stdin
        self._forks.stdin.write(json.dumps(extra_env).encode() + b"\n")
        self._forks.stdin.flush()
        self._forking = True
        self.extra_env = extra_env

    def wait_until_serving(self) -> None:
        wait_until_serving([f"{self.url}/health"], lambda: self.running, self.log, timeout=30)

    @property
    def running(self) -> bool:
        if self._forking:  # the fork server prints the PID once it has forked (after its imports)
            assert self._forks.stdout
            self.pid = int(self._forks.stdout.readline() or 0) or None
            self._forking = False
        return is_running(self.pid)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """SIGKILL (by default): the process gets no chance to finish anything."""
        if self.running:
            assert self.pid
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:  # just forked: not yet the leader of a group of its own
                os.kill(self.pid, sig)
            wait_for(lambda: not self.running, 10, f"service process {self.pid} exiting")

    def stop(self) -> None:
        """SIGTERM, as docker stop sends: the service stops cleanly (see serving.py). If it
        does not (test_serving.py says so), SIGKILL, so that the session ends all the same."""
        try:
            self.kill(signal.SIGTERM)
        except AssertionError:
            self.kill(signal.SIGKILL)
        stop_group(self._forks, signal.SIGKILL)
