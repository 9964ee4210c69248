{%- set by_workflow = cookiecutter.workflows and not (cookiecutter.durable_execution or cookiecutter.building_blocks) -%}
"""Tracing: a handler's invocation and each run of its steps are spans in Restate's trace.

The service sends its spans over OTLP/HTTP, as to Jaeger; here to ``Collector``, a stand-in
that keeps them in memory. Restate (tests/local_restate/restate_server.py) traces too, so it
sends each attempt a traceparent, and records the trace's id with the invocation.
"""

import contextlib
import gzip
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from local_restate.clients import Admin, Ingress{% if by_workflow %}, Ledger{% endif %}
from local_restate.service_process import ServiceProcess
from local_restate.waiting import wait_for
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from {{ cookiecutter.package_name }} import tracing

SERVICE_NAME = "traced-service"
{%- if cookiecutter.durable_execution %}
HANDLER = "SubscriptionService/add"
STEPS = ["create_recurring_payment", "create_subscription"]


def invoke(ingress: Ingress, key: str) -> str:
    """Call the handler; its invocation id."""
    signup = {"user_id": key, "payment_method": "pm_card_visa", "subscriptions": ["Netflix"]}
    response = ingress.call("/SubscriptionService/add", signup)
    assert response.is_success, response.text
    return response.headers["x-restate-id"]
{%- elif cookiecutter.building_blocks %}
HANDLER = "BuildingBlocks/draw"
STEPS = ["draw_ticket", "announce_ticket"]


def invoke(ingress: Ingress, key: str) -> str:
    """Call the handler; its invocation id."""
    response = ingress.call("/BuildingBlocks/draw", {"name": key})
    assert response.is_success, response.text
    return response.headers["x-restate-id"]
{%- elif cookiecutter.workflows %}
HANDLER = "UserSignup/run"
STEPS = ["create_user", "send_email_with_link"]


def invoke(ingress: Ingress, ledger: Ledger, key: str) -> str:
    """Run the workflow to its end (the email's link clicked); its invocation id."""
    invocation = ingress.send(f"/UserSignup/{key}/run", {"name": "Sam", "email": "sam@example.com"})
    secret = ledger.wait_for(operation=f"email:{key}")["secret"]
    ingress.call_ok(f"/UserSignup/{key}/click", {"secret": secret})
    assert ingress.attach(invocation) is True
    return invocation
{%- elif cookiecutter.ai_agent %}
HANDLER = "SupportAgent/ask"
STEPS = ["look_up_order"]


def invoke(ingress: Ingress, key: str) -> str:
    """Call the handler; its invocation id."""
    response = ingress.call(f"/SupportAgent/{key}/ask", {"message": "Where is my order A-1002?"})
    assert response.is_success, response.text
    return response.headers["x-restate-id"]
{%- else %}
HANDLER = "Greeter/greet"
STEPS: list[str] = []  # the greeter runs no step


def invoke(ingress: Ingress, key: str) -> str:
    """Call the handler; its invocation id."""
    response = ingress.call(f"/Greeter/{key}/greet", {})
    assert response.is_success, response.text
    return response.headers["x-restate-id"]
{%- endif %}


# The handler once, and each step twice: the suite fails every first call to an external system.
EXPECTED = 1 + 2 * len(STEPS)


@dataclass
class Span:
    name: str
    service: str
    trace_id: str
    span_id: str
    parent_id: str  # "" for a span that starts a trace
    start: int
    error: str | None  # why it failed (the exception), if it did
    attributes: dict[str, str]


class Collector(ThreadingHTTPServer):
    """Receives spans over OTLP/HTTP, as Jaeger does, and keeps them."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receiver)
        self.url = f"http://127.0.0.1:{self.server_port}"
        self.spans: list[Span] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def in_trace(self, trace_id: str) -> list[Span]:
        """The spans of one trace, oldest first."""
        return sorted((span for span in self.spans if span.trace_id == trace_id), key=lambda span: span.start)

    def wait_for_trace(self, trace_id: str, count: int) -> list[Span]:
        """The spans of one trace, once ``count`` came (or 5 s passed) and no more come."""
        with contextlib.suppress(AssertionError):
            wait_for(lambda: len(self.in_trace(trace_id)) >= count, 5, "the spans")
        time.sleep(0.1)  # ten more batches
        return self.in_trace(trace_id)


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        assert isinstance(self.server, Collector)
        self.server.spans.extend(decode(body))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


def decode(body: bytes) -> list[Span]:
    """The spans of one OTLP export request."""
    spans = []
    for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
        service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}.get("service.name", "")
        for span in (span for scope_spans in resource_spans.scope_spans for span in scope_spans.spans):
            error = span.status.message if span.status.code == Status.STATUS_CODE_ERROR else None
            ids = (span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex())
            attributes = {a.key: a.value.string_value for a in span.attributes}
            spans.append(Span(span.name, service, *ids, span.start_time_unix_nano, error, attributes))
    return spans


def trace_of(admin: Admin, invocation: str) -> str:
    """The id of the trace Restate made for an invocation."""
    trace_id = admin.invocation(invocation).get("trace_id")
    assert trace_id, f"Restate made no trace of {invocation}: it traces only with a tracing-endpoint"
    return str(trace_id)


@pytest.fixture
def collector() -> Iterator[Collector]:
    collector = Collector()
    yield collector
    collector.shutdown()
    collector.server_close()


def serve_traced(service: ServiceProcess, collector: Collector, batch_every_ms: int) -> None:
    """Restart the service, sending its spans to the collector, a batch every so often."""
    service.kill()
    service.start(
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
        OTEL_SERVICE_NAME=SERVICE_NAME,
        OTEL_BSP_SCHEDULE_DELAY=str(batch_every_ms),
    )


@pytest.mark.slow  # pytest --slow runs it
def test_a_handler_and_each_run_of_its_steps_are_spans_in_restates_trace(
    ingress: Ingress, admin: Admin, {% if by_workflow %}ledger: Ledger, {% endif %}service_process: ServiceProcess, collector: Collector, key: str
) -> None:
    serve_traced(service_process, collector, batch_every_ms=10)
    invocation = invoke(ingress, {% if by_workflow %}ledger, {% endif %}key)

    # The spans are in the trace Restate made for the invocation.
    trace_id = trace_of(admin, invocation)
    spans = collector.wait_for_trace(trace_id, EXPECTED)
    assert len(spans) == EXPECTED, [(span.name, span.error) for span in spans]
    assert {span.service for span in spans} == {SERVICE_NAME}
    # Each is a child of a span of Restate's (its span for an attempt), none of another of ours.
    ours = {span.span_id for span in spans}
    assert all(span.parent_id and span.parent_id not in ours for span in spans), spans

    # The handler's span, once: the attempts after the first replay its journal, and make none.
    [handler] = [span for span in spans if span.name == HANDLER]
    assert handler.error is None
    # No span records an argument or the input: the handler's holds the invocation id alone.
    assert handler.attributes == {"restate.invocation.id": invocation}
    assert all(span.attributes == {} for span in spans if span is not handler)
    # Each step's action ran twice, each run a span: the first failed, the second did not.
    for step in STEPS:
        runs = [span for span in spans if span.name == step]
        assert [run.error is not None for run in runs] == [True, False], runs
        assert "injected failure" in str(runs[0].error)
    if STEPS:
        # The first step failed in the first attempt, the handler's; it ran again in the next.
        first, again = [span for span in spans if span.name == STEPS[0]]
        assert first.parent_id == handler.parent_id != again.parent_id


@pytest.mark.slow  # pytest --slow runs it
def test_the_spans_still_waiting_for_their_batch_leave_when_the_service_stops(
    ingress: Ingress, admin: Admin, {% if by_workflow %}ledger: Ledger, {% endif %}service_process: ServiceProcess, collector: Collector, key: str
) -> None:
    serve_traced(service_process, collector, batch_every_ms=600_000)  # no batch leaves on its own
    trace_id = trace_of(admin, invoke(ingress, {% if by_workflow %}ledger, {% endif %}key))
    assert collector.in_trace(trace_id) == []

    service_process.kill(signal.SIGTERM)  # as docker stop does

    assert len(collector.in_trace(trace_id)) == EXPECTED


@pytest.mark.parametrize(
    ("environ", "exporters"),
    [
        ({}, []),  # nothing said: nothing sent
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://localhost:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
        ({"OTEL_TRACES_EXPORTER": "otlp, console"}, ["otlp", "console"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}, []),
    ],
)
def test_the_otel_variables_choose_the_exporters(environ: dict[str, str], exporters: list[str]) -> None:
    assert tracing.exporter_names(environ) == exporters


def test_the_service_is_named_after_the_project_unless_otel_service_name_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    assert tracing.service_resource().attributes["service.name"] == "{{ cookiecutter.project_slug }}"

    monkeypatch.setenv("OTEL_SERVICE_NAME", "orders")
    assert tracing.service_resource().attributes["service.name"] == "orders"
