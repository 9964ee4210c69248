"""Virtual objects: durable state behind a key, changed one call at a time.

``Greeter`` keeps a greeting count per name. Each key ("mary", "bob", ...) is its own
object with its own state, stored by Restate next to the journal: no database needed,
and the state can never disagree with the progress of the handler that wrote it.

Exclusive handlers (the default) of one key run one at a time, in the order Restate
received the calls, so ``greet`` can read, add one and write back without a race, no
matter how many callers hit the same key. Different keys run in parallel. Shared
handlers (``kind="shared"``) only read, and may run alongside everything else.

Try it:

    curl localhost:8080/Greeter/mary/greet -H 'content-type: application/json' -d '{"greeting": "Hi"}'
    curl localhost:8080/Greeter/mary/ungreet -X POST
    curl localhost:8080/Greeter/mary/count -X POST
"""

import restate
from pydantic import BaseModel

from .bad_input import answer_bad_input_with_400


class GreetRequest(BaseModel):
    greeting: str = "Hello"


class Greeting(BaseModel):
    message: str
    count: int


greeter = restate.VirtualObject("Greeter", invocation_context_managers=[answer_bad_input_with_400])


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
