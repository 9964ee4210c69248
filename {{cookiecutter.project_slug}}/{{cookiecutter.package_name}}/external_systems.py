"""Stand-ins for the systems a real service talks to:
{%- set systems = [] %}
{%- if cookiecutter.durable_execution %}{% set systems = systems + ["a payment API", "a subscription API"] %}{% endif %}
{%- if cookiecutter.workflows %}{% set systems = systems + ["a user database", "an email sender"] %}{% endif %}
{%- if cookiecutter.building_blocks %}{% set systems = systems + ["a raffle service"] %}{% endif %}
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

Switches (environment variables), for demos and tests:

- ``FAILURE_RATE=0.3``: each call fails at random with this probability.
- ``FAIL_FIRST_ATTEMPTS=1``: each distinct call fails its first N attempts (in this
  process), then succeeds. Deterministic, which is what the tests use.
- ``FAIL_AFTER_EFFECT=1``: those failures hit *after* the effect instead of before it, like
  an answer lost on its way back: the effect is made, the caller hears of a failure, and its
  retry is a repeat, answered from the first result (the log says so).
- ``CRASH_PROCESS=1``: an injected failure kills the whole process instead of raising, to
  show that Restate resumes the invocation after a crash. With ``FAIL_AFTER_EFFECT=1``, the
  process dies right after the effect, before Restate has stored the step's result: the
  window in which a step runs twice.
- ``EXTERNAL_LATENCY_SECONDS=0.5``: each call takes this long, like a slow network.
- ``LEDGER_FILE=path``: every attempt, every effect made (``"event": "done"``, one line per
  effect) and every repeat answered from an earlier effect (``"event": "repeat"``) is
  appended to this file as one JSON object per line, so tests can count how often each
  effect happened. The file is also the systems' memory of the keys they have seen, which
  outlives the service process, as a remote system's would. Without it, that memory is in
  this process: it deduplicates retries, but not across a crash.

They are ``async``, as calls through an async client (``httpx.AsyncClient`` and the like)
are: ``ctx.run_typed`` awaits them on the service's event loop, which is the cheapest way.
A plain ``def`` works too, for a client that blocks; the SDK then runs it in a thread pool,
so that it cannot stall the other invocations, at the price of a hop to a thread and back
per step, which costs CPU and throughput under load. Never call a blocking client from an
``async def``: it would stop every invocation the process serves while it waits.
"""

import asyncio
import json
import logging
import os
import random
{%- if cookiecutter.building_blocks %}
import uuid
{%- endif %}
from collections import Counter
from typing import Any

logger = logging.getLogger(__name__)

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
        line = json.dumps({"event": event, "operation": operation, **details})
        with open(path, "a", encoding="utf-8") as ledger:
            ledger.write(line + "\n")


def _first_effect(operation: str, key: str) -> tuple[bool, Any]:
    """Whether this call was made before with this key, and what it returned then."""
    path = os.environ.get("LEDGER_FILE")
    if not path:
        return (operation, key) in _effects, _effects.get((operation, key))
    needle = json.dumps(key)
    with open(path, encoding="utf-8") as ledger:
        for line in ledger:
            if needle in line:  # cheap, before parsing the line
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


def _fail(operation: str, attempt: int) -> None:
    if os.environ.get("CRASH_PROCESS") == "1":
        logger.error("%s: injected crash, the process exits now", operation)
        os._exit(1)
    raise RuntimeError(f"{operation}: injected failure (attempt {attempt})")


async def _call_remote(operation: str, key: str, result: Any, effect: str, **details: Any) -> Any:
    """One call to a remote system: latency, injected failures, and the effect once per key.

    The effect is to return ``result`` and log ``effect``; a repeat (the same operation
    with the same key) returns the first call's result instead, and logs that it was one.
    """
    _attempts[operation] += 1
    attempt = _attempts[operation]
    _record("attempt", operation, attempt=attempt, key=key, **details)
    await asyncio.sleep(_env_float("EXTERNAL_LATENCY_SECONDS"))
    fails = attempt <= int(_env_float("FAIL_FIRST_ATTEMPTS")) or random.random() < _env_float("FAILURE_RATE")
    fails_after_effect = os.environ.get("FAIL_AFTER_EFFECT") == "1"
    if fails and not fails_after_effect:
        _fail(operation, attempt)  # like a request that never arrived

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


async def create_recurring_payment(payment_method: str, idempotency_key: str) -> str:
    """Charge a payment method the provider holds (a token, never a card number) every month."""
    reference = f"pay-{idempotency_key[:8]}"
    message = f"Recurring payment {reference} with {payment_method}"
    operation = f"payment:{idempotency_key}"
    done: str = await _call_remote(
        operation, idempotency_key, reference, message, payment_method=payment_method, reference=reference
    )
    return done


async def create_subscription(user_id: str, subscription: str, payment_ref: str, idempotency_key: str) -> str:
    """Subscribe a user to a service."""
    operation = f"subscription:{user_id}:{subscription}"
    message = f"Subscribed {user_id} to {subscription} (payment {payment_ref})"
    status: str = await _call_remote(operation, idempotency_key, "SUCCESS", message, payment_ref=payment_ref)
    return status
{%- endif %}
{%- if cookiecutter.workflows %}


async def create_user(user_id: str, name: str, email: str, idempotency_key: str) -> bool:
    """Insert the user into the user database."""
    message = f"Created user {user_id} ({email})"
    created: bool = await _call_remote(f"user:{user_id}", idempotency_key, True, message, name=name, email=email)
    return created


async def send_email_with_link(user_id: str, email: str, secret: str, idempotency_key: str) -> None:
    """Email the user a link that carries ``secret``; clicking it verifies the address."""
    # The stand-in "sends" the email by logging it: that is where you find the secret.
    message = f"Email to {email}: to verify, click with the secret {secret}"
    await _call_remote(f"email:{user_id}", idempotency_key, None, message, email=email, secret=secret)
{%- endif %}
{%- if cookiecutter.building_blocks %}


async def draw_ticket(raffle: str, idempotency_key: str) -> str:
    """Draw a random ticket: a result that differs on every draw (a repeat returns the first)."""
    ticket = uuid.uuid4().hex[:8]
    drawn: str = await _call_remote(f"ticket:{raffle}", idempotency_key, ticket, f"Drew ticket {ticket} in {raffle}")
    return drawn


async def announce_ticket(raffle: str, ticket: str, idempotency_key: str) -> None:
    """Tell the world which ticket won."""
    message = f"Ticket {ticket} won {raffle}"
    await _call_remote(f"announcement:{raffle}", idempotency_key, None, message, ticket=ticket)
{%- endif %}
