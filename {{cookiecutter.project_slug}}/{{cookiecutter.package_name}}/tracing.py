"""Tracing: OpenTelemetry spans of every handler invocation and of every step, in Restate's trace.

Restate traces each invocation itself when restate-server exports spans
(``RESTATE_TRACING_ENDPOINT=http://localhost:4317``), and then sends the service, with every
attempt to run a handler, a ``traceparent`` header naming its span for that attempt. This
module adds the service's spans under it:

- one per invocation of a handler, named after it (``Service/handler``): ``invocation_span``,
  an invocation context manager that each service installs;
- one per run of a step's action, named after the function it runs: ``traced`` decorates the
  functions that steps run{% if cookiecutter.durable_execution or cookiecutter.building_blocks or cookiecutter.workflows or cookiecutter.ai_agent %} (the stand-ins of ``external_systems.py``){% endif %}. A step that fails and is
  retried shows one span per run, the failed ones with their error.

Both come from the Restate SDK's tracer (``restate.ext.tracing``), which differs from a plain
OpenTelemetry tracer in two ways. Each span is a child of Restate's span for the attempt, not
of the span current in Python: a step's span sits beside the handler's, not under it. And
while Restate replays a journal, the tracer hands out spans that record nothing: what was
done once shows once. So a handler's span comes from the attempt that runs it from the start;
an attempt that resumes it after a failure replays the journal, and shows only the steps it
runs. A library with OpenTelemetry instrumentation (httpx, a database driver) takes
``provider`` as its ``tracer_provider``: its spans then go under Restate's too.

Where the spans go is read from the standard OpenTelemetry variables, when the server starts
the app (``exports_spans``):

- ``OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318``: send them over OTLP/HTTP (to Jaeger,
  an OpenTelemetry Collector); ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` takes the full URL;
- ``OTEL_TRACES_EXPORTER``: ``otlp``, ``console`` (print them), both (``otlp,console``),
  or ``none``;
- ``OTEL_SERVICE_NAME``: the name the trace viewer shows (default ``{{ cookiecutter.project_slug }}``);
- ``OTEL_BSP_SCHEDULE_DELAY``: how often a batch of spans leaves, in ms (default 5000).

With neither of the first two set, the service sends no spans (OpenTelemetry's own default,
OTLP to localhost:4318, would log an error for every batch while no collector runs).

A span records its name, its timing, the invocation id and, if it failed, the error: no
argument and no input (mind what your error messages quote).
"""

import functools
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from restate.ext.tracing import RestateTracerProvider
from restate.server_context import ServerInvocationContext, current_context

P = ParamSpec("P")
T = TypeVar("T")
ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]

logger = logging.getLogger(__name__)

EXPORTERS: dict[str, Callable[[], SpanExporter]] = {"otlp": OTLPSpanExporter, "console": ConsoleSpanExporter}
# How long a stop waits for the last spans to leave (serving.py calls send_pending_spans):
# not long, as the service exits within about a second of SIGTERM.
FLUSH_TIMEOUT_MS = 500

# The SDK's tracer provider, over OpenTelemetry's global one (which export_spans sets up).
provider: trace.TracerProvider = RestateTracerProvider(trace.get_tracer_provider())  # type: ignore[no-untyped-call]
tracer = provider.get_tracer(__name__)
_exporting: TracerProvider | None = None


def exports_spans(app: ASGIApp) -> ASGIApp:
    """The app, sending spans as the OTEL_* variables say from the moment the server starts it.

    Set up then (at the start of the ASGI lifespan), not when the app is imported: a server
    may import the app and then fork the processes that serve it (the tests do), and the
    exporter belongs to the process that serves, with the variables that process was given.
    """

    async def served(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            export_spans()
        await app(scope, receive, send)

    return served


def exporter_names(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The exporters the OTEL_* variables ask for: none unless they name one or an OTLP endpoint."""
    names = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not names and (environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        names = "otlp"
    return [name.strip() for name in names.split(",") if name.strip() not in ("", "none")]


def service_resource() -> Resource:
    """Who sends the spans: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, else this project."""
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):  # OpenTelemetry's default
        resource = resource.merge(Resource({SERVICE_NAME: "{{ cookiecutter.project_slug }}"}))
    return resource


def export_spans() -> None:
    """Send spans where the OTEL_* variables say, if they say anywhere; once per process."""
    global _exporting
    names = exporter_names()
    if _exporting is not None or not names:
        return
    _exporting = TracerProvider(resource=service_resource())
    for name in names:
        if name in EXPORTERS:
            # In batches, from a thread of its own: a span costs a handler next to nothing.
            _exporting.add_span_processor(BatchSpanProcessor(EXPORTERS[name]()))
        else:
            logger.error("OTEL_TRACES_EXPORTER: no exporter %r here (there are: %s)", name, ", ".join(EXPORTERS))
    trace.set_tracer_provider(_exporting)


def send_pending_spans() -> None:
    """Export the spans still waiting for their batch: the process is about to exit."""
    if _exporting is not None:
        _exporting.force_flush(FLUSH_TIMEOUT_MS)


@asynccontextmanager
async def invocation_span() -> AsyncIterator[None]:
    """A span around each invocation of a handler. Install it as an invocation context manager,
    first in the list, so that it sees the error the caller gets."""
    context = current_context()
    assert isinstance(context, ServerInvocationContext)
    handler = context.handler
    with tracer.start_as_current_span(
        f"{handler.service_tag.name}/{handler.name}",
        kind=trace.SpanKind.SERVER,
        attributes={"restate.invocation.id": context.request().id},
    ):
        yield


def traced(action: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """A span around each call of ``action`` in a handler, named after it: decorate what your
    steps run. Called outside a handler (a script, a test), it just calls ``action``."""

    @functools.wraps(action)
    async def traced_action(*args: P.args, **kwargs: P.kwargs) -> T:
        if not _in_handler():
            return await action(*args, **kwargs)
        with tracer.start_as_current_span(action.__name__):
            return await action(*args, **kwargs)

    return traced_action


def _in_handler() -> bool:
    try:
        return current_context() is not None
    except LookupError:  # no invocation ever ran in this context
        return False
