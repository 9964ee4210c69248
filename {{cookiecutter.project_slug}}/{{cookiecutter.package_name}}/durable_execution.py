"""Durable execution: run a handler to the end, whatever fails along the way.

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

The request carries a *payment method*, a token the payment provider issued when it
collected the card (Stripe's ``pm_…``), never the card number: Restate stores every call's
input in its log and journal, and shows it in its UI, for as long as it keeps the
invocation. A card number does not belong there (nor in this service's logs); the
``pm_`` pattern refuses one with a 400 that does not repeat it.

Try it (service registered, Restate on its default ports):

    curl localhost:8080/SubscriptionService/add -H 'content-type: application/json' -d \
      '{"user_id": "sam", "payment_method": "pm_card_visa", "subscriptions": ["Netflix", "Disney+"]}'
"""

from datetime import timedelta

import restate
from pydantic import BaseModel, Field

from . import external_systems
from .bad_input import answer_bad_input_with_400


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
    # The stand-ins fail at random and recover at once: retry after 10 ms, then twice as long
    # each time, at most 200 ms apart. (Restate's default, 500 ms growing to a minute, makes
    # a demo with FAILURE_RATE=0.5 take minutes.) In production, start at a second or more,
    # cap at minutes and set max_attempts, so that a system in trouble gets room to recover.
    invocation_retry_policy=restate.InvocationRetryPolicy(
        initial_interval=timedelta(milliseconds=10), exponentiation_factor=2, max_interval=timedelta(milliseconds=200)
    ),
    invocation_context_managers=[answer_bad_input_with_400],
)


@subscription_service.handler()
async def add(ctx: restate.Context, req: SubscriptionRequest) -> SubscriptionResult:
    """Create a recurring payment, then subscribe the user to each service."""
    # Each key is taken before its step: the same on every replay, so a step run again
    # after a crash sends the key it sent before, and the external system acts once.
    payment_ref = await ctx.run_typed(
        "recurring payment",
        external_systems.create_recurring_payment,
        payment_method=req.payment_method,
        idempotency_key=str(ctx.uuid()),
    )

    statuses = {}
    for subscription in req.subscriptions:
        statuses[subscription] = await ctx.run_typed(
            f"subscribe to {subscription}",
            external_systems.create_subscription,
            user_id=req.user_id,
            subscription=subscription,
            payment_ref=payment_ref,
            idempotency_key=str(ctx.uuid()),
        )
    return SubscriptionResult(payment_ref=payment_ref, subscriptions=statuses)
