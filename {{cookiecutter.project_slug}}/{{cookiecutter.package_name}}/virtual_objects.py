"""Virtual objects: durable state behind a key, changed one call at a time.

``Greeter`` keeps a greeting count per name. Each key ("mary", "bob", ...) is its own
object with its own state, stored by Restate next to the journal: no database needed,
and the state can never disagree with the progress of the handler that wrote it.

Exclusive handlers (the default) of one key run one at a time, in the order Restate
received the calls, so ``greet`` can read, add one and write back without a race, no
matter how many callers hit the same key. Different keys run in parallel. Shared
handlers (``kind="shared"``) only read, and may run alongside everything else.

``greet`` adds one, so a caller that retries it (after a timeout, or an answer lost on the
way) would count twice. A caller that may retry sends an ``idempotency-key`` header: Restate
runs the call once per key and answers a repeat with the first result, for as long as the
service's ``idempotency_retention`` (below).

Try it:

    curl localhost:8080/Greeter/mary/greet -H 'content-type: application/json' -d '{"greeting": "Hi"}'
    curl localhost:8080/Greeter/mary/ungreet -X POST
    curl localhost:8080/Greeter/mary/count -X POST
    curl localhost:8080/Greeter/mary/greet -H 'idempotency-key: mary-1' -H 'content-type: application/json' -d '{}'
"""

from datetime import timedelta

import restate
from pydantic import BaseModel

{% if cookiecutter.tracing %}from . import tracing
{% endif %}from .bad_input import answer_bad_input_with_400


class GreetRequest(BaseModel):
    greeting: str = "Hello"


class Greeting(BaseModel):
    message: str
    count: int


greeter = restate.VirtualObject(
    "Greeter",
    # How long Restate remembers a call sent with an idempotency-key header, to answer a repeat
    # with the first result (its default: a day). It must outlast the time your callers keep
    # retrying one request: an hour covers retries within minutes, and keeps less in store.
    idempotency_retention=timedelta(hours=1),
    # Not set here: state_preload=False. Restate sends an object's whole state along with each
    # call, which suits small state like this count; with state_preload=False each ctx.get asks
    # Restate instead, which suits an object that keeps much state and reads little of it per call.
    invocation_context_managers=[{% if cookiecutter.tracing %}tracing.invocation_span, {% endif %}answer_bad_input_with_400],
)


@greeter.handler()
async def greet(ctx: restate.ObjectContext, req: GreetRequest) -> Greeting:
    """Greet this key and count how often it was greeted."""
    count = (await ctx.get("count", type_hint=int) or 0) + 1
    ctx.set("count", count)
    return Greeting(message=f"{req.greeting} {ctx.key()}, greeting number {count}", count=count)


@greeter.handler()
async def ungreet(ctx: restate.ObjectContext) -> Greeting:
    """Take one greeting back; the count never drops below zero."""
    count = max((await ctx.get("count", type_hint=int) or 0) - 1, 0)
    ctx.set("count", count)
    return Greeting(message=f"Dear {ctx.key()}, taking one greeting back: {count} left", count=count)


@greeter.handler(kind="shared")
async def count(ctx: restate.ObjectSharedContext) -> int:
    """Read the count without queueing behind exclusive calls."""
    return await ctx.get("count", type_hint=int) or 0
