"""Stand-ins for the systems a real service talks to:
{%- set systems = [] %}
{%- if cookiecutter.durable_execution %}{% set systems = systems + ["a payment API", "a subscription API"] %}{% endif %}
{%- if cookiecutter.workflows %}{% set systems = systems + ["a user database", "an email sender"] %}{% endif %}
{%- if cookiecutter.building_blocks %}{% set systems = systems + ["a raffle service"] %}{% endif %}
{%- if cookiecutter.ai_agent %}{% set systems = systems + ["a shop's order desk"] %}{% endif %}
{%- set kinds = [] %}
{%- if cookiecutter.durable_execution %}{% set kinds = kinds + [["payment", "subscription", "cancel-payment", "cancel-subscription"]] %}{% endif %}
{%- if cookiecutter.workflows %}{% set kinds = kinds + [["user", "email"]] %}{% endif %}
{%- if cookiecutter.building_blocks %}{% set kinds = kinds + [["ticket", "announcement"]] %}{% endif %}
{%- if cookiecutter.ai_agent %}{% set kinds = kinds + [["order", "refund", "approval"]] %}{% endif %}
{%- set example = kinds[0] if kinds else ["kind", "other-kind"] %}
{% if systems | length > 1 %}{{ systems[:-1] | join(", ") }} and {{ systems[-1] }}{% else %}{{ systems | join }}{% endif %}.

Replace these functions with calls to your real systems. Until then they behave like
flaky remote APIs, so you can watch Restate retry and recover.

**Exactly once takes an idempotency key.** Restate stores the result of each ``ctx.run_typed``
step and never runs a stored step again; but a step whose process dies after the remote
system acted and before Restate stored the result runs again on replay. A step's action is
at least once. Each function here therefore takes an ``idempotency_key`` and, as real payment
and subscription APIs do, makes its effect once per key: a repeat of the same call with the
same key makes no second effect and returns the first result. The handlers take each key
from ``ctx.uuid()``, which is the same on every replay, so a step run twice sends the same
key twice, and the effect happens once.
{%- if cookiecutter.durable_execution %}

**A refusal is final.** ``create_recurring_payment`` declines the payment method
``pm_card_chargeDeclined`` (Stripe's test token for a declined card) with status 402, and
``create_subscription`` refuses ``SoldOutTV``, which is sold out, with 409. Each raises
``restate.TerminalError``: raised in a ``ctx.run_typed`` step, it ends the step for good,
without a retry, and the handler gets it where it awaits the step. Turn your real client's
refusals (Stripe's ``CardError``) into a ``TerminalError`` the same way, and leave its other
errors (a timeout, a 503) as they are: those Restate retries.

**An undo is an effect like any other.** ``cancel_subscription`` and
``cancel_recurring_payment`` undo what the call with a given idempotency key made. They take
an idempotency key of their own: a repeat makes no second effect. Cancelling what was never
made is no error: the answer is ``NOT_FOUND``, recorded like any effect.
{%- endif %}

Switches (environment variables), for demos and tests:

- ``FAILURE_RATE=0.3``: each call fails at random with this probability.
- ``FAIL_FIRST_ATTEMPTS=1``: each distinct call fails its first N attempts (in this
  process), then succeeds. Deterministic, which is what the tests use.
- ``FAIL_OPERATIONS={{ example[1] }}:always,{{ example[0] }}:first=2``: fail the operations of
  the kinds named, and no others: ``<kind>:always`` fails every attempt, ``<kind>:first=N``
  the first N attempts of each distinct call (in this process). A value it cannot read, a
  misspelt kind too, fails the first call for good (a ``TerminalError``, HTTP 500) with a
  message naming the part it could not read. The kind is the operation's name in the
  ledger up to its first colon; here:
{%- for group in kinds %}
  ``{{ group | join("``, ``") }}``{{ "." if loop.last else ";" }}
{%- endfor %}
- ``FAIL_AFTER_EFFECT=1``: the injected failures hit *after* the effect instead of before
  it, like an answer lost on its way back: the effect is made, the caller hears of a
  failure, and its retry is a repeat, answered from the first result (the log says so).
- ``CRASH_PROCESS=1``: an injected failure kills the whole process instead of raising, to
  show that Restate resumes the invocation after a crash. With ``FAIL_AFTER_EFFECT=1``, the
  process dies right after the effect, before Restate has stored the step's result: the
  window in which a step runs twice.
- ``EXTERNAL_LATENCY_SECONDS=0.5``: each call takes this long, like a slow network.
- ``LEDGER_FILE=path``: every attempt, every effect made (``"event": "done"``, one line per
  effect), every repeat answered from an earlier effect (``"event": "repeat"``) and every
  refusal (``"event": "refused"``) is appended to this file as one JSON object per line, so
  tests can count how often each effect happened. The file is also the systems' memory of
  the keys they have seen, which outlives the service process, as a remote system's would.
  Without it, that memory is in this process: it deduplicates retries, but not across a
  crash.

They are ``async``, as calls through an async client (``httpx.AsyncClient`` and the like)
are: ``ctx.run_typed`` awaits them on the service's event loop, which is the cheapest way.
A plain ``def`` works too, for a client that blocks; the SDK then runs it in a thread pool,
so that it cannot stall the other invocations, at the price of a hop to a thread and back
per step, which costs CPU and throughput under load. Never call a blocking client from an
``async def``: it would stop every invocation the process serves while it waits.
{%- if cookiecutter.tracing %}

Each is decorated with ``tracing.traced``: every call, so every run of a step's action, is a
span in the invocation's trace (see ``tracing.py``). Decorate the calls to your real systems
the same way.
{%- endif %}
"""

import asyncio
import functools
import json
import logging
import os
import random
{%- if cookiecutter.building_blocks %}
import uuid
{%- endif %}
from collections import Counter
from typing import Any

import restate
{%- if cookiecutter.tracing %}

from . import tracing
{%- endif %}

logger = logging.getLogger(__name__)

# The kinds of operation FAIL_OPERATIONS may name (each operation's name up to its first colon).
KINDS = (
{%- for group in kinds %}
{%- for kind in group %}
    "{{ kind }}",
{%- endfor %}
{%- endfor %}
)

_attempts: Counter[str] = Counter()

# Without a LEDGER_FILE: the effects made, by (operation, idempotency key), newest last. A real
# API forgets keys after a while (Stripe: a day); this keeps the newest 100 000.
_effects: dict[tuple[str, str], Any] = {}
_REMEMBERED = 100_000


def _env_float(name: str) -> float:
    return float(os.environ.get(name) or 0)


def _record(event: str, operation: str, **details: Any) -> None:
    """Append one line to the ledger, if the tests (or you) asked for one."""
    path = os.environ.get("LEDGER_FILE")
    if path:
        line = json.dumps({"event": event, "operation": operation, **details}) + "\n"
        # One write to a file opened for appending: processes writing at once never mix lines.
        ledger = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(ledger, line.encode())
        finally:
            os.close(ledger)


def _first_effect(operation: str, key: str) -> tuple[bool, Any]:
    """Whether this call was made before with this key, and what it returned then."""
    path = os.environ.get("LEDGER_FILE")
    if not path or not os.path.exists(path):
        return (operation, key) in _effects, _effects.get((operation, key))
    needle = json.dumps(key)
    with open(path, encoding="utf-8") as ledger:
        for line in ledger:
            if needle in line and line.endswith("\n"):  # cheap, before parsing; and written whole
                entry = json.loads(line)
                if (entry["event"], entry["operation"], entry.get("key")) == ("done", operation, key):
                    return True, entry["result"]
    return False, None


def _remember(operation: str, key: str, result: Any, **details: Any) -> None:
    _record("done", operation, key=key, result=result, **details)
    if not os.environ.get("LEDGER_FILE"):
        _effects[(operation, key)] = result
        if len(_effects) > _REMEMBERED:
            del _effects[next(iter(_effects))]


@functools.cache
def _targeted_failures(setting: str) -> dict[str, float]:
    """FAIL_OPERATIONS read: how many first attempts fail, by kind (every one: infinity)."""
    failures = {}
    for part in filter(None, (part.strip() for part in setting.split(","))):
        kind, _, how = part.partition(":")
        if kind not in KINDS:
            known = ", ".join(KINDS)
            raise restate.TerminalError(f"FAIL_OPERATIONS: no operation is of the kind {kind!r}; the kinds: {known}")
        if how == "always":
            failures[kind] = float("inf")
        elif how.startswith("first=") and how.removeprefix("first=").isdigit():
            failures[kind] = int(how.removeprefix("first="))
        else:
            raise restate.TerminalError(f"FAIL_OPERATIONS: {part!r} is neither {kind}:always nor {kind}:first=<N>")
    return failures


def _fail(operation: str, attempt: int) -> None:
    if os.environ.get("CRASH_PROCESS") == "1":
        logger.error("%s: injected crash, the process exits now", operation)
        os._exit(1)
    raise RuntimeError(f"{operation}: injected failure (attempt {attempt})")


async def _call_remote(
    operation: str, key: str, result: Any, effect: str, refusal: restate.TerminalError | None = None, **details: Any
) -> Any:
    """One call to a remote system: latency, injected failures, and the effect once per key.

    The effect is to return ``result`` and log ``effect``; a repeat (the same operation
    with the same key) returns the first call's result instead, and logs that it was one.
    With a ``refusal``, the system refuses the call: no effect, the refusal is raised.
    """
    fails_anyway = _targeted_failures(os.environ.get("FAIL_OPERATIONS", "")).get(operation.split(":")[0], 0)
    _attempts[operation] += 1
    attempt = _attempts[operation]
    _record("attempt", operation, attempt=attempt, key=key, **details)
    await asyncio.sleep(_env_float("EXTERNAL_LATENCY_SECONDS"))
    fails = (
        attempt <= fails_anyway
        or attempt <= int(_env_float("FAIL_FIRST_ATTEMPTS"))
        or random.random() < _env_float("FAILURE_RATE")
    )
    fails_after_effect = os.environ.get("FAIL_AFTER_EFFECT") == "1"
    if fails and not fails_after_effect:
        _fail(operation, attempt)  # like a request that never arrived
    if refusal:
        _record("refused", operation, key=key, status=refusal.status_code, message=refusal.message, **details)
        logger.info("%s: refused: %s", operation, refusal.message)
        raise refusal

    # No await from looking for the key to recording the effect: two attempts in this
    # process cannot both make it.
    made_before, first_result = _first_effect(operation, key)
    if made_before:
        _record("repeat", operation, key=key, result=first_result)
        logger.info("%s: a repeat of idempotency key %s, answered with the first result", operation, key)
        result = first_result
    else:
        _remember(operation, key, result, **details)
        logger.info("%s", effect)

    if fails and fails_after_effect:
        _fail(operation, attempt)  # like an answer lost on its way back
    return result
{%- if cookiecutter.durable_execution %}


# Stripe's test token for a card that is declined, and a service that is sold out.
DECLINED_PAYMENT_METHOD = "pm_card_chargeDeclined"
SOLD_OUT = "SoldOutTV"


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def create_recurring_payment(user_id: str, payment_method: str, idempotency_key: str) -> str:
    """Charge a user's payment method, a token the provider holds (never a card number), every month."""
    reference = f"pay-{idempotency_key[:8]}"
    message = f"Recurring payment {reference} for {user_id} with {payment_method}"
    declined = restate.TerminalError("The payment method was declined", status_code=402)
    done: str = await _call_remote(
        f"payment:{idempotency_key}",
        idempotency_key,
        reference,
        message,
        refusal=declined if payment_method == DECLINED_PAYMENT_METHOD else None,
        user_id=user_id,
        payment_method=payment_method,
        reference=reference,
    )
    return done


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def cancel_recurring_payment(payment_key: str, idempotency_key: str) -> str:
    """Cancel the recurring payment the call with idempotency key ``payment_key`` made, if any."""
    made, reference = _first_effect(f"payment:{payment_key}", payment_key)
    if made:
        status, message = "CANCELLED", f"Cancelled recurring payment {reference}"
    else:
        status, message = "NOT_FOUND", "No recurring payment to cancel"
    operation = f"cancel-payment:{payment_key}"
    cancelled: str = await _call_remote(operation, idempotency_key, status, message, cancels=payment_key)
    return cancelled


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def create_subscription(user_id: str, subscription: str, payment_ref: str, idempotency_key: str) -> str:
    """Subscribe a user to a service."""
    message = f"Subscribed {user_id} to {subscription} (payment {payment_ref})"
    status: str = await _call_remote(
        f"subscription:{user_id}:{subscription}",
        idempotency_key,
        "SUCCESS",
        message,
        refusal=restate.TerminalError(f"{SOLD_OUT} is sold out", status_code=409) if subscription == SOLD_OUT else None,
        payment_ref=payment_ref,
    )
    return status


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def cancel_subscription(user_id: str, subscription: str, subscription_key: str, idempotency_key: str) -> str:
    """Cancel the subscription the call with idempotency key ``subscription_key`` made, if any."""
    made, _ = _first_effect(f"subscription:{user_id}:{subscription}", subscription_key)
    if made:
        status, message = "CANCELLED", f"Cancelled {user_id}'s subscription to {subscription}"
    else:
        status, message = "NOT_FOUND", f"No subscription of {user_id} to {subscription} to cancel"
    operation = f"cancel-subscription:{user_id}:{subscription}"
    cancelled: str = await _call_remote(operation, idempotency_key, status, message, cancels=subscription_key)
    return cancelled
{%- endif %}
{%- if cookiecutter.workflows %}


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def create_user(user_id: str, name: str, email: str, idempotency_key: str) -> bool:
    """Insert the user into the user database."""
    message = f"Created user {user_id} ({email})"
    created: bool = await _call_remote(f"user:{user_id}", idempotency_key, True, message, name=name, email=email)
    return created


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def send_email_with_link(user_id: str, email: str, secret: str, idempotency_key: str) -> None:
    """Email the user a link that carries ``secret``; clicking it verifies the address."""
    # The stand-in "sends" the email by logging it: that is where you find the secret.
    message = f"Email to {email}: to verify, click with the secret {secret}"
    await _call_remote(f"email:{user_id}", idempotency_key, None, message, email=email, secret=secret)
{%- endif %}
{%- if cookiecutter.building_blocks %}


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def draw_ticket(raffle: str, idempotency_key: str) -> str:
    """Draw a random ticket: a result that differs on every draw (a repeat returns the first)."""
    ticket = uuid.uuid4().hex[:8]
    drawn: str = await _call_remote(f"ticket:{raffle}", idempotency_key, ticket, f"Drew ticket {ticket} in {raffle}")
    return drawn


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def announce_ticket(raffle: str, ticket: str, idempotency_key: str) -> None:
    """Tell the world which ticket won."""
    message = f"Ticket {ticket} won {raffle}"
    await _call_remote(f"announcement:{raffle}", idempotency_key, None, message, ticket=ticket)
{%- endif %}{%- if cookiecutter.ai_agent %}


# The shop's orders, as the support agent's order system knows them.
ORDERS = {
    "A-1001": {"item": "noise-cancelling headphones", "amount": "199.00 EUR", "status": "delivered"},
    "A-1002": {"item": "a USB-C cable", "amount": "9.50 EUR", "status": "delivered"},
}


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def look_up_order(order_id: str, idempotency_key: str) -> str:
    """What the order system knows of an order, in words the agent passes on."""
    order = ORDERS.get(order_id)
    found = f"Order {order_id}: {order['item']}, {order['amount']}, {order['status']}." if order else None
    answer = found or f"There is no order {order_id}."
    looked_up: str = await _call_remote(f"order:{order_id}", idempotency_key, answer, f"Looked up order {order_id}")
    return looked_up


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def refund_order(order_id: str, idempotency_key: str) -> str:
    """Refund an order in full; the API refuses an order it does not know (404)."""
    order = ORDERS.get(order_id)
    refusal = None if order else restate.TerminalError(f"There is no order {order_id} to refund", status_code=404)
    reference = f"re-{idempotency_key[:8]}"
    message = f"Refunded {order['amount'] if order else ''} for order {order_id} (refund {reference})"
    done: str = await _call_remote(
        f"refund:{idempotency_key}", idempotency_key, reference, message, refusal=refusal, order_id=order_id
    )
    return done


{% if cookiecutter.tracing %}@tracing.traced
{% endif %}async def ask_for_approval(order_id: str, awakeable_id: str, idempotency_key: str) -> None:
    """Put a refund into a human's inbox; they answer by resolving the awakeable (see agent.py)."""
    message = f"Approve the refund of order {order_id}? Resolve awakeable {awakeable_id} with true or false"
    operation = f"approval:{idempotency_key}"
    await _call_remote(operation, idempotency_key, None, message, order_id=order_id, awakeable_id=awakeable_id)


def record_model_call(model: str, prompt: str) -> None:
    """The agent's offline model notes each answer it computes, so that tests can count them."""
    _record("model-call", f"model:{model}", prompt=prompt)
{%- endif %}
