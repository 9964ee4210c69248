"""Any input at all is answered with success or a terminal 4xx: never a 500, never retried.

A property test: hypothesis makes batches of calls with arbitrary JSON for every handler that
takes input, sends them through Restate's ingress, and reads each outcome from Restate's
``sys_invocation`` table. The first batch holds the near misses each handler lists (numbers out
of range, malformed ids, a card number); the others, inputs of the handler's shape and any JSON.
Handlers that wait by design (for an approval, a click, a sleep) may still be waiting at the
end, but nothing may be retrying a failure that is not one the tests injected.
"""

import base64
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from local_restate.clients import Admin, Ingress

CARD = "4000056655665556"  # a test card number, another than test_durable_execution.py's

# Characters below U+20000, or a card number. (Not all of Unicode: hypothesis would first spend
# seconds tabulating it, on every fresh checkout.)
text = st.text(st.characters(max_codepoint=0x1FFFF), max_size=12) | st.just(CARD)
# Any JSON, with a lone surrogate now and then (valid JSON, but no valid text).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text | st.just("\ud800"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
numbers = st.integers() | st.sampled_from([-1, 60 * 1000 + 1, 24 * 60 * 60 * 1000 + 1, 10**13, 10**18, 10**30])


def awakeable_ids() -> st.SearchStrategy[str]:
    """Ids of the form ask_approval mails (of no awakeable), near misses of that form, any text."""
    well_formed = st.binary(min_size=28, max_size=28).map(
        lambda raw: "sign_1" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
    )
    near_misses = well_formed.flatmap(
        lambda good: st.sampled_from([good[:-1], good + "A", good[:-1] + "B", "prom_1" + good[6:], good[:6]])
    )
    return well_formed | near_misses | text
{%- if cookiecutter.building_blocks %}


def invocation_ids() -> st.SearchStrategy[str]:
    """Ids of the form Restate hands out (of no invocation), near misses of that form, any text."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"  # base62

    def base62(value: int, width: int) -> str:
        return "".join(digits[value // 62**place % 62] for place in reversed(range(width)))

    well_formed = st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**128 - 1)).map(
        lambda parts: "inv_1" + base62(parts[0], 11) + base62(parts[1], 22)
    )
    near_misses = well_formed.flatmap(
        lambda good: st.sampled_from(
            [
                good[:-1],
                good + "0",
                "inv_2" + good[5:],
                "inv_1lYGhA16ahyg" + good[16:],  # a partition key of 2**64
                good[:16] + "7N42dgm5tFLK9N8MT7fHC8",  # an id of 2**128
            ]
        )
    )
    return well_formed | near_misses | text
{%- endif %}


def shaped(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Objects with each of these fields, of its kind; objects with some of them, each of its
    kind or any JSON; or any JSON at all."""
    some = st.fixed_dictionaries({}, optional={name: kind | json_values for name, kind in fields.items()})
    return st.fixed_dictionaries(fields) | some | json_values


AWAKEABLE_ID = "sign_1IDThkmrQsg7Ex0q-0Xpodpr0T5PnnxhRAAAAEQ"  # the form ask_approval mails
{%- if cookiecutter.building_blocks %}
DAY_MS = 24 * 60 * 60 * 1000
INVOCATION_ID = "inv_14kKMr6pppdt4uqzFjRwxOYIf1MuKJo78B"  # the form Restate hands out
INVOCATION_ID_NEAR_MISSES = [
    {"invocation_id": invocation_id}
    for invocation_id in (
        "garbage",
        CARD,
        INVOCATION_ID + "0",
        INVOCATION_ID[:-1],
        "inv_1lYGhA16ahyg" + INVOCATION_ID[16:],
    )
]
{%- endif %}

# Each handler that takes input: its path ({key}: a fresh object or workflow key), whether it
# may wait by design, the shape of its input, and inputs known to be near misses.
HANDLERS: list[tuple[str, bool, st.SearchStrategy[Any], list[Any]]] = [
{%- if cookiecutter.durable_execution %}
    (
        "/SubscriptionService/add",
        False,
        shaped(
            user_id=text,
            payment_method=st.from_regex(r"pm_\w{1,12}", fullmatch=True, alphabet=st.characters(codec="ascii")) | text,
            subscriptions=st.lists(text, max_size=2),
        ),
        [
            {"user_id": "u", "payment_method": CARD, "subscriptions": []},
            {"user_id": "u", "credit_card": CARD, "subscriptions": []},
            # Refused by the payment or the subscription API: a 402 or a 409, the steps before undone.
            {"user_id": "u", "payment_method": "pm_card_chargeDeclined", "subscriptions": ["Netflix"]},
            {"user_id": "u", "payment_method": "pm_card_visa", "subscriptions": ["Netflix", "SoldOutTV"]},
        ],
    ),
{%- endif %}
{%- if cookiecutter.building_blocks %}
    ("/BuildingBlocks/call", False, shaped(to=text, text=text), [{"to": ["ann"], "text": CARD}]),
    ("/BuildingBlocks/send", False, shaped(to=text, text=text), [{"to": "ann"}]),
    (
        "/BuildingBlocks/send_later",
        False,
        shaped(to=text, text=text, delay_ms=numbers),
        [{"to": "ann", "text": "t", "delay_ms": ms} for ms in (24 * 60 * 60 * 1000 + 1, 10**13, 10**18, -1)],
    ),
    (
        "/BuildingBlocks/ask_approval",
        True,
        shaped(approver=text, question=text, timeout_ms=numbers),
        [{"approver": None}, *[{"approver": "a", "question": "q", "timeout_ms": ms} for ms in (DAY_MS + 1, -1, 1.5)]],
    ),
    (
        "/BuildingBlocks/broadcast",
        False,
        shaped(to=st.lists(text, max_size=3), text=text),
        [{"to": to, "text": "t"} for to in ([], ["ann", "ann"], [str(n) for n in range(101)], "ann")],
    ),
    ("/BuildingBlocks/attach", True, shaped(invocation_id=invocation_ids()), INVOCATION_ID_NEAR_MISSES),
    ("/BuildingBlocks/cancel", False, shaped(invocation_id=invocation_ids()), INVOCATION_ID_NEAR_MISSES),
    (
        "/BuildingBlocks/approve",
        False,
        shaped(awakeable_id=awakeable_ids(), answer=text),
        [
            {"awakeable_id": awakeable_id, "answer": "yes"}
            for awakeable_id in ("garbage", AWAKEABLE_ID + "AA", AWAKEABLE_ID[:-1] + "R", CARD, AWAKEABLE_ID)
        ],
    ),
    (
        "/BuildingBlocks/sleep",
        True,
        shaped(milliseconds=numbers),
        [{"milliseconds": ms} for ms in (60 * 1000 + 1, 10**13, 10**18, 1.5)],
    ),
    ("/BuildingBlocks/draw", False, shaped(name=text), [{"name": 1}]),
    ("/Mailbox/{key}/deliver", False, shaped(text=text), [{"text": None}]),
    (
        "/Mailbox/{key}/hold",
        True,
        shaped(milliseconds=numbers),
        [{"milliseconds": ms} for ms in (DAY_MS + 1, 10**18, -1)],
    ),
{%- endif %}
{%- if cookiecutter.virtual_objects %}
    ("/Greeter/{key}/greet", False, shaped(greeting=text), [{"greeting": ["not", "a", "string"]}, {"greeting": CARD}]),
{%- endif %}
{%- if cookiecutter.workflows %}
    (
        "/UserSignup/{key}/run",
        True,
        shaped(name=text, email=text, link_valid_seconds=st.floats() | numbers),
        [
            {"name": "Sam"},
            {"name": CARD, "email": CARD},
            *[
                {"name": "Sam", "email": "sam@example.com", "link_valid_seconds": seconds}
                for seconds in (0, -1, 7 * 24 * 60 * 60 + 1, 10**18, float("inf"), float("nan"), "a day")
            ],
        ],
    ),
    ("/UserSignup/{key}/click", False, shaped(secret=text), [{"secret": CARD}]),
{%- endif %}
{%- if cookiecutter.ai_agent %}
    (
        "/SupportAgent/{key}/ask",
        False,
        shaped(message=text),
        [
            {"message": ""},
            {"message": ["Where", "is", "A-1002?"]},
            {"question": "Where is A-1002?"},
            {"message": CARD * 300},
        ],
    ),
{%- endif %}
]
Call = tuple[str, bool, str]  # path, may it wait, the JSON sent
NEAR_MISSES: list[Call] = [(path, waits, json.dumps(body)) for path, waits, _, bodies in HANDLERS for body in bodies]


def call(handler: tuple[str, bool, st.SearchStrategy[Any], list[Any]]) -> st.SearchStrategy[Call]:
    path, waits, body, _ = handler
    return st.tuples(st.just(path), st.just(waits), body.map(json.dumps))


# One call to every handler, then some more to any.
batches = st.tuples(st.tuples(*map(call, HANDLERS)), st.lists(st.sampled_from(HANDLERS).flatmap(call), max_size=8)).map(
    lambda parts: [*parts[0], *parts[1]]
)


def shows_the_card(text: str) -> bool:
    return any(CARD[start : start + 8] in text for start in range(len(CARD) - 7))


def invocations(admin: Admin, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The ``sys_invocation`` rows of these invocations, by id."""
    listed = ", ".join(f"'{invocation_id}'" for invocation_id in ids)
    query = "SELECT id, status, retry_count, last_failure, completion_result, completion_failure "
    rows = admin.query(query + f"FROM sys_invocation WHERE id IN ({listed})")
    return {row["id"]: row for row in rows}


def check(body: str, row: dict[str, Any]) -> None:
    """No failure but an injected one, and an outcome that is a success or a terminal 4xx."""
    failure = row.get("last_failure")
    assert not failure or "injected failure" in failure, f"{body} failed, and Restate retries it: {row}"
    if row["status"] == "completed" and row["completion_result"] != "success":
        outcome = row["completion_failure"]
        assert outcome[:2] == "[4", f"{body} was answered with {outcome}"
        assert "input_value" not in outcome and not shows_the_card(outcome), f"{body}: {outcome} repeats the input"


def wait_until_settled(admin: Admin, sent: dict[str, tuple[str, bool]]) -> None:
    """Until every invocation completed, or waits by design; checking each outcome on the way."""
    settled_before: set[str] = set()
    deadline = time.monotonic() + 10
    while True:
        rows = invocations(admin, list(sent))
        settled = set()
        for invocation_id, (body, waits) in sent.items():
            row = rows.get(invocation_id, {"status": "pending"})
            check(body, row)
            if row["status"] == "completed" or (waits and row["status"] in ("running", "suspended")):
                settled.add(invocation_id)
        # Twice in a row, some 20 ms apart: a handler that waits has had time to fail, if it would.
        if settled == settled_before == set(sent):
            return
        settled_before = settled
        unsettled = {sent[i][0]: rows.get(i) for i in set(sent) - settled}
        assert time.monotonic() < deadline, f"not answered within 10 s: {unsettled}"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def started(admin: Admin) -> Iterator[list[str]]:
    """The invocations the test started; those still waiting (or retrying) are ended afterwards."""
    ids: list[str] = []
    yield ids
    rows = invocations(admin, ids) if ids else {}
    unfinished = [invocation_id for invocation_id, row in rows.items() if row["status"] != "completed"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(admin.kill, unfinished))


@pytest.mark.slow  # pytest --slow runs it
@pytest.mark.usefixtures("service")
# The same examples on every run. Not shrunk: a failure names the input it is about.
@settings(
    max_examples=3,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@example(batch=NEAR_MISSES)
@given(batch=batches)
def test_any_input_is_answered_with_success_or_a_terminal_4xx(
    ingress: Ingress, admin: Admin, started: list[str], batch: list[Call]
) -> None:
    def send(path: str, body: str) -> httpx.Response:
        return ingress.post_raw(f"{path.format(key=uuid.uuid4().hex)}/send", body.encode())

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, [path for path, _, _ in batch], [body for _, _, body in batch]))
    sent: dict[str, tuple[str, bool]] = {}  # invocation id: (what was sent, may it wait)
    for (path, waits, body), response in zip(batch, responses, strict=True):
        if response.is_success:
            sent[response.json()["invocationId"]] = (f"{path} {body}", waits)
        else:  # refused by the ingress itself
            assert 400 <= response.status_code < 500, f"{path} {body}: {response.status_code} {response.text}"
    started.extend(sent)
    wait_until_settled(admin, sent)
