"""Building blocks: the durable versions of RPC, messages, promises, timers and side effects.

Every block is a handler you can call; the results land somewhere you can look:

- **Durable RPC** (``BuildingBlocks/call``): call another handler and wait for its answer.
  Restate delivers the call exactly once, even if either side restarts meanwhile.
- **One-way message** (``BuildingBlocks/send``): hand a call to Restate and return at once;
  Restate delivers it.
- **Delayed message** (``BuildingBlocks/send_later``): the same, delivered after a delay.
  Restate keeps the timer, so the message arrives even if the sender is gone by then.
- **Awakeable** (``BuildingBlocks/ask_approval`` + ``BuildingBlocks/approve``): a promise
  another party resolves. ``ask_approval`` mails the awakeable's id to the approver and
  waits, without holding a process, until ``approve`` resolves it.
- **Durable timer** (``BuildingBlocks/sleep``): a sleep that survives restarts.
- **Journaled side effect** (``BuildingBlocks/draw``): ``ctx.run_typed`` runs a step once
  and records its result. If a later step fails and Restate retries the handler, the replay
  returns the recorded ticket instead of drawing a new one.
- **Idempotency**: send any call with an ``idempotency-key`` header and Restate runs it once
  per key, answering repeats with the first result.

All messages land in a ``Mailbox`` virtual object, one per recipient; read one with
``Mailbox/<recipient>/read``.

Try it:

    curl localhost:8080/BuildingBlocks/call -H 'content-type: application/json' -d '{"to": "ann", "text": "hi"}'
    curl localhost:8080/BuildingBlocks/send_later -H 'content-type: application/json' \
      -d '{"to": "ann", "text": "later", "delay_ms": 2000}'
    curl localhost:8080/Mailbox/ann/read -X POST
"""

from datetime import timedelta

import restate
from pydantic import BaseModel, Field

from . import external_systems
from .bad_input import answer_bad_input_with_400

# -- The mailbox every message in this example is delivered to -------------------------


class Message(BaseModel):
    text: str


class Delivered(BaseModel):
    text: str
    delivered_at: float  # seconds since the epoch, as recorded by Restate


class Inbox(BaseModel):
    messages: list[Delivered] = []


mailbox = restate.VirtualObject("Mailbox", invocation_context_managers=[answer_bad_input_with_400])


@mailbox.handler()
async def deliver(ctx: restate.ObjectContext, message: Message) -> int:
    """Store a message for this recipient; answer how many they have now."""
    inbox = await ctx.get("inbox", type_hint=Inbox) or Inbox()
    # ctx.time() is journaled: a replay sees the same timestamp.
    inbox.messages.append(Delivered(text=message.text, delivered_at=await ctx.time()))
    ctx.set("inbox", inbox)
    return len(inbox.messages)


@mailbox.handler(kind="shared")
async def read(ctx: restate.ObjectSharedContext) -> Inbox:
    """Everything delivered to this recipient so far."""
    return await ctx.get("inbox", type_hint=Inbox) or Inbox()


# -- The building blocks ---------------------------------------------------------------


class Mail(BaseModel):
    to: str
    text: str


class DelayedMail(Mail):
    delay_ms: int = Field(ge=0)


class ApprovalRequest(BaseModel):
    approver: str
    question: str


class Approval(BaseModel):
    awakeable_id: str
    answer: str


class SleepRequest(BaseModel):
    milliseconds: int = Field(ge=0)


class SleepResult(BaseModel):
    slept_ms: float


class Raffle(BaseModel):
    name: str


blocks = restate.Service("BuildingBlocks", invocation_context_managers=[answer_bad_input_with_400])


@blocks.handler()
async def call(ctx: restate.Context, mail: Mail) -> int:
    """Durable RPC: deliver the mail and return the callee's answer (the new message count)."""
    return await ctx.object_call(deliver, key=mail.to, arg=Message(text=mail.text))


@blocks.handler()
async def send(ctx: restate.Context, mail: Mail) -> None:
    """One-way message: Restate delivers it after this handler returns."""
    ctx.object_send(deliver, key=mail.to, arg=Message(text=mail.text))


@blocks.handler()
async def send_later(ctx: restate.Context, mail: DelayedMail) -> None:
    """Delayed message: Restate delivers it ``delay_ms`` from now."""
    delay = timedelta(milliseconds=mail.delay_ms)
    ctx.object_send(deliver, key=mail.to, arg=Message(text=mail.text), send_delay=delay)


@blocks.handler()
async def ask_approval(ctx: restate.Context, req: ApprovalRequest) -> str:
    """Awakeable: mail its id to the approver, then wait until someone resolves it."""
    awakeable_id, answer = ctx.awakeable(type_hint=str)
    ctx.object_send(deliver, key=req.approver, arg=Message(text=f"{req.question} Answer to: {awakeable_id}"))
    return await answer


@blocks.handler()
async def approve(ctx: restate.Context, approval: Approval) -> None:
    """Resolve an awakeable; the handler waiting on it wakes up with ``answer``."""
    ctx.resolve_awakeable(approval.awakeable_id, approval.answer)


@blocks.handler()
async def sleep(ctx: restate.Context, req: SleepRequest) -> SleepResult:
    """Durable timer: sleep, even across restarts, and report how long it took."""
    started = await ctx.time()
    await ctx.sleep(timedelta(milliseconds=req.milliseconds))
    return SleepResult(slept_ms=(await ctx.time() - started) * 1000)


@blocks.handler()
async def draw(ctx: restate.Context, raffle: Raffle) -> str:
    """Journaled side effect: draw a ticket once, then announce it (a flaky step)."""
    ticket = await ctx.run_typed("draw ticket", external_systems.draw_ticket, raffle=raffle.name)
    await ctx.run_typed("announce ticket", external_systems.announce_ticket, raffle=raffle.name, ticket=ticket)
    return ticket
