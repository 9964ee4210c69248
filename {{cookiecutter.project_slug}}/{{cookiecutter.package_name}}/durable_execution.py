"""Durable execution: run a handler to the end, whatever fails along the way, and undo
what it did when it cannot finish (a saga).

``SubscriptionService.add`` signs a user up for streaming services: it creates a
recurring payment, then one subscription per service. Each step talks to a flaky
external system (see ``external_systems.py``).

Restate records the result of every ``ctx.run_typed`` step in a journal. When the
handler fails (an exception, a timeout, the process dies), Restate calls it again and
replays the journal: finished steps return their recorded result instead of running
again, and the handler carries on from the first step that did not finish.

That makes each step's action *at least* once, not exactly once: if the process dies
after the payment API charged the card but before Restate stored the step's result, the
replay charges again. What makes the effect happen once is an idempotency key: each step
sends one, and the payment and subscription APIs (like Stripe's) answer a repeated key
with the first result instead of acting again. The key must be the same on every replay,
so it comes from the context: ``ctx.uuid()`` (and ``ctx.random()``) give the same values,
in the same order, on every execution of an invocation.

Two rules make replay safe:
- do every side effect (and anything non-deterministic) inside ``ctx.run_typed``, with an
  idempotency key the external system deduplicates on;
- take random values from the context, never from ``uuid``/``random`` directly.

**Retry, or fail for good.** An exception raised in a step makes Restate retry the step, as
the retry policy says: right for a timeout or a 503, which pass. A
``restate.TerminalError`` is not retried: the step fails for good, and awaiting it raises
the error in the handler. Raise one for what no retry can fix, with the HTTP status the
caller should get: here the payment API declines a card (402) and the subscription API
refuses a service that is sold out (409).

**Undo what was done, in reverse (a saga).** By the time the second subscription is
refused, the payment runs and the first subscription exists. A database would roll back;
remote systems do not, so the handler undoes its steps itself, newest first, and then
raises the error again: the caller gets the 409 and its message, and nothing is left
half done. Each undo (a *compensation*) is a step like any other:

- a ``ctx.run_typed`` step, so it is journaled: a crash while undoing resumes with the
  undos not yet done, and an undo is retried until it succeeds (an undo must not give up);
- with an idempotency key of its own, from ``ctx.uuid()`` right before the step: an undo
  run again after a crash cancels once;
- set up *before* its step runs: a step that failed may still have acted (its answer lost
  on the way back), so it is undone too. Undoing what was never made is a no-op
  (``NOT_FOUND``), so that is safe.

**Give up after a few attempts.** A step retries as long as the service's retry policy lets
it; ``restate.RunOptions(max_attempts=5)`` makes the subscription step give up: awaiting it
then raises a ``TerminalError`` (status 500, with the last error's message). The handler
answers 503 (the subscription system is unavailable: try again later) and undoes the steps
as for a refusal. Restate counts every attempt of the invocation at that step, whatever
ended it: a failure, a crash, or no answer while the service was down. With this service's
fast retries, a restart of a second uses up the five, and a step caught in it gives up at
its next failure: in production, space the retries out (see the retry policy below). On a
cluster, five is a floor, not a ceiling: when another node takes the invocation over (after
a node died, say), the count may start again, so the step is tried more often.

The request carries a *payment method*, a token the payment provider issued when it
collected the card (Stripe's ``pm_…``), never the card number: Restate stores every call's
input in its log and journal, and shows it in its UI, for as long as it keeps the
invocation. A card number does not belong there (nor in this service's logs); the
``pm_`` pattern refuses one with a 400 that does not repeat it.

Try it (service registered, Restate on its default ports):

    curl localhost:8080/SubscriptionService/add -H 'content-type: application/json' -d \
      '{"user_id": "sam", "payment_method": "pm_card_visa", "subscriptions": ["Netflix", "Disney+"]}'

With ``"payment_method": "pm_card_chargeDeclined"`` the answer is a 402; with
``"subscriptions": ["Netflix", "SoldOutTV"]``, a 409, and the log shows Netflix and the
payment cancelled.
"""

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import restate
from pydantic import BaseModel, Field

from . import external_systems{% if cookiecutter.tracing %}, tracing{% endif %}
from .bad_input import answer_bad_input_with_400

# A step given retry options retries on a schedule of its own, the first retry after 50 ms
# unless told otherwise: here after 1 ms, then twice as long each time, like the service.
RETRY_AFTER = timedelta(milliseconds=1)
# Subscribing gives up after this many attempts (every attempt Restate makes counts: see above).
SUBSCRIBE_ATTEMPTS = 5


class SubscriptionRequest(BaseModel):
    user_id: str
    payment_method: str = Field(
        pattern=r"^pm_[A-Za-z0-9_]{1,100}$",
        description="A payment method token from the payment provider (pm_…), never a card number.",
    )
    subscriptions: list[str]


class SubscriptionResult(BaseModel):
    payment_ref: str
    subscriptions: dict[str, str]


subscription_service = restate.Service(
    "SubscriptionService",
    # The stand-ins fail at random and recover at once: retry after 1 ms, then twice as long
    # each time, at most 200 ms apart. (Restate's default, 500 ms growing to a minute, makes
    # a demo with FAILURE_RATE=0.5 take minutes.) In production, start at a second or more,
    # cap at minutes and set max_attempts, so that a system in trouble gets room to recover.
    invocation_retry_policy=restate.InvocationRetryPolicy(
        initial_interval=timedelta(milliseconds=1), exponentiation_factor=2, max_interval=timedelta(milliseconds=200)
    ),
    invocation_context_managers=[{% if cookiecutter.tracing %}tracing.invocation_span, {% endif %}answer_bad_input_with_400],
)


@subscription_service.handler()
async def add(ctx: restate.Context, req: SubscriptionRequest) -> SubscriptionResult:
    """Create a recurring payment, then subscribe the user to each service; undo them all if one fails."""
    # How to undo each step begun, oldest first: the undo step's name, function and arguments.
    undo: list[tuple[str, Callable[..., Coroutine[Any, Any, str]], dict[str, str]]] = []
    try:
        # Each key is taken right before its step: the same on every replay, so a step run
        # again after a crash sends the key it sent before, and the external system acts once.
        payment_key = str(ctx.uuid())
        # The undo is set up before its step: a step that fails may still have acted.
        undo.append(("cancel payment", external_systems.cancel_recurring_payment, {"payment_key": payment_key}))
        payment_ref = await ctx.run_typed(
            "recurring payment",
            external_systems.create_recurring_payment,
            user_id=req.user_id,
            payment_method=req.payment_method,
            idempotency_key=payment_key,
        )

        statuses = {}
        for subscription in req.subscriptions:
            key = str(ctx.uuid())
            cancel = {"user_id": req.user_id, "subscription": subscription, "subscription_key": key}
            undo.append((f"cancel {subscription}", external_systems.cancel_subscription, cancel))
            statuses[subscription] = await subscribe(ctx, req.user_id, subscription, payment_ref, key)
    except restate.TerminalError:
        # Undo, newest first, each undo a journaled step with an idempotency key of its own.
        for name, action, arguments in reversed(undo):
            await ctx.run_typed(
                name,
                action,
                restate.RunOptions(initial_retry_interval=RETRY_AFTER),  # no max_attempts: an undo never gives up
                **arguments,
                idempotency_key=str(ctx.uuid()),
            )
        raise  # the caller gets the error's status and message
    return SubscriptionResult(payment_ref=payment_ref, subscriptions=statuses)


async def subscribe(ctx: restate.Context, user_id: str, subscription: str, payment_ref: str, key: str) -> str:
    """The step that subscribes; it gives up after ``SUBSCRIBE_ATTEMPTS`` attempts, with a 503."""
    try:
        return await ctx.run_typed(
            f"subscribe to {subscription}",
            external_systems.create_subscription,
            # Retried after 1 ms, then twice as long each time; gives up after the fifth attempt.
            restate.RunOptions(max_attempts=SUBSCRIBE_ATTEMPTS, initial_retry_interval=RETRY_AFTER),
            user_id=user_id,
            subscription=subscription,
            payment_ref=payment_ref,
            idempotency_key=key,
        )
    except restate.TerminalError as error:
        if error.status_code != 500:  # refused (409: sold out): its message says why
            raise
        # Given up: a 500 with the last attempt's error. The subscription system is unavailable.
        gave_up = f"Could not subscribe to {subscription}: gave up after {SUBSCRIBE_ATTEMPTS} attempts"
        raise restate.TerminalError(f"{gave_up} ({error.message})", status_code=503) from None
