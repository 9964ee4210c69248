"""Building blocks: each block does what it promises, observed through the Mailbox, a result, or
Restate's record of the invocation."""

import time
from typing import Any

import pytest
from local_restate.clients import Admin, Ingress, Ledger, assert_rejected_as_bad_input
from local_restate.service_process import ServiceProcess
from local_restate.waiting import wait_for

DAY_MS = 24 * 60 * 60 * 1000

# More cases of one refusal: pytest --slow runs them (the first case of each runs every time).
MORE = pytest.mark.slow


def inbox(ingress: Ingress, recipient: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = ingress.call_ok(f"/Mailbox/{recipient}/read")["messages"]
    return messages


def wait_for_mail(ingress: Ingress, recipient: str, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
    def arrived() -> list[dict[str, Any]]:
        messages = inbox(ingress, recipient)
        return messages if len(messages) >= count else []

    return wait_for(arrived, timeout, f"{count} message(s) for {recipient}")


def test_rpc_returns_the_callees_answer(ingress: Ingress, key: str) -> None:
    assert ingress.call_ok("/BuildingBlocks/call", {"to": key, "text": "one"}) == 1
    assert ingress.call_ok("/BuildingBlocks/call", {"to": key, "text": "two"}) == 2
    assert [m["text"] for m in inbox(ingress, key)] == ["one", "two"]


def test_a_one_way_message_arrives(ingress: Ingress, key: str) -> None:
    assert ingress.call_ok("/BuildingBlocks/send", {"to": key, "text": "hello"}) is None
    assert wait_for_mail(ingress, key)[0]["text"] == "hello"


@pytest.mark.slow  # pytest --slow runs it
def test_a_delayed_message_arrives_after_its_delay_and_not_before(ingress: Ingress, key: str) -> None:
    sent_at = time.time()
    ingress.call_ok("/BuildingBlocks/send_later", {"to": key, "text": "later", "delay_ms": 200})
    assert inbox(ingress, key) == []

    delivered = wait_for_mail(ingress, key)[0]
    assert delivered["text"] == "later"
    assert delivered["delivered_at"] - sent_at >= 0.2


def test_an_awakeable_resolved_by_another_call_unblocks_the_waiting_handler(ingress: Ingress, key: str) -> None:
    waiting = ingress.send("/BuildingBlocks/ask_approval", {"approver": key, "question": "Ship it?"})
    awakeable_id = wait_for_mail(ingress, key)[0]["text"].split("Answer to: ")[1]

    ingress.call_ok("/BuildingBlocks/approve", {"awakeable_id": awakeable_id, "answer": "yes"})

    assert ingress.attach(waiting) == {"answer": "yes", "outcome": "answered"}


@pytest.mark.slow  # pytest --slow runs it
def test_without_an_answer_the_timer_wins_the_race(ingress: Ingress, key: str) -> None:
    body = {"approver": key, "question": "Ship it?", "timeout_ms": 100}
    # At most 5 s: were the timer not in the race, the handler would wait for an answer for ever.
    response = ingress.http.post("/BuildingBlocks/ask_approval", json=body, timeout=5)

    assert response.json() == {"answer": None, "outcome": "no answer within 0.1 s"}


@pytest.mark.slow  # pytest --slow runs it
def test_the_timeout_fires_while_the_service_is_down(
    ingress: Ingress, service_process: ServiceProcess, key: str
) -> None:
    waiting = ingress.send("/BuildingBlocks/ask_approval", {"approver": key, "question": "Ship it?", "timeout_ms": 500})
    wait_for_mail(ingress, key)
    service_process.kill()
    time.sleep(1)  # the timer fires meanwhile: Restate keeps it, not the process
    service_process.start()

    assert ingress.attach(waiting) == {"answer": None, "outcome": "no answer within 0.5 s"}
    assert len(inbox(ingress, key)) == 1  # resumed from its journal: the question was mailed once


def test_a_cancelled_approval_tells_the_approver_and_ends_as_cancelled(ingress: Ingress, key: str) -> None:
    waiting = ingress.send("/BuildingBlocks/ask_approval", {"approver": key, "question": "Ship it?"})
    wait_for_mail(ingress, key)

    ingress.call_ok("/BuildingBlocks/cancel", {"invocation_id": waiting})

    assert wait_for_mail(ingress, key, 2)[1]["text"] == "Never mind: Ship it?"
    response = ingress.call("/BuildingBlocks/attach", {"invocation_id": waiting})
    assert (response.status_code, response.json()["message"]) == (409, "cancelled")


def test_broadcast_delivers_to_each_recipient_once_and_returns_every_count(ingress: Ingress, key: str) -> None:
    ann, bob = f"{key}-ann", f"{key}-bob"
    ingress.call_ok("/BuildingBlocks/call", {"to": ann, "text": "before"})

    assert ingress.call_ok("/BuildingBlocks/broadcast", {"to": [ann, bob], "text": "all"}) == {ann: 2, bob: 1}
    assert [m["text"] for m in inbox(ingress, ann)] == ["before", "all"]
    assert [m["text"] for m in inbox(ingress, bob)] == ["all"]


def test_broadcast_calls_run_side_by_side(ingress: Ingress, key: str) -> None:
    held, other = f"{key}-held", f"{key}-other"
    hold = ingress.send(f"/Mailbox/{held}/hold", {"milliseconds": 60_000})
    # The held recipient first: calls made one after another would all wait for it.
    broadcast = ingress.send("/BuildingBlocks/broadcast", {"to": [held, other], "text": "all"})

    wait_for_mail(ingress, other, timeout=5)
    assert inbox(ingress, held) == []

    ingress.call_ok("/BuildingBlocks/cancel", {"invocation_id": hold})
    assert ingress.attach(broadcast) == {held: 1, other: 1}


def test_cancelling_a_hold_ends_it_as_cancelled_and_lets_the_mail_in(ingress: Ingress, key: str) -> None:
    hold = ingress.send(f"/Mailbox/{key}/hold", {"milliseconds": 60_000})
    ingress.call_ok("/BuildingBlocks/send", {"to": key, "text": "queued"})

    ingress.call_ok("/BuildingBlocks/cancel", {"invocation_id": hold})

    assert wait_for_mail(ingress, key, timeout=5)[0]["text"] == "queued"
    ended = ingress.http.get(f"/restate/invocation/{hold}/attach")
    assert (ended.status_code, ended.json()["message"]) == (409, "cancelled")
    # Cancelling an invocation that has ended does nothing.
    assert ingress.call_ok("/BuildingBlocks/cancel", {"invocation_id": hold}) is None
    assert ingress.http.get(f"/restate/invocation/{hold}/attach").json() == ended.json()


@pytest.mark.slow  # pytest --slow runs it
def test_send_later_returns_the_id_of_the_delivery_to_attach_to(ingress: Ingress, key: str) -> None:
    ingress.call_ok("/BuildingBlocks/call", {"to": key, "text": "first"})
    delivery = ingress.call_ok("/BuildingBlocks/send_later", {"to": key, "text": "later", "delay_ms": 100})

    # Attaching waits for the delivery, and answers with its result: the recipient's new count.
    assert ingress.call_ok("/BuildingBlocks/attach", {"invocation_id": delivery}) == 2
    assert [m["text"] for m in inbox(ingress, key)] == ["first", "later"]


def test_a_cancelled_delayed_message_is_dropped(ingress: Ingress, admin: Admin, key: str) -> None:
    delivery = ingress.call_ok("/BuildingBlocks/send_later", {"to": key, "text": "never", "delay_ms": 60_000})

    ingress.call_ok("/BuildingBlocks/cancel", {"invocation_id": delivery})

    # Restate drops it: nothing is left to deliver it, or to attach to.
    row = f"SELECT id FROM sys_invocation WHERE id = '{delivery}'"
    wait_for(lambda: not admin.query(row), 5, "the delayed message dropped")
    response = ingress.call("/BuildingBlocks/attach", {"invocation_id": delivery})
    assert (response.status_code, response.json()["message"]) == (404, "not found")


@pytest.mark.slow  # pytest --slow runs it
def test_a_durable_sleep_wakes_after_its_duration(ingress: Ingress) -> None:
    assert ingress.call_ok("/BuildingBlocks/sleep", {"milliseconds": 100})["slept_ms"] >= 100


def test_a_journaled_step_is_not_run_again_on_replay(ingress: Ingress, ledger: Ledger, key: str) -> None:
    ticket = ingress.call_ok("/BuildingBlocks/draw", {"name": key})

    # Announcing failed once, so Restate replayed the handler: the journal answered "draw
    # ticket" with the ticket drawn before, instead of drawing again.
    assert len(ledger.entries("attempt", operation=f"announcement:{key}")) == 2
    assert [e["result"] for e in ledger.entries(operation=f"ticket:{key}")] == [ticket]
    assert [e["ticket"] for e in ledger.entries(operation=f"announcement:{key}")] == [ticket]


def test_calls_with_the_same_idempotency_key_run_once(ingress: Ingress, ledger: Ledger, key: str) -> None:
    headers = {"idempotency-key": key}
    first = ingress.http.post("/BuildingBlocks/draw", json={"name": key}, headers=headers).json()
    again = ingress.http.post("/BuildingBlocks/draw", json={"name": key}, headers=headers).json()

    assert first == again
    assert len(ledger.entries(operation=f"ticket:{key}")) == 1


def test_missing_field_gets_400_naming_it(ingress: Ingress, admin: Admin) -> None:
    response = ingress.call("/BuildingBlocks/send_later", {"to": "x", "text": "no delay"})
    assert_rejected_as_bad_input(admin, response, "delay_ms", "Field required")


@pytest.mark.parametrize("delay_ms", [DAY_MS + 1, pytest.param(10**18, marks=MORE)])
def test_a_delay_beyond_a_day_is_refused_at_once(ingress: Ingress, admin: Admin, delay_ms: int) -> None:
    response = ingress.call("/BuildingBlocks/send_later", {"to": "x", "text": "never", "delay_ms": delay_ms})
    assert_rejected_as_bad_input(admin, response, "delay_ms", "Input should be", sent=delay_ms)


@pytest.mark.parametrize(
    "milliseconds", [60 * 1000 + 1, pytest.param(10**13, marks=MORE), pytest.param(10**18, marks=MORE)]
)
def test_a_sleep_beyond_a_minute_is_refused_at_once(ingress: Ingress, admin: Admin, milliseconds: int) -> None:
    response = ingress.call("/BuildingBlocks/sleep", {"milliseconds": milliseconds})
    assert_rejected_as_bad_input(admin, response, "milliseconds", "Input should be", sent=milliseconds)


VALID_LOOKING = "sign_1IDThkmrQsg7Ex0q-0Xpodpr0T5PnnxhRAAAAEQ"  # the form ask_approval mails


@pytest.mark.parametrize(
    "awakeable_id",
    ["garbage-id", pytest.param(VALID_LOOKING + "AA", marks=MORE), pytest.param(VALID_LOOKING[:-1] + "R", marks=MORE)],
    ids=["garbage", "too-long", "stray-bits"],
)
def test_a_malformed_awakeable_id_is_refused_at_once(ingress: Ingress, admin: Admin, awakeable_id: str) -> None:
    response = ingress.call("/BuildingBlocks/approve", {"awakeable_id": awakeable_id, "answer": "yes"})
    assert_rejected_as_bad_input(admin, response, "awakeable_id", "not an awakeable id", sent=awakeable_id)


def test_an_awakeable_id_of_no_waiting_handler_resolves_nothing(ingress: Ingress) -> None:
    assert ingress.call_ok("/BuildingBlocks/approve", {"awakeable_id": VALID_LOOKING, "answer": "yes"}) is None


@pytest.mark.parametrize(
    ("path", "field", "milliseconds"),
    [
        ("/BuildingBlocks/ask_approval", "timeout_ms", DAY_MS + 1),
        pytest.param("/Mailbox/x/hold", "milliseconds", 10**18, marks=MORE),
    ],
    ids=["timeout", "hold"],
)
def test_a_timeout_or_hold_beyond_a_day_is_refused_at_once(
    ingress: Ingress, admin: Admin, path: str, field: str, milliseconds: int
) -> None:
    response = ingress.call(path, {"approver": "x", "question": "?", field: milliseconds})
    assert_rejected_as_bad_input(admin, response, field, "Input should be", sent=milliseconds)


@pytest.mark.parametrize(
    ("recipients", "problem"),
    [
        ([], "at least 1 item"),
        pytest.param(["ann", "bob", "ann"], "listed twice", marks=MORE),
        pytest.param([str(n) for n in range(101)], "at most 100", marks=MORE),
    ],
    ids=["nobody", "repeats", "too-many"],
)
def test_a_broadcast_it_cannot_make_is_refused_at_once(
    ingress: Ingress, admin: Admin, recipients: list[str], problem: str
) -> None:
    response = ingress.call("/BuildingBlocks/broadcast", {"to": recipients, "text": "all"})
    assert_rejected_as_bad_input(admin, response, "to", problem)


INVOCATION_ID = "inv_14kKMr6pppdt4uqzFjRwxOYIf1MuKJo78B"  # the form Restate hands out


@pytest.mark.parametrize(
    ("handler", "invocation_id"),
    [
        ("cancel", "garbage-id"),
        pytest.param("attach", INVOCATION_ID + "0", marks=MORE),
        pytest.param("cancel", INVOCATION_ID[:-1], marks=MORE),
        pytest.param("attach", "inv_2" + INVOCATION_ID[5:], marks=MORE),
        pytest.param("cancel", "inv_1lYGhA16ahyg" + INVOCATION_ID[16:], marks=MORE),  # a partition key of 2**64
        pytest.param("attach", INVOCATION_ID[:16] + "7N42dgm5tFLK9N8MT7fHC8", marks=MORE),  # an id of 2**128
    ],
    ids=["garbage", "too-long", "too-short", "version", "key-overflow", "id-overflow"],
)
def test_a_malformed_invocation_id_is_refused_at_once(
    ingress: Ingress, admin: Admin, handler: str, invocation_id: str
) -> None:
    response = ingress.call(f"/BuildingBlocks/{handler}", {"invocation_id": invocation_id})
    assert_rejected_as_bad_input(admin, response, "invocation_id", "not an invocation id", sent=invocation_id)


def test_an_invocation_id_restate_does_not_know_is_not_found(ingress: Ingress) -> None:
    assert ingress.call_ok("/BuildingBlocks/cancel", {"invocation_id": INVOCATION_ID}) is None
    response = ingress.call("/BuildingBlocks/attach", {"invocation_id": INVOCATION_ID})
    assert (response.status_code, response.json()["message"]) == (404, "not found")
