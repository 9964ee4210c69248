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
- **Journaled side effect** (``BuildingBlocks/draw``): ``ctx.run_typed`` runs a step and
  records its result. If a later step fails and Restate retries the handler, the replay
  returns the recorded ticket instead of drawing a new one. A step's action is at least once,
  though: if the process dies after it acted and before Restate stored the result, the replay
  runs it again. So each step also sends an idempotency key from ``ctx.uuid()`` (the same on
  every replay), and the raffle answers a repeated key with the first ticket.
- **Idempotency**: send any call with an ``idempotency-key`` header and Restate runs it once
  per key, answering repeats with the first result.

Input the example cannot honour is refused with a 4xx at once, never retried: a delay or a
sleep beyond its bound (see the request models), an awakeable id ``ask_approval`` could not
have mailed.

All messages land in a ``Mailbox`` virtual object, one per recipient; read one with
``Mailbox/<recipient>/read``.

Try it:

    curl localhost:8080/BuildingBlocks/call -H 'content-type: application/json' -d '{"to": "ann", "text": "hi"}'
    curl localhost:8080/BuildingBlocks/send_later -H 'content-type: application/json' \
      -d '{"to": "ann", "text": "later", "delay_ms": 2000}'
    curl localhost:8080/Mailbox/ann/read -X POST
"""

import re
from datetime import timedelta
from typing import Annotated

import restate
from pydantic import AfterValidator, BaseModel, Field

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
    delay_ms: int = Field(
        ge=0,
        le=24 * 60 * 60 * 1000,
        description="At most a day: Restate keeps timers of any length, but a longer delay is more likely"
        " a mistake (seconds for milliseconds, a timestamp for a delay) than a wish. Raise it if yours is one.",
    )


class ApprovalRequest(BaseModel):
    approver: str
    question: str


# What ctx.awakeable() hands out: "sign_1" and the unpadded base64url of 28 bytes (the
# invocation's id and the awakeable's index), whose last character therefore carries
# 2 bits and 4 zeros. Restate refuses anything else only once the handler has resolved it,
# with an error it retries for as long as its retry policy lasts: check it before.
AWAKEABLE_ID = re.compile(r"sign_1[A-Za-z0-9_-]{37}[AQgw]")


def _is_awakeable_id(value: str) -> str:
    if not AWAKEABLE_ID.fullmatch(value):
        raise ValueError("not an awakeable id (the sign_1… text ask_approval mails)")
    return value


class Approval(BaseModel):
    awakeable_id: Annotated[str, AfterValidator(_is_awakeable_id)]
    answer: str


class SleepRequest(BaseModel):
    milliseconds: int = Field(
        ge=0,
        le=60 * 1000,
        description="At most a minute: the caller waits for the answer, and few HTTP clients wait longer."
        " For a longer wait, send a delayed message (send_later).",
    )


class SleepResult(BaseModel):
    slept_ms: float


class Raffle(BaseModel):
    name: str


blocks = restate.Service(
    "BuildingBlocks",
    # Quick retries, for stand-ins that fail at random and recover at once (Restate's default
    # waits from 500 ms up to a minute). In production, start at a second or more, cap at
    # minutes and set max_attempts, so that a system in trouble gets room to recover.
    invocation_retry_policy=restate.InvocationRetryPolicy(
        initial_interval=timedelta(milliseconds=10), exponentiation_factor=2, max_interval=timedelta(milliseconds=200)
    ),
    invocation_context_managers=[answer_bad_input_with_400],
)


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
    # Keys from the context: the same on every replay, so a step run twice acts once.
    draw_key, announce_key = str(ctx.uuid()), str(ctx.uuid())
    ticket = await ctx.run_typed(
        "draw ticket", external_systems.draw_ticket, raffle=raffle.name, idempotency_key=draw_key
    )
    await ctx.run_typed(
        "announce ticket",
        external_systems.announce_ticket,
        raffle=raffle.name,
        ticket=ticket,
        idempotency_key=announce_key,
    )
    return ticket
