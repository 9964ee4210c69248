"""A clean stop: how the service ends on SIGTERM (``docker stop``, Kubernetes, systemd) or Ctrl+C.

``app.py`` wraps its Restate app in :func:`stops_cleanly`. On either signal the service
keeps serving for at most ``GRACE_SECONDS``, so that the invocations in flight can finish,
and exits as soon as none is left. Restate sees the connections of the unfinished ones
close, and retries them once a service answers again (this one after a restart, or another
replica): steps that finished are in the journal and do not run again; a step cut off
midway runs again, as after any failure.

Why not hypercorn's own graceful stop: the Restate SDK replaces hypercorn's SIGTERM
handler, so hypercorn would not stop at all, and hypercorn's way of refusing new requests
can break the HTTP/2 connections Restate keeps open, with every invocation on them. So once
the logs are flushed the process ends at once (``os._exit``): code registered with
``atexit`` does not run.
"""

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from restate.server import install_shutdown_hook
{%- if cookiecutter.tracing %}

from . import tracing
{%- endif %}

# How long invocations in flight get to finish after SIGTERM or Ctrl+C. Raise it if your
# steps take longer, but keep it below the time your platform waits before it kills the
# process (docker stop: 10 s).
GRACE_SECONDS = 1.0

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def stops_cleanly(app: ASGIApp) -> ASGIApp:
    """The Restate ASGI app, made to stop on SIGTERM and Ctrl+C as the module says."""
    in_flight = 0
    stopping = False

    def exit_now() -> None:
{%- if cookiecutter.tracing %}
        tracing.send_pending_spans()  # before the log closes: an export may log an error
{%- endif %}
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        # The connections close with the process: Restate retries what did not finish.
        os._exit(0)

    def stop() -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        loop = asyncio.get_running_loop()
        loop.call_later(GRACE_SECONDS, exit_now)
        if not in_flight:
            loop.call_soon(exit_now)

    async def lifespan(receive: Receive, send: Send) -> None:
        # Answered here: the SDK has no lifespan support, and hypercorn would warn about it.
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                loop = asyncio.get_running_loop()
                # Through the SDK's list of signal hooks: its own SIGTERM hook runs too.
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # Windows
                    install_shutdown_hook(loop, stop, signal.SIGTERM)
                    install_shutdown_hook(loop, stop, signal.SIGINT)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def invocation(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal in_flight
        in_flight += 1
        try:
            await _serve_invocation(app, scope, receive, send)
        finally:
            in_flight -= 1
            if stopping and not in_flight:
                asyncio.get_running_loop().call_soon(exit_now)

    async def served(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
        elif scope["type"] == "http" and "/invoke/" in scope["path"]:
            await invocation(scope, receive, send)
        else:  # health checks, discovery
            await app(scope, receive, send)

    return served


async def _serve_invocation(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """One invocation: Restate's request and the SDK's response, streamed both ways."""
    request_ended = asyncio.Event()  # or the server gave up on the request
    given_up = responded = finished = False
    reader: asyncio.Task[Any] | None = None  # the task that reads Restate's request

    async def receive_from_restate() -> Message:
        nonlocal reader
        reader = asyncio.current_task()
        try:
            message = await receive()
        except asyncio.CancelledError:
            if given_up:  # the end of the request, for the SDK, which waits for it
                return {"type": "http.disconnect"}
            raise
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            request_ended.set()
        return message

    async def send_to_restate(message: Message) -> None:
        nonlocal responded, finished
        responded = True
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            # On SIGTERM the SDK ends its responses without waiting for Restate to end its
            # request. hypercorn then fails on Restate's last frame and drops the connection,
            # with the invocations on it: keep to the usual order.
            if reader is not None:
                await request_ended.wait()
            finished = True
        try:
            await send(message)
        except RuntimeError:
            if not given_up:
                raise  # else hypercorn failed to restart the idle timer of a closing connection

    # The SDK runs in a task of its own, so that a cancellation from the server reaches
    # this function: the SDK takes one as the end of the attempt, then waits for Restate.
    handling = asyncio.ensure_future(app(scope, receive_from_restate, send_to_restate))
    while not handling.done():
        try:
            await asyncio.wait({handling}, timeout=0.1 if given_up else None)
        except asyncio.CancelledError:
            # The server gave up on the request (hypercorn with workers, at the end of its
            # graceful_timeout): stop the handler, and end the request for the SDK.
            given_up = True
            request_ended.set()
            if reader is not None and not reader.done():
                reader.cancel()
        if given_up:
            handling.cancel()
    if given_up and responded and not finished:
        with contextlib.suppress(RuntimeError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    if not handling.cancelled():
        handling.result()  # the SDK's own errors, if any
