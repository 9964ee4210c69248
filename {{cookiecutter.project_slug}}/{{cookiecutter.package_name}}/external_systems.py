"""Stand-ins for the systems a real service talks to: a payment API, a subscription API,
a user database and an email sender.

Replace these functions with calls to your real systems. Until then they behave like
flaky remote APIs, so you can watch Restate retry and recover:

- ``FAILURE_RATE=0.3``: each call fails at random with this probability.
- ``FAIL_FIRST_ATTEMPTS=1``: each distinct call fails its first N attempts (in this
  process), then succeeds. Deterministic, which is what the tests use.
- ``CRASH_PROCESS=1``: an injected failure kills the whole process instead of raising,
  to show that Restate resumes the invocation after a crash.
- ``EXTERNAL_LATENCY_SECONDS=0.5``: each call takes this long, like a slow network.
- ``LEDGER_FILE=path``: every attempt and every completed effect is appended to this
  file as one JSON object per line, so tests can count how often each effect happened.

They are ``async``, as calls through an async client (``httpx.AsyncClient`` and the like)
are: ``ctx.run_typed`` awaits them on the service's event loop. A plain ``def`` works too,
for a client that blocks; the SDK then runs it in a thread pool, so that it cannot stall
the other invocations, at the price of a hop to a thread and back per step (in the
template's throughput bench, ``add`` took a quarter less CPU with these stand-ins async
than with them plain, and served about 1.4 times as many calls per second at 32 and 64
concurrent callers). Never call a blocking client from an ``async def``: it would stop
every invocation the process serves while it waits.
"""

import asyncio
import json
import logging
import os
import random
import uuid
from collections import Counter
from typing import Any

logger = logging.getLogger(__name__)

_attempts: Counter[str] = Counter()


def _env_float(name: str) -> float:
    return float(os.environ.get(name) or 0)


def _record(event: str, operation: str, **details: Any) -> None:
    """Append one line to the ledger, if the tests (or you) asked for one."""
    path = os.environ.get("LEDGER_FILE")
    if path:
        line = json.dumps({"event": event, "operation": operation, **details})
        with open(path, "a", encoding="utf-8") as ledger:
            ledger.write(line + "\n")


async def _call_remote(operation: str, **details: Any) -> None:
    """Everything a remote call does before its effect: latency and injected failures.

    A failure is injected *before* the effect, like a request that never arrived.
    """
    _attempts[operation] += 1
    attempt = _attempts[operation]
    _record("attempt", operation, attempt=attempt, **details)
    await asyncio.sleep(_env_float("EXTERNAL_LATENCY_SECONDS"))
    fail_first = int(_env_float("FAIL_FIRST_ATTEMPTS"))
    if attempt <= fail_first or random.random() < _env_float("FAILURE_RATE"):
        if os.environ.get("CRASH_PROCESS") == "1":
            logger.error("%s: injected crash, the process exits now", operation)
            os._exit(1)
        raise RuntimeError(f"{operation}: injected failure (attempt {attempt})")


def _mask_card(card_number: str) -> str:
    """Never log or store a full card number."""
    return "*" * 4 + card_number[-4:]


async def create_recurring_payment(credit_card: str, payment_id: str) -> str:
    """Create a recurring payment; the real API would deduplicate on ``payment_id``."""
    operation = f"payment:{payment_id}"
    await _call_remote(operation, card=_mask_card(credit_card))
    reference = f"pay-{payment_id[:8]}"
    _record("done", operation, card=_mask_card(credit_card), reference=reference)
    logger.info("Recurring payment %s for card %s", reference, _mask_card(credit_card))
    return reference


async def create_subscription(user_id: str, subscription: str, payment_ref: str) -> str:
    """Subscribe a user to a service. Not idempotent: calling it twice subscribes twice."""
    operation = f"subscription:{user_id}:{subscription}"
    await _call_remote(operation)
    _record("done", operation, payment_ref=payment_ref)
    logger.info("Subscribed %s to %s (payment %s)", user_id, subscription, payment_ref)
    return "SUCCESS"


async def create_user(user_id: str, name: str, email: str) -> bool:
    """Insert the user into the user database."""
    operation = f"user:{user_id}"
    await _call_remote(operation)
    _record("done", operation, name=name, email=email)
    logger.info("Created user %s (%s)", user_id, email)
    return True


async def send_email_with_link(user_id: str, email: str, secret: str) -> None:
    """Email the user a link that carries ``secret``; clicking it verifies the address."""
    operation = f"email:{user_id}"
    await _call_remote(operation)
    _record("done", operation, email=email, secret=secret)
    # The stand-in "sends" the email by logging it: that is where you find the secret.
    logger.info("Email to %s: to verify, click with the secret %s", email, secret)


async def draw_ticket(raffle: str) -> str:
    """Draw a random ticket: a result that differs on every execution."""
    operation = f"ticket:{raffle}"
    await _call_remote(operation)
    ticket = uuid.uuid4().hex[:8]
    _record("done", operation, ticket=ticket)
    return ticket


async def announce_ticket(raffle: str, ticket: str) -> None:
    """Tell the world which ticket won."""
    operation = f"announcement:{raffle}"
    await _call_remote(operation, ticket=ticket)
    _record("done", operation, ticket=ticket)
