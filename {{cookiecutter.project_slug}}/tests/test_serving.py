{%- set in_flight = "add" if cookiecutter.durable_execution else ("draw" if cookiecutter.building_blocks else ("greet" if cookiecutter.virtual_objects else ("run" if cookiecutter.workflows else "ask"))) -%}
"""Serving: a clean stop on SIGTERM, and Restate told at once about a removed handler.

- On SIGTERM the service exits within 2 s, idle or with calls in flight; the calls it did
  not finish complete once it is back, each effect made once (serving.py).
- The README's serve commands, and the package installed with pip, serve and stop alike.
- ``python -m <package> --dev`` restarts on a change and registers again with force, as
  the README's register command does: a removed handler then answers 404 at once.

What takes seconds (processes that import the app, a pip install, the dev loop) is the
``background`` fixture's: it starts as soon as the tests are collected, if a test that uses it
is among them (conftest.py calls start_early), and runs while other tests do.
"""

import asyncio
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
{%- if in_flight == "add" %}
import uuid
{%- endif %}
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from local_restate import local_http
{%- if in_flight != "greet" %}
from local_restate.clients import Admin, Ingress, Ledger
{%- else %}
from local_restate.clients import Admin, Ingress
{%- endif %}
from local_restate.ports import free_port
from local_restate.restate_server import RestateServer, find_restate_server, pinned_version
from local_restate.service_process import ServiceProcess
from local_restate.waiting import answers, wait_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"

pytestmark = pytest.mark.slow  # pytest --slow runs this module

STOP_SECONDS = 2.0
# What a stop that broke a connection, or hung, leaves in the log.
NOT_CLEAN = (
    "Error in ASGI Framework",
    "Exception in ASGI app",
    "Unhandled exception",
    "Exception in callback",
    "never retrieved",
    "KeyError",
    "RuntimeWarning",
)
SERVICES = sorted(
    [
        {%- if cookiecutter.durable_execution %}
        "SubscriptionService",
        {%- endif %}
        {%- if cookiecutter.building_blocks %}
        "BuildingBlocks",
        "Mailbox",
        {%- endif %}
        {%- if cookiecutter.virtual_objects %}
        "Greeter",
        {%- endif %}
        {%- if cookiecutter.workflows %}
        "UserSignup",
        {%- endif %}
        {%- if cookiecutter.ai_agent %}
        "SupportAgent",
        {%- endif %}
    ]
)
MANIFEST = "application/vnd.restate.endpointmanifest.v4+json"
KEEPS_RUNNING = "# keeps running; Ctrl+C stops it"
IN_FLIGHT = 32
{%- if in_flight == "add" %}

# In flight: SubscriptionService/add, slowed down so that SIGTERM lands mid-step.
SLOW = {"EXTERNAL_LATENCY_SECONDS": "0.5"}
SUBSCRIPTIONS = ["Netflix", "Disney+"]
PAYMENT_METHOD = f"pm_in_flight_{uuid.uuid4().hex}"


def start_call(ingress: Ingress, key: str) -> str:
    signup = {"user_id": key, "payment_method": PAYMENT_METHOD, "subscriptions": SUBSCRIPTIONS}
    return ingress.send("/SubscriptionService/add", signup)


def started(ledger: Ledger, keys: list[str]) -> int:
    return len(ledger.entries("attempt", payment_method=PAYMENT_METHOD))


def made(ledger: Ledger, key: str) -> list[str]:
    """The operations of the call for this key, once per time they were made."""
    return [e["operation"] for e in ledger.entries() if e["operation"].startswith(f"subscription:{key}:")]


def assert_finished_once(ingress: Ingress, ledger: Ledger, key: str, invocation: str) -> None:
    assert ingress.attach(invocation)["subscriptions"] == dict.fromkeys(SUBSCRIPTIONS, "SUCCESS")
    assert sorted(made(ledger, key)) == sorted(f"subscription:{key}:{each}" for each in SUBSCRIPTIONS)
{%- elif in_flight == "draw" %}

# In flight: BuildingBlocks/draw, slowed down so that SIGTERM lands mid-step.
SLOW = {"EXTERNAL_LATENCY_SECONDS": "0.5"}


def start_call(ingress: Ingress, key: str) -> str:
    return ingress.send("/BuildingBlocks/draw", {"name": key})


def started(ledger: Ledger, keys: list[str]) -> int:
    operations = {f"ticket:{key}" for key in keys}
    return len([entry for entry in ledger.entries("attempt") if entry["operation"] in operations])


def made(ledger: Ledger, key: str) -> list[str]:
    """The operations of the call for this key, once per time they were made."""
    return [e["operation"] for e in ledger.entries() if e["operation"] in (f"ticket:{key}", f"announcement:{key}")]


def assert_finished_once(ingress: Ingress, ledger: Ledger, key: str, invocation: str) -> None:
    ticket = ingress.attach(invocation)
    assert sorted(made(ledger, key)) == [f"announcement:{key}", f"ticket:{key}"]
    assert [entry["result"] for entry in ledger.entries(operation=f"ticket:{key}")] == [ticket]
{%- elif in_flight == "greet" %}

# In flight: Greeter/greet, on as many keys.
SLOW: dict[str, str] = {}


def start_call(ingress: Ingress, key: str) -> str:
    return ingress.send(f"/Greeter/{key}/greet", {})


def assert_finished_once(ingress: Ingress, key: str, invocation: str) -> None:
    assert ingress.attach(invocation)["count"] == 1
    assert ingress.call_ok(f"/Greeter/{key}/count") == 1
{%- elif in_flight == "ask" %}

# In flight: SupportAgent/ask, a turn that refunds an order, slowed down so that SIGTERM lands mid-step.
SLOW = {"EXTERNAL_LATENCY_SECONDS": "0.5"}
IN_FLIGHT = 8  # a turn of the agent takes far more CPU than a step: fewer of them


def start_call(ingress: Ingress, key: str) -> str:
    return ingress.send(f"/SupportAgent/{key}/ask", {"message": f"Please refund order A-1002. ({key})"})


def started(ledger: Ledger, keys: list[str]) -> int:
    return len([entry for entry in ledger.entries("model-call") if any(f"({key})" in entry["prompt"] for key in keys)])


def made(ledger: Ledger, key: str) -> list[str]:
    """The model calls of the turn for this key, once per time they were made (three when it is done)."""
    return [entry["operation"] for entry in ledger.entries("model-call") if f"({key})" in entry["prompt"]]


def assert_finished_once(ingress: Ingress, ledger: Ledger, key: str, invocation: str) -> None:
    answer = ingress.attach(invocation)["answer"]
    assert answer.startswith("Refunded order A-1002")
    # Refunded once: one refund made under the key whose reference the answer names.
    assert len(ledger.entries(result=answer.rsplit(" ", 1)[-1].rstrip("."))) == 1
{%- else %}

# In flight: UserSignup/run, slowed down so that SIGTERM lands mid-step.
SLOW = {"EXTERNAL_LATENCY_SECONDS": "0.5"}


def start_call(ingress: Ingress, key: str) -> str:
    return ingress.send(f"/UserSignup/{key}/run", {"name": key, "email": f"{key}@example.com"})


def started(ledger: Ledger, keys: list[str]) -> int:
    operations = {f"user:{key}" for key in keys}
    return len([entry for entry in ledger.entries("attempt") if entry["operation"] in operations])


def made(ledger: Ledger, key: str) -> list[str]:
    """The operations of the call for this key, once per time they were made."""
    return [e["operation"] for e in ledger.entries() if e["operation"] in (f"user:{key}", f"email:{key}")]


def assert_finished_once(ingress: Ingress, ledger: Ledger, key: str, invocation: str) -> None:
    # The workflow then waits for a click: done, as far as this test goes, once it emailed.
    ledger.wait_for(operation=f"email:{key}")
    assert sorted(made(ledger, key)) == [f"email:{key}", f"user:{key}"]
{%- endif %}
{%- if cookiecutter.virtual_objects %}


# The handler the tests remove: where it is, and a call to it through Restate's ingress
# (to the service renamed with prefix).
REMOVED_FROM, REMOVED = "virtual_objects.py", "ungreet"


def call_removed(ingress: httpx.Client, key: str, prefix: str = "", timeout: float = 1) -> httpx.Response:
    return ingress.post(f"/{prefix}Greeter/{key}/ungreet", timeout=timeout)
{%- elif cookiecutter.building_blocks %}


# The handler the tests remove: where it is, and a call to it through Restate's ingress
# (to the service renamed with prefix).
REMOVED_FROM, REMOVED = "building_blocks.py", "draw"


def call_removed(ingress: httpx.Client, key: str, prefix: str = "", timeout: float = 1) -> httpx.Response:
    return ingress.post(f"/{prefix}BuildingBlocks/draw", json={"name": key}, timeout=timeout)
{%- elif cookiecutter.workflows %}


# The handler the tests remove: where it is, and a call to it through Restate's ingress
# (to the service renamed with prefix).
REMOVED_FROM, REMOVED = "workflows.py", "status"


def call_removed(ingress: httpx.Client, key: str, prefix: str = "", timeout: float = 1) -> httpx.Response:
    return ingress.post(f"/{prefix}UserSignup/{key}/status", timeout=timeout)
{%- elif cookiecutter.ai_agent and not cookiecutter.durable_execution %}


# The handler the tests remove: where it is, and a call to it through Restate's ingress
# (to the service renamed with prefix).
REMOVED_FROM, REMOVED = "agent.py", "transcript"


def call_removed(ingress: httpx.Client, key: str, prefix: str = "", timeout: float = 1) -> httpx.Response:
    return ingress.post(f"/{prefix}SupportAgent/{key}/transcript", timeout=timeout)
{%- else %}


# The handler the tests remove: where it is, and a call to it through Restate's ingress
# (to the service renamed with prefix).
REMOVED_FROM, REMOVED = "durable_execution.py", "add"


def call_removed(ingress: httpx.Client, key: str, prefix: str = "", timeout: float = 1) -> httpx.Response:
    signup = {"user_id": key, "payment_method": "pm_card_visa", "subscriptions": []}
    return ingress.post(f"/{prefix}SubscriptionService/add", json=signup, timeout=timeout)
{%- endif %}


def copy_of_the_package(directory: Path) -> Path:
    """The package alone, in a directory of its own: a test may change it."""
    shutil.copytree(PROJECT_ROOT / PACKAGE, directory / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    return directory


def remove_the_handler(copy: Path) -> None:
    """Take the decorator off the handler: a plain function, no longer a handler."""
    module = copy / PACKAGE / REMOVED_FROM
    code, found = re.subn(rf"@\w+\.handler\([^)]*\)\n(async def {REMOVED}\()", r"\1", module.read_text())
    assert found == 1, f"no handler {REMOVED} in {module}"
    module.write_text(code)


def rename_the_services(copy: Path, prefix: str) -> None:
    """Give every service of the copy a name of its own, next to the tests' service's."""
    for module in (copy / PACKAGE).glob("*.py"):
        code = re.sub(r"(restate\.(?:Service|VirtualObject|Workflow)\(\s*)\"", rf'\1"{prefix}', module.read_text())
        module.write_text(code)


def readme_serve_commands() -> list[list[str]]:
    """The README's commands that serve the project: python -m PACKAGE, then hypercorn's."""
    commands = []
    for line in (PROJECT_ROOT / "README.md").read_text().splitlines():
        if line.startswith("python -m ") and line.endswith(KEEPS_RUNNING) and "--dev" not in line:
            commands.append([sys.executable, *shlex.split(line.removesuffix(KEEPS_RUNNING))[1:]])
    assert [command[1:3] for command in commands] == [["-m", PACKAGE], ["-m", "hypercorn"]], commands
    return commands


class Served:
    """A serve command, run as a user runs it, on a port of its own."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        bind = ["--bind", f"127.0.0.1:{self.port}"]
        # Options go before hypercorn's APP argument; after python -m PACKAGE's, as the README shows.
        self.command = command[:-1] + bind + command[-1:] if "hypercorn" in command else command + bind
        self.process = subprocess.Popen(
            self.command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self._output: str | None = None

    def services(self) -> list[str]:
        """The names of the services it serves, once it serves."""

        def serving() -> bool:
            assert self.process.poll() is None, self.stop()
            return answers(f"{self.url}/health")

        wait_for(serving, 30, f"{self.command} serving")
        manifest = local_http.request("GET", f"{self.url}/discover", headers={"accept": MANIFEST}).json()
        return sorted(service["name"] for service in manifest["services"])

    def output(self, timeout: float = 10) -> str:
        """What it printed, once it exited."""
        if self._output is None:
            self._output = self.process.communicate(timeout=timeout)[0].decode()
        return self._output

    def stop(self) -> str:
        """Kill it, if it still runs; what it printed."""
        self.process.kill()
        return self.output()


class Lines:
    """The lines a process prints to stderr, each with when it came."""

    def __init__(self, process: "subprocess.Popen[str]") -> None:
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: "subprocess.Popen[str]") -> None:
        assert process.stderr
        for line in process.stderr:
            self.lines.append((time.monotonic(), line))

    def wait_for(self, text: str, count: int = 1, timeout: float = 30) -> float:
        """When the count-th line with this text came."""

        def found() -> list[float]:
            return [at for at, line in list(self.lines) if text in line][count - 1 : count]

        return wait_for(found, timeout, f"line {count} with {text!r} in:\n{self.text()}")[0]

    def text(self) -> str:
        return "".join(line for _, line in list(self.lines))


class Background:
    """What this module's tests need that takes seconds: conftest.py starts it once the tests
    are collected (see start_early), so that it runs while the other modules' tests do."""

    DEV_PREFIX = "Dev"

    def __init__(self, workdir: Path, restate_server: RestateServer, service: ServiceProcess) -> None:
        self._stopped = False
        # The README's serve commands as written, and python -m PACKAGE from a pip install elsewhere.
        self.served = [Served(command, PROJECT_ROOT) for command in readme_serve_commands()]
        self._threads = ThreadPoolExecutor(max_workers=2)
        self.installed = self._threads.submit(self._install_and_serve, workdir / "pip")
        # python -m PACKAGE --dev on a copy, its services renamed so as not to take the tests' over;
        # then the handler removed, once the dev loop has registered it.
        self.dev_copy = copy_of_the_package(workdir / "dev")
        rename_the_services(self.dev_copy, self.DEV_PREFIX)
        self.admin_env = {**os.environ, "RESTATE_ADMIN_URL": restate_server.admin_url}
        self.dev: subprocess.Popen[str] | None = None
        self.removed_under_dev = self._threads.submit(self._remove_a_handler_under_dev, restate_server)
        # A copy without the handler, ready to serve in place of the tests' service, at its address.
        without = copy_of_the_package(workdir / "without")
        remove_the_handler(without)
        self.without = ServiceProcess(PACKAGE, without, workdir / "without", {}, port=service.port)

    def _install_and_serve(self, workdir: Path) -> None:
        source, site, elsewhere = workdir / "source", workdir / "site", workdir / "elsewhere"
        elsewhere.mkdir(parents=True)
        # What pip builds from: a copy, as the build leaves files behind.
        copy_of_the_package(source)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(PROJECT_ROOT / name, source)
        # Not in editable mode, and from another directory: the installed package is all there is.
        install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
        installing = subprocess.run(
            [*install, "--target", str(site), str(source)], cwd=elsewhere, capture_output=True, text=True, check=False
        )
        assert installing.returncode == 0, installing.stdout + installing.stderr
        if not self._stopped:
            self.served.append(Served(readme_serve_commands()[0], elsewhere, {"PYTHONPATH": str(site)}))

    def _remove_a_handler_under_dev(
        self, restate_server: RestateServer
    ) -> tuple[httpx.Response, httpx.Response, float, Lines]:
        """The handler called while the dev loop serves it, and after it was removed: how long
        after the dev loop registered again; and what the dev loop printed."""
        restate_server.wait_until_healthy()
        command = [sys.executable, "-m", PACKAGE, "--dev", "--bind", f"127.0.0.1:{free_port()}"]
        self.dev = subprocess.Popen(
            command, cwd=self.dev_copy, env=self.admin_env, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        output = Lines(self.dev)
        with local_http.client(base_url=restate_server.ingress_url) as ingress:
            output.wait_for("--dev: registered")
            before = call_removed(ingress, "before", self.DEV_PREFIX, timeout=30)
            remove_the_handler(self.dev_copy)
            registered = output.wait_for("--dev: registered", count=2)
            after = call_removed(ingress, "after", self.DEV_PREFIX)
            return before, after, time.monotonic() - registered, output

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._threads.shutdown(wait=True)
        for served in self.served:
            served.stop()
        if self.dev is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.dev.pid, signal.SIGKILL)  # the dev loop and the service it ran, if still there
            self.dev.wait()
        self.without.stop()


_started_early: list[Background] = []


def start_early(
    restate_server: RestateServer, service: ServiceProcess, workdir: Path, cleanup: Callable[[Callable[[], None]], None]
) -> None:
    """Called by conftest.py once the tests are collected, if a test that uses ``background`` is among them."""
    background = Background(workdir / "serving", restate_server, service)
    _started_early.append(background)
    cleanup(background.stop)


@pytest.fixture(scope="module")
def background(
    tmp_path_factory: pytest.TempPathFactory, restate_server: RestateServer, service: ServiceProcess
) -> Iterator[Background]:
    started = _started_early.pop() if _started_early else None
    started = started or Background(tmp_path_factory.mktemp("serving"), restate_server, service)
    yield started
    started.stop()


def seconds_to_stop(service: ServiceProcess) -> float:
    """SIGTERM, and how long the process took to exit."""
    start = time.monotonic()
    service.kill(signal.SIGTERM)
    return time.monotonic() - start


def log_since(service: ServiceProcess, offset: int) -> str:
    with service.log.open() as log:
        log.seek(offset)
        return log.read()


def assert_clean(log: str) -> None:
    for sign in NOT_CLEAN:
        assert sign not in log, f"{sign!r} in the log:\n{log[-3000:]}"


def test_on_sigterm_the_service_stops_within_2_s(ingress: Ingress, service_process: ServiceProcess, key: str) -> None:
    # A call first: Restate then holds connections open to the service.
    start_call(ingress, key)
    offset = service_process.log.stat().st_size

    assert seconds_to_stop(service_process) < STOP_SECONDS
    assert_clean(log_since(service_process, offset))


def test_calls_in_flight_at_sigterm_finish_after_a_restart(
    {%- if in_flight != "greet" %}
    ingress: Ingress, ledger: Ledger, service_process: ServiceProcess, key: str
    {%- else %}
    ingress: Ingress, service_process: ServiceProcess, key: str
    {%- endif %}
) -> None:
    service_process.kill(signal.SIGTERM)
    service_process.start(**SLOW)
    keys = [f"{key}-{n}" for n in range(IN_FLIGHT)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        invocations = list(pool.map(lambda each: start_call(ingress, each), keys))
    {%- if in_flight != "greet" %}
    wait_for(lambda: started(ledger, keys) >= IN_FLIGHT, 10, "the calls starting")
    {%- endif %}
    offset = service_process.log.stat().st_size

    assert seconds_to_stop(service_process) < STOP_SECONDS
    assert_clean(log_since(service_process, offset))
    {%- if in_flight != "greet" %}
    # Calls were still running at the stop: Restate has to finish them.
    assert len(made(ledger, keys[0])) < {{ 3 if in_flight == "ask" else 2 }}
    {%- endif %}
{% if in_flight == "add" %}
    # Without injected failures: the attempts Restate made while the service was down count
    # toward the subscription step's max_attempts, so a failure now could make it give up.
    service_process.start(FAIL_FIRST_ATTEMPTS="0")
{%- else %}
    service_process.start()
{%- endif %}
    with ThreadPoolExecutor(max_workers=8) as pool:
        {%- if in_flight != "greet" %}
        list(pool.map(lambda each, at: assert_finished_once(ingress, ledger, each, at), keys, invocations))
        {%- else %}
        list(pool.map(lambda each, at: assert_finished_once(ingress, each, at), keys, invocations))
        {%- endif %}


def test_a_request_the_server_gives_up_on_ends_though_the_sdk_waits_for_restate() -> None:
    """hypercorn with workers stops on its own: at the end of its graceful_timeout it cancels
    the requests still running. The SDK takes the cancellation as the end of the attempt,
    then waits for Restate to end the request, which a closing connection never does."""
    from {{ cookiecutter.package_name }}.serving import (
        Message,
        Receive,
        Scope,
        Send,
        stops_cleanly,
    )

    async def like_the_sdk(scope: Scope, receive: Receive, send: Send) -> None:
        ended = asyncio.Event()

        async def read() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            ended.set()

        reading = asyncio.ensure_future(read())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(60)  # a step
        await ended.wait()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        await reading

    async def serve_and_give_up() -> list[Message]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        never = asyncio.Event()

        async def receive() -> Message:
            await never.wait()  # Restate's request, open until the connection closes
            raise AssertionError("unreachable")

        scope = {"type": "http", "path": "/invoke/Service/handler"}
        request = asyncio.ensure_future(stops_cleanly(like_the_sdk)(scope, receive, send))
        await asyncio.sleep(0.01)
        request.cancel()
        await asyncio.wait_for(request, timeout=1)
        return sent

    sent = asyncio.run(serve_and_give_up())
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


def test_dev_restarts_on_a_change_and_registers_again_with_force(background: Background) -> None:
    # The dev loop started with the background work, and the handler was removed then.
    before, after, seconds_after_registering, output = background.removed_under_dev.result(timeout=60)

    assert before.status_code != 404, before.text
    assert after.status_code == 404, after.text
    assert seconds_after_registering < 1
    assert "a file changed, restarting" in output.text()
    assert background.dev is not None
    background.dev.send_signal(signal.SIGTERM)
    assert background.dev.wait(timeout=10) == 0


def test_dev_says_so_in_one_line_when_restate_cannot_be_reached(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import {{ cookiecutter.package_name }}.__main__ as entry_point

    monkeypatch.setattr(entry_point, "REGISTER_TIMEOUT_SECONDS", 0.2)
    nowhere = f"http://127.0.0.1:{free_port()}"
    trying = threading.Thread(target=entry_point._register, args=("http://localhost:9080", nowhere), daemon=True)
    trying.start()
    trying.join(timeout=5)

    assert not trying.is_alive(), "it tries on and on"
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 1 and nowhere in said[0] and "is restate-server running?" in said[0], said


def restate_cli() -> list[str]:
    """The restate CLI (the README's npx restate): on PATH, next to restate-server, or through npx."""
    server = find_restate_server(PROJECT_ROOT)
    if server[0] == "npx":
        return ["npx", "--yes", f"@restatedev/restate@{pinned_version(PROJECT_ROOT, '@restatedev/restate')}"]
    for candidate in (shutil.which("restate"), Path(server[0]).with_name("restate")):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    pytest.fail(f"No restate CLI on PATH nor next to {server[0]}: npm install (in {PROJECT_ROOT})", pytrace=False)


def readme_line(text: str) -> str:
    """The first line of the README with this text."""
    for line in (PROJECT_ROOT / "README.md").read_text().splitlines():
        if text in line:
            return line.strip()
    raise AssertionError(f"no line with {text!r} in README.md")


def test_the_readme_register_command_tells_restate_about_a_removed_handler(
    background: Background, restate_server: RestateServer, admin: Admin, service_process: ServiceProcess, key: str
) -> None:
    # The service without the handler, at an address Restate knows with it.
    service_process.kill(signal.SIGTERM)
    background.without.start()
    ingress = local_http.client(base_url=restate_server.ingress_url)  # the node that registers: no delay
    try:
        register = shlex.split(readme_line("npx restate deployments register"))
        assert register[:2] == ["npx", "restate"] and "http://localhost:9080" in register
        register = restate_cli() + [service_process.url if a == "http://localhost:9080" else a for a in register[2:]]
        done = subprocess.run(register, env=background.admin_env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        response = call_removed(ingress, key)
        assert response.status_code == 404, response.text

        # And the README's curl, for the service with the handler back: Restate calls it again.
        background.without.stop()
        service_process.start()
        curl = readme_line("curl localhost:9070/deployments")
        deployment = json.loads(re.findall(r"-d '(\{.*?\})'", curl)[0])
        assert deployment["uri"] == "http://localhost:9080"
        deployment["uri"] = service_process.url
        url = f"{restate_server.admin_url}/deployments"
        local_http.request("POST", url, json=deployment, timeout=30).raise_for_status()
        assert call_removed(ingress, key, timeout=30).status_code != 404
    finally:
        ingress.close()
        background.without.stop()
        if not service_process.running:
            service_process.start()
        admin.register(service_process.url)


def test_the_readme_serve_commands_and_an_installed_package_stop_within_2_s_of_sigterm(
    background: Background,
) -> None:
    background.installed.result(timeout=120)
    served = background.served
    for each in served:
        assert each.services() == SERVICES
    # An open connection, as Restate keeps, must not hold the stop up.
    with local_http.client() as client:
        for each in served:
            client.get(f"{each.url}/health")
        stopping = time.monotonic()
        for each in served:
            each.process.send_signal(signal.SIGTERM)
        for each in served:
            output = each.output()
            assert time.monotonic() - stopping < STOP_SECONDS, f"{each.command}\n{output}"
            assert each.process.returncode == 0, output
            # One line per log event: hypercorn's handler prints its own, and nothing else does.
            assert output.count("Running on") == 1, output
            assert "Lifespan" not in output, output
            assert_clean(output)
