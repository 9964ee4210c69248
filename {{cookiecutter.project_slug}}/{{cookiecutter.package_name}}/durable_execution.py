"""Durable execution: run a handler to the end, whatever fails along the way.

``SubscriptionService.add`` signs a user up for streaming services: it creates a
recurring payment, then one subscription per service. Each step talks to a flaky
external system (see ``external_systems.py``).

Restate records the result of every ``ctx.run_typed`` step in a journal. When the
handler fails (an exception, a timeout, the process dies), Restate calls it again and
replays the journal: finished steps return their recorded result instead of running
again, and the handler carries on from the first step that did not finish. So the card
is charged once and each subscription is made once, even across crashes.

Two rules make replay safe:
- do every side effect (and anything non-deterministic) inside ``ctx.run_typed``;
- take random values from the context (``ctx.uuid()``, ``ctx.random()``), which are
  the same on every replay. Here that gives the payment an idempotency key.

Try it (service registered, Restate on its default ports):

    curl localhost:8080/SubscriptionService/add -H 'content-type: application/json' -d \
      '{"user_id": "sam", "credit_card": "4111111111111111", "subscriptions": ["Netflix", "Disney+"]}'
"""

import restate
from pydantic import BaseModel

from . import external_systems
from .bad_input import answer_bad_input_with_400


class SubscriptionRequest(BaseModel):
    user_id: str
    credit_card: str
    subscriptions: list[str]


class SubscriptionResult(BaseModel):
    payment_ref: str
    subscriptions: dict[str, str]


subscription_service = restate.Service("SubscriptionService", invocation_context_managers=[answer_bad_input_with_400])


@subscription_service.handler()
async def add(ctx: restate.Context, req: SubscriptionRequest) -> SubscriptionResult:
    """Create a recurring payment, then subscribe the user to each service."""
    # Deterministic across replays, so a retried payment carries the same key.
    payment_id = str(ctx.uuid())

    payment_ref = await ctx.run_typed(
        "recurring payment",
        external_systems.create_recurring_payment,
        credit_card=req.credit_card,
        payment_id=payment_id,
    )

    statuses = {}
    for subscription in req.subscriptions:
        statuses[subscription] = await ctx.run_typed(
            f"subscribe to {subscription}",
            external_systems.create_subscription,
            user_id=req.user_id,
            subscription=subscription,
            payment_ref=payment_ref,
        )
    return SubscriptionResult(payment_ref=payment_ref, subscriptions=statuses)
