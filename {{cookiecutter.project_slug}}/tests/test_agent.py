"""The durable agent: its model calls and tool effects happen once, through failures and crashes.

The service runs the offline model (no AGENT_MODEL set), which answers the same way every time
and writes each call it answers to the ledger: the tests count model calls as they count
effects. Each test names its conversation in its message, as ``(key)``, to find its own calls.
"""

from typing import Any

import pytest
from local_restate.clients import Admin, Ingress, Ledger, assert_rejected_as_bad_input
from local_restate.service_process import ServiceProcess
from local_restate.waiting import wait_for


def model_calls(ledger: Ledger, key: str) -> list[dict[str, Any]]:
    return [entry for entry in ledger.entries("model-call") if f"({key})" in entry["prompt"]]


def refunds(ledger: Ledger, order_id: str) -> list[dict[str, Any]]:
    return [entry for entry in ledger.entries(order_id=order_id) if entry["operation"].startswith("refund:")]


def ask(ingress: Ingress, key: str, message: str) -> Any:
    return ingress.call_ok(f"/SupportAgent/{key}/ask", {"message": message})


def test_a_turn_calls_the_tools_and_answers(ingress: Ingress, ledger: Ledger, key: str) -> None:
    answer = ask(ingress, key, f"Please refund order A-1002. ({key})")

    assert answer["model"] == "offline"
    assert answer["answer"].startswith("Refunded order A-1002 (9.50 EUR), refund re-")
    # Three model calls: look the order up, refund it, answer.
    assert len(model_calls(ledger, key)) == 3
    reference = answer["answer"].rsplit(" ", 1)[-1].rstrip(".")
    refund = ledger.entries(result=reference)
    assert len(refund) == 1
    # The refund failed once (the suite's injected failure) and Restate retried the tool's
    # step alone: no model call was made again.
    assert len(ledger.entries("attempt", operation=refund[0]["operation"])) == 2


@pytest.mark.slow  # pytest --slow runs it
def test_the_session_keeps_the_conversation_across_turns(ingress: Ingress, key: str) -> None:
    first = ask(ingress, key, "Where is my order A-1002?")
    second = ask(ingress, key, "Please refund it.")  # "it": the order of the turn before

    assert first["answer"] == "Order A-1002: a USB-C cable, 9.50 EUR, delivered."
    assert second["answer"].startswith("Refunded order A-1002")
    assert ingress.call_ok(f"/SupportAgent/{key}/transcript") == [
        "customer: Where is my order A-1002?",
        f"agent: {first['answer']}",
        "customer: Please refund it.",
        f"agent: {second['answer']}",
    ]


def test_a_refusal_goes_back_to_the_model_as_the_tools_answer(ingress: Ingress, ledger: Ledger, key: str) -> None:
    answer = ask(ingress, key, f"Please refund order Z-9999. ({key})")

    # Refused for good (a TerminalError in the refund's step): not retried, and the turn answers.
    assert answer["answer"] == "The refund was refused: There is no order Z-9999 to refund"
    assert len(ledger.entries("refused", order_id="Z-9999")) == 1


def test_a_turn_without_an_order_number_asks_for_it(ingress: Ingress, key: str) -> None:
    assert ask(ingress, key, "Hello?")["answer"].startswith("Which order is it about?")


@pytest.mark.slow  # pytest --slow runs it
def test_a_crash_between_a_model_call_and_a_tool_repeats_no_model_call_and_refunds_once(
    ingress: Ingress, ledger: Ledger, service_process: ServiceProcess, key: str
) -> None:
    # Slow external systems give the test time to kill the process in the refund's step.
    service_process.kill()
    service_process.start(EXTERNAL_LATENCY_SECONDS="0.2", FAIL_FIRST_ATTEMPTS="0")
    refunds_before = len(refunds(ledger, "A-1002"))
    attempts_before = len(ledger.entries("attempt", order_id="A-1002"))
    invocation = ingress.send(f"/SupportAgent/{key}/ask", {"message": f"Refund A-1002. ({key})"})

    # The model asked for the refund (its answer is journaled): kill the process in the refund step.
    wait_for(lambda: len(ledger.entries("attempt", order_id="A-1002")) > attempts_before, 10, "the refund starting")
    service_process.kill()
    assert len(model_calls(ledger, key)) == 2

    service_process.start(FAIL_FIRST_ATTEMPTS="0")
    answer = ingress.attach(invocation)

    assert answer["answer"].startswith("Refunded order A-1002")
    # The two model calls before the crash came back from the journal: three calls, not five.
    assert len(model_calls(ledger, key)) == 3
    assert len(refunds(ledger, "A-1002")) == refunds_before + 1


@pytest.mark.slow  # pytest --slow runs it
def test_a_refund_run_again_after_a_crash_right_after_its_effect_refunds_once(
    ingress: Ingress, ledger: Ledger, service_process: ServiceProcess, key: str
) -> None:
    # The refund's first attempt kills the process right after the refund was made, before
    # Restate stored the step's result: the step runs again, with the same idempotency key.
    service_process.kill()
    crash = {"FAIL_OPERATIONS": "refund:first=1", "FAIL_AFTER_EFFECT": "1", "CRASH_PROCESS": "1"}
    service_process.start(**crash, FAIL_FIRST_ATTEMPTS="0")
    refunds_before = len(refunds(ledger, "A-1002"))
    invocation = ingress.send(f"/SupportAgent/{key}/ask", {"message": f"Refund A-1002. ({key})"})
    wait_for(lambda: not service_process.running, 10, "the service crashing after the refund")

    service_process.start(FAIL_FIRST_ATTEMPTS="0")
    answer = ingress.attach(invocation)["answer"]

    assert answer.startswith("Refunded order A-1002")
    assert len(refunds(ledger, "A-1002")) == refunds_before + 1
    # The step ran again with the same key, and the refund API answered it from its first effect.
    refund = ledger.entries(result=answer.rsplit(" ", 1)[-1].rstrip("."))
    assert len(ledger.entries("repeat", operation=refund[0]["operation"])) == 1
    assert len(model_calls(ledger, key)) == 3


def approvals(ledger: Ledger, order_id: str) -> list[dict[str, Any]]:
    return [entry for entry in ledger.entries(order_id=order_id) if entry["operation"].startswith("approval:")]


@pytest.mark.parametrize(
    ("approved", "says"),
    [
        pytest.param(True, "Refunded order A-1001", marks=pytest.mark.slow),  # pytest --slow runs it
        (False, "was not approved"),
    ],
)
def test_a_large_refund_waits_for_a_human(
    ingress: Ingress, ledger: Ledger, key: str, approved: bool, says: str
) -> None:
    asked_before = len(approvals(ledger, "A-1001"))
    invocation = ingress.send(f"/SupportAgent/{key}/ask", {"message": f"Refund order A-1001. ({key})"})
    # The human finds the awakeable's id in their inbox (here: the ledger), and answers.
    asked = wait_for(lambda: approvals(ledger, "A-1001")[asked_before:], 10, "the approval request")[0]
    refunds_before = len(refunds(ledger, "A-1001"))

    ingress.http.post(f"/restate/awakeables/{asked['awakeable_id']}/resolve", json=approved).raise_for_status()

    assert says in ingress.attach(invocation)["answer"]
    assert len(refunds(ledger, "A-1001")) == refunds_before + approved


def test_malformed_input_gets_400_naming_the_field(ingress: Ingress, admin: Admin, key: str) -> None:
    response = ingress.call(f"/SupportAgent/{key}/ask", {"message": ""})
    assert_rejected_as_bad_input(admin, response, "message", "at least 1 character")
