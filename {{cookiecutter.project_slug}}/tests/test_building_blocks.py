"""Building blocks: each block does what it promises, observed through the Mailbox."""

import time
from typing import Any

import pytest
from local_restate.clients import Admin, Ingress, Ledger, assert_rejected_as_bad_input
from local_restate.waiting import wait_for


def inbox(ingress: Ingress, recipient: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = ingress.call_ok(f"/Mailbox/{recipient}/read")["messages"]
    return messages


def wait_for_mail(ingress: Ingress, recipient: str, count: int = 1) -> list[dict[str, Any]]:
    def arrived() -> list[dict[str, Any]]:
        messages = inbox(ingress, recipient)
        return messages if len(messages) >= count else []

    return wait_for(arrived, 10, f"{count} message(s) for {recipient}")


def test_rpc_returns_the_callees_answer(ingress: Ingress, key: str) -> None:
    assert ingress.call_ok("/BuildingBlocks/call", {"to": key, "text": "one"}) == 1
    assert ingress.call_ok("/BuildingBlocks/call", {"to": key, "text": "two"}) == 2
    assert [m["text"] for m in inbox(ingress, key)] == ["one", "two"]


def test_a_one_way_message_arrives(ingress: Ingress, key: str) -> None:
    assert ingress.call_ok("/BuildingBlocks/send", {"to": key, "text": "hello"}) is None
    assert wait_for_mail(ingress, key)[0]["text"] == "hello"


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

    assert ingress.attach(waiting) == "yes"


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


@pytest.mark.parametrize("delay_ms", [24 * 60 * 60 * 1000 + 1, 10**18])
def test_a_delay_beyond_a_day_is_refused_at_once(ingress: Ingress, admin: Admin, delay_ms: int) -> None:
    response = ingress.call("/BuildingBlocks/send_later", {"to": "x", "text": "never", "delay_ms": delay_ms})
    assert_rejected_as_bad_input(admin, response, "delay_ms", "Input should be", sent=delay_ms)


@pytest.mark.parametrize("milliseconds", [60 * 1000 + 1, 10**13, 10**18])
def test_a_sleep_beyond_a_minute_is_refused_at_once(ingress: Ingress, admin: Admin, milliseconds: int) -> None:
    response = ingress.call("/BuildingBlocks/sleep", {"milliseconds": milliseconds})
    assert_rejected_as_bad_input(admin, response, "milliseconds", "Input should be", sent=milliseconds)


VALID_LOOKING = "sign_1IDThkmrQsg7Ex0q-0Xpodpr0T5PnnxhRAAAAEQ"  # the form ask_approval mails


@pytest.mark.parametrize(
    "awakeable_id",
    ["garbage-id", VALID_LOOKING + "AA", VALID_LOOKING[:-1] + "R"],
    ids=["garbage", "too-long", "stray-bits"],
)
def test_a_malformed_awakeable_id_is_refused_at_once(ingress: Ingress, admin: Admin, awakeable_id: str) -> None:
    response = ingress.call("/BuildingBlocks/approve", {"awakeable_id": awakeable_id, "answer": "yes"})
    assert_rejected_as_bad_input(admin, response, "awakeable_id", "not an awakeable id", sent=awakeable_id)


def test_an_awakeable_id_of_no_waiting_handler_resolves_nothing(ingress: Ingress) -> None:
    assert ingress.call_ok("/BuildingBlocks/approve", {"awakeable_id": VALID_LOOKING, "answer": "yes"}) is None
