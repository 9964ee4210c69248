"""What a test talks to: Restate's ingress (as the README's curl commands do), Restate's admin
API, and the ledger the stand-in external systems write."""

import json
import time
from pathlib import Path
from typing import Any

import httpx

from . import local_http
from .restate_server import RestateServer
from .waiting import wait_for


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
            self._clients[url] = local_http.client(base_url=url, timeout=30)
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


class Admin:
    """Restate's admin API: registering the service, and what Restate knows of invocations."""

    def __init__(self, server: RestateServer) -> None:
        self.server = server

    def register(self, service_url: str) -> dict[str, Any]:
        """Register (or re-register) a deployment, as `restate deployments register --force` does."""
        response = local_http.request(
            "POST", f"{self.server.admin_url}/deployments", json={"uri": service_url, "force": True}, timeout=30
        )
        response.raise_for_status()
        deployment: dict[str, Any] = response.json()
        return deployment

    def query(self, sql: str, timeout: float = 10) -> list[dict[str, Any]]:
        """Rows of Restate's SQL introspection (``sys_invocation``, ``state``, ...)."""
        deadline = time.monotonic() + timeout
        while True:
            url = f"{self.server.admin_url}/query"
            response = local_http.request(
                "POST", url, json={"query": sql}, headers={"accept": "application/json"}, timeout=timeout
            )
            # A cluster answers 5xx for a moment while a partition changes leader: ask again.
            if response.is_server_error and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            assert response.is_success, f"{sql}: {response.status_code} {response.text}"
            rows: list[dict[str, Any]] = response.json()["rows"]
            return rows

    def service(self, name: str) -> dict[str, Any]:
        """What Restate holds of a registered service: its handlers and settings (retention, ...)."""
        response = local_http.request("GET", f"{self.server.admin_url}/services/{name}")
        response.raise_for_status()
        service: dict[str, Any] = response.json()
        return service

    def invocation(self, invocation_id: str) -> dict[str, Any]:
        """An invocation's row in ``sys_invocation`` (status, retry count, completion, ...)."""
        rows = self.query(f"SELECT * FROM sys_invocation WHERE id = '{invocation_id}'")
        assert len(rows) == 1, f"invocation {invocation_id}: {rows}"
        return rows[0]

    def kill(self, invocation_id: str) -> None:
        """End an invocation at once, without compensation (``restate invocations cancel --kill``)."""
        local_http.request("PATCH", f"{self.server.admin_url}/invocations/{invocation_id}/kill").raise_for_status()


class Ledger:
    """What the stand-in external systems did, read from the file they append to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    def all(self) -> list[dict[str, Any]]:
        """Every entry, in the order written."""
        text = self.path.read_text()
        # A line still being appended has no newline yet: it is read the next time.
        return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]

    def entries(self, event: str = "done", **fields: Any) -> list[dict[str, Any]]:
        """Entries of this event whose fields have the given values, in the order written."""
        return [e for e in self.all() if e["event"] == event and all(e.get(k) == v for k, v in fields.items())]

    def count(self, event: str = "done") -> int:
        """How many entries of this event there are, of every operation: cheap enough to poll."""
        return self.path.read_text().count(f'"event": "{event}"')

    def wait_for(self, event: str = "done", timeout: float = 10, **fields: Any) -> dict[str, Any]:
        """The first matching entry, once it exists."""
        found = wait_for(
            lambda: self.entries(event, **fields), timeout, f"a {event!r} entry with {fields} in the ledger"
        )
        return found[0]


def assert_rejected_as_bad_input(
    admin: Admin, response: httpx.Response, *mentions: str, status: int = 400, sent: Any = None
) -> None:
    """Bad input gets a 4xx naming the problem but never repeating ``sent`` (the offending value),
    and ends the invocation: Restate will not retry it."""
    assert response.status_code == status, f"{response.status_code} {response.text}"
    message = response.json()["message"]
    for mention in mentions:
        assert mention in message, f"{mention!r} not in {message!r}"
    assert "input_value" not in message, message
    if sent is not None:
        assert str(sent) not in message, message
    invocation = admin.invocation(response.headers["x-restate-id"])
    # Completed with a failure is final: a terminal error, not a retryable one.
    assert (invocation["status"], invocation["completion_result"]) == ("completed", "failure"), invocation
    assert invocation["completion_failure"].startswith(f"[{status}]"), invocation
