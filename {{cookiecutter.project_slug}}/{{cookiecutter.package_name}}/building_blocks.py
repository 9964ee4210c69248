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
  waits, without holding a process, until ``approve`` resolves it (or time is up: below).
- **Durable timer** (``BuildingBlocks/sleep``): a sleep that survives restarts.
- **Journaled side effect** (``BuildingBlocks/draw``): ``ctx.run_typed`` runs a step and
  records its result. If a later step fails and Restate retries the handler, the replay
  returns the recorded ticket instead of drawing a new one. A step's action is at least once,
  though: if the process dies after it acted and before Restate stored the result, the replay
  runs it again. So each step also sends an idempotency key from ``ctx.uuid()`` (the same on
  every replay), and the raffle answers a repeated key with the first ticket.
- **Idempotency**: send any call with an ``idempotency-key`` header and Restate runs it once
  per key, answering repeats with the first result.

Combining and steering invocations:

- **A timeout, with** ``restate.select`` (``BuildingBlocks/ask_approval``): the approver's
  answer (the awakeable) races a durable timer of ``timeout_ms``; whichever completes first
  wins, and Restate records which, so a replay takes the same branch. The timer is
  Restate's: it fires even while the service is down, and the handler resumes with it.
- **Parallel calls with** ``restate.gather`` (``BuildingBlocks/broadcast``): start one call per
  recipient, then wait for all of them. They run side by side: a mailbox that is held up
  (``Mailbox/<recipient>/hold``) delays only its own delivery, not the others'.
- **The id of a one-way call** (``BuildingBlocks/send_later``): ``ctx.object_send`` returns a
  handle; ``await handle.invocation_id()`` is the id of the call it started, here a delayed
  message, returned to the caller.
- **Attaching** (``BuildingBlocks/attach``): wait for an invocation, by id, and return its
  result (or its failure). Restate keeps the result after the invocation ends, by default
  for a day, so attaching late works too.
- **Cancelling** (``BuildingBlocks/cancel``): ask Restate to cancel an invocation, by id. A
  delayed message not yet delivered is dropped; a running handler (a ``hold``, a waiting
  ``ask_approval``) fails where it waits with a terminal "cancelled" (409), which it may
  catch to clean up (``ask_approval`` tells the approver). Cancelling one that has ended
  does nothing.

Never race or combine with ``asyncio`` (``asyncio.wait_for``, ``asyncio.gather``, ...): it
goes by this process's clock and scheduling, so a replay may take another branch;
``restate.select`` and ``restate.gather`` go by what Restate recorded.

Input the example cannot honour is refused with a 4xx at once, never retried: a delay, a
sleep, a hold or a timeout beyond its bound (see the request models), a broadcast to nobody,
to more than 100 or to someone twice, an awakeable id ``ask_approval`` could not have
mailed, an invocation id Restate could not have handed out.

All messages land in a ``Mailbox`` virtual object, one per recipient; read one with
``Mailbox/<recipient>/read``.

Try it:

    curl localhost:8080/BuildingBlocks/call -H 'content-type: application/json' -d '{"to": "ann", "text": "hi"}'
    curl localhost:8080/BuildingBlocks/send_later -H 'content-type: application/json' \
      -d '{"to": "ann", "text": "later", "delay_ms": 2000}'
    curl localhost:8080/BuildingBlocks/broadcast -H 'content-type: application/json' \
      -d '{"to": ["ann", "bob"], "text": "hi all"}'
    curl localhost:8080/BuildingBlocks/ask_approval -H 'content-type: application/json' \
      -d '{"approver": "bob", "question": "Ship it?", "timeout_ms": 2000}'
    curl localhost:8080/Mailbox/ann/read -X POST
"""

import re
import string
from datetime import timedelta
from typing import Annotated, Any

import restate
from pydantic import AfterValidator, BaseModel, Field

from . import external_systems{% if cookiecutter.tracing %}, tracing{% endif %}
from .bad_input import answer_bad_input_with_400

DAY_MS = 24 * 60 * 60 * 1000

# -- The mailbox every message in this example is delivered to -------------------------


class Message(BaseModel):
    text: str


class Delivered(BaseModel):
    text: str
    delivered_at: float  # seconds since the epoch, as recorded by Restate


class Inbox(BaseModel):
    messages: list[Delivered] = []


class Hold(BaseModel):
    milliseconds: int = Field(ge=0, le=DAY_MS, description="At most a day, as for a delayed message.")


{% if cookiecutter.tracing %}mailbox = restate.VirtualObject(
    "Mailbox", invocation_context_managers=[tracing.invocation_span, answer_bad_input_with_400]
)
{% else %}mailbox = restate.VirtualObject("Mailbox", invocation_context_managers=[answer_bad_input_with_400])
{% endif %}

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


@mailbox.handler()
async def hold(ctx: restate.ObjectContext, req: Hold) -> None:
    """Hold this recipient's mail: deliveries wait until the hold ends or is cancelled."""
    # Restate runs one exclusive handler per key at a time and queues the others, so each
    # `deliver` to this key waits for this sleep to end. `read` is shared: it answers meanwhile.
    await ctx.sleep(timedelta(milliseconds=req.milliseconds))


# -- The building blocks ---------------------------------------------------------------


class Mail(BaseModel):
    to: str
    text: str


class DelayedMail(Mail):
    delay_ms: int = Field(
        ge=0,
        le=DAY_MS,
        description="At most a day: Restate keeps timers of any length, but a longer delay is more likely"
        " a mistake (seconds for milliseconds, a timestamp for a delay) than a wish. Raise it if yours is one.",
    )


def _no_repeats(recipients: list[str]) -> list[str]:
    if len(set(recipients)) < len(recipients):
        raise ValueError("a recipient is listed twice")
    return recipients


class Broadcast(BaseModel):
    to: Annotated[
        list[str],
        Field(
            min_length=1,
            max_length=100,
            description="Up to 100 recipients, each once: every one is a call of its own, all started at once."
            " For a longer list, send in batches.",
        ),
        AfterValidator(_no_repeats),
    ]
    text: str


class ApprovalRequest(BaseModel):
    approver: str
    question: str
    timeout_ms: int = Field(
        default=DAY_MS,
        ge=0,
        le=DAY_MS,
        description="How long to wait for the answer: at most, and by default, a day (see delay_ms).",
    )


class ApprovalResult(BaseModel):
    answer: str | None  # None if no answer came in time
    outcome: str  # "answered", or "no answer within N s"


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


# What Restate hands out as an invocation id: "inv_1", then two numbers in base62 (digits
# 0-9a-zA-Z): a partition key of 64 bits in 11 digits and a unique id of 128 bits in 22.
# As with awakeable ids, Restate refuses anything else only once the handler has used it,
# with an error it retries: check it before.
INVOCATION_ID = re.compile(r"inv_1([0-9a-zA-Z]{11})([0-9a-zA-Z]{22})")
BASE62 = string.digits + string.ascii_lowercase + string.ascii_uppercase


def _base62(digits: str) -> int:
    value = 0
    for digit in digits:
        value = value * 62 + BASE62.index(digit)
    return value


def _is_invocation_id(value: str) -> str:
    found = INVOCATION_ID.fullmatch(value)
    if not found or _base62(found[1]) >= 2**64 or _base62(found[2]) >= 2**128:
        raise ValueError("not an invocation id (the inv_1… text Restate hands out)")
    return value


class Invocation(BaseModel):
    invocation_id: Annotated[str, AfterValidator(_is_invocation_id)]


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
        initial_interval=timedelta(milliseconds=1), exponentiation_factor=2, max_interval=timedelta(milliseconds=200)
    ),
    invocation_context_managers=[{% if cookiecutter.tracing %}tracing.invocation_span, {% endif %}answer_bad_input_with_400],
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
async def send_later(ctx: restate.Context, mail: DelayedMail) -> str:
    """Delayed message: Restate delivers it ``delay_ms`` from now. Returns the delivery's
    invocation id, to attach to it or cancel it."""
    delay = timedelta(milliseconds=mail.delay_ms)
    handle = ctx.object_send(deliver, key=mail.to, arg=Message(text=mail.text), send_delay=delay)
    return await handle.invocation_id()


@blocks.handler()
async def broadcast(ctx: restate.Context, mail: Broadcast) -> dict[str, int]:
    """Parallel calls: deliver to every recipient at once; return each one's new count."""
    # Start every call first (none is awaited yet, so they all run), then wait for all.
    deliveries = [ctx.object_call(deliver, key=to, arg=Message(text=mail.text)) for to in mail.to]
    await restate.gather(*deliveries)
    # All are done: awaiting one now returns its result (or raises its failure) at once.
    return {to: await delivery for to, delivery in zip(mail.to, deliveries, strict=True)}


@blocks.handler()
async def ask_approval(ctx: restate.Context, req: ApprovalRequest) -> ApprovalResult:
    """Awakeable raced against a durable timer: mail the awakeable's id to the approver, then
    wait for the answer, at most ``timeout_ms``."""
    awakeable_id, answer = ctx.awakeable(type_hint=str)
    ctx.object_send(deliver, key=req.approver, arg=Message(text=f"{req.question} Answer to: {awakeable_id}"))
    timeout = ctx.sleep(timedelta(milliseconds=req.timeout_ms))  # Restate's timer, running from now
    try:
        # The first of the two to complete: its name, and its value.
        winner, value = await restate.select(answer=answer, timeout=timeout)
    except restate.TerminalError as failure:
        if failure.status_code == 409:  # cancelled (BuildingBlocks/cancel) while waiting
            ctx.object_send(deliver, key=req.approver, arg=Message(text=f"Never mind: {req.question}"))
        raise
    if winner == "answer":
        return ApprovalResult(answer=value, outcome="answered")
    return ApprovalResult(answer=None, outcome=f"no answer within {req.timeout_ms / 1000:.10g} s")


@blocks.handler()
async def approve(ctx: restate.Context, approval: Approval) -> None:
    """Resolve an awakeable; the handler waiting on it wakes up with ``answer``."""
    ctx.resolve_awakeable(approval.awakeable_id, approval.answer)


@blocks.handler()
async def attach(ctx: restate.Context, invocation: Invocation) -> Any:
    """Wait for an invocation to end; return its result, or fail with its failure. An id
    Restate does not know, or no longer (by default it keeps results a day), fails with 404."""
    return await ctx.attach_invocation(invocation.invocation_id)


@blocks.handler()
async def cancel(ctx: restate.Context, invocation: Invocation) -> None:
    """Cancel an invocation: ask Restate to, without waiting for it to end (attach does)."""
    # Anyone who has an id can cancel it here; a real service would check who asks.
    ctx.cancel_invocation(invocation.invocation_id)


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
