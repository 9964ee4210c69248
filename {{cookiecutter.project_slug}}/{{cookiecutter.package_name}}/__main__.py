"""Serve the app, exactly as the README's hypercorn command does:

    python -m {{ cookiecutter.package_name }}

For development, the same with ``--dev``: it restarts the service whenever a file of the
package changes, and after every start registers it with Restate, with ``force``: Restate
then knows the handlers as they are now, including the ones you removed or changed
incompatibly. Restate's admin API is at ``$RESTATE_ADMIN_URL``
(default http://localhost:9070).

Extra arguments (e.g. ``--bind 127.0.0.1:9081``) override the config file, in both modes.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.resources import as_file, files
from pathlib import Path
from types import FrameType

PACKAGE = "{{ cookiecutter.package_name }}"
CONFIG = files(PACKAGE) / "hypercorn-config.toml"
# How long --dev tries to reach Restate's admin API before it says it cannot.
REGISTER_TIMEOUT_SECONDS = 5.0


def serve(args: list[str]) -> int:
    from hypercorn.__main__ import main  # here: --dev's own process does without it

    with as_file(CONFIG) as config:
        return main(["--config", str(config), *args, f"{PACKAGE}.app:app"])


def develop(args: list[str]) -> int:
    """Serve in a child process; restart it on every change; register it after every start."""
    admin_url = os.environ.get("RESTATE_ADMIN_URL", "http://localhost:9070").rstrip("/")
    service_url = _service_url(args)
    signal.signal(signal.SIGTERM, _interrupt)  # stop on SIGTERM as on Ctrl+C
    server: subprocess.Popen[bytes] | None = None
    try:
        while True:
            sources = _sources()
            server = subprocess.Popen([sys.executable, "-m", PACKAGE, *args])
            if _wait_until_serving(server, service_url):
                _register(service_url, admin_url)
            _wait_for_change(server, sources)
            _stop(server)
            _say("a file changed, restarting")
    except KeyboardInterrupt:
        return 0
    finally:
        if server is not None:
            _stop(server)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _say(line: str) -> None:
    print(f"--dev: {line}", file=sys.stderr, flush=True)


def _service_url(args: list[str]) -> str:
    """Where Restate reaches the service: its first --bind, else the config file's bind."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("-b", "--bind", action="append", default=[])
    binds: list[str] = parser.parse_known_args(args)[0].bind
    if not binds:
        from hypercorn.config import Config

        with as_file(CONFIG) as config:
            binds = Config.from_toml(config).bind
    host, _, port = binds[0].rpartition(":")
    if host.strip("[]") in ("", "0.0.0.0", "::", "127.0.0.1", "::1"):
        host = "localhost"  # what the README registers
    return f"http://{host}:{port}"


def _sources() -> dict[Path, int]:
    """The package's files and when each last changed."""
    package = Path(__file__).resolve().parent
    return {path: path.stat().st_mtime_ns for path in package.rglob("*") if path.suffix in (".py", ".toml")}


def _wait_until_serving(server: subprocess.Popen[bytes], service_url: str) -> bool:
    health = service_url.replace("//localhost:", "//127.0.0.1:") + "/health"
    while server.poll() is None:
        try:
            with urllib.request.urlopen(health, timeout=1):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    _say(f"the service exited (status {server.returncode}); fix the code, it restarts on save")
    return False


def _register(service_url: str, admin_url: str) -> None:
    """Register with force, retrying while Restate's admin API does not answer."""
    request = urllib.request.Request(
        f"{admin_url}/deployments",
        data=json.dumps({"uri": service_url, "force": True}).encode(),
        headers={"content-type": "application/json"},
    )
    deadline = time.monotonic() + REGISTER_TIMEOUT_SECONDS
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                services = [service["name"] for service in json.load(response)["services"]]
            _say(f"registered {service_url} with Restate at {admin_url}: {', '.join(services)}")
            return
        except urllib.error.HTTPError as refused:
            _say(f"Restate at {admin_url} refused to register {service_url}: {refused.read().decode()}")
            return
        except (urllib.error.URLError, OSError) as error:
            if time.monotonic() > deadline:
                reason = getattr(error, "reason", error)
                _say(f"cannot reach Restate's admin API at {admin_url} ({reason}): is restate-server running?")
                return
            time.sleep(0.2)


def _wait_for_change(server: subprocess.Popen[bytes], sources: dict[Path, int]) -> None:
    while _sources() == sources:
        time.sleep(0.2)


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()  # SIGTERM: see serving.py
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "--dev" in arguments:
        sys.exit(develop([argument for argument in arguments if argument != "--dev"]))
    sys.exit(serve(arguments))
