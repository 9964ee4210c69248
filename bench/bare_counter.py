"""The SDK's serving floor: a keyed counter with nothing but the Restate SDK.

bench/throughput.py serves it with the generated hypercorn config next to the generated app,
so that ``Greeter/<key>/greet`` (pydantic models, the bad-input context manager, logging)
can be compared with the least a handler of a virtual object does.
"""

import restate

counter = restate.VirtualObject("BareCounter")


@counter.handler()
async def increment(ctx: restate.ObjectContext) -> int:
    count = (await ctx.get("count", type_hint=int) or 0) + 1
    ctx.set("count", count)
    return count


app = restate.app(services=[counter])
