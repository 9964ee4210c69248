"""Durable execution: every step of SubscriptionService/add happens exactly once,
through injected failures and through a killed process."""

from typing import Any

from local_restate import Ingress, Ledger, RestateServer, ServiceProcess, assert_rejected_as_bad_input

SUBSCRIPTIONS = ["Netflix", "Disney+", "HBO Max"]


def signup(user_id: str) -> dict[str, Any]:
    return {"user_id": user_id, "credit_card": "4111111111111111", "subscriptions": SUBSCRIPTIONS}


def assert_each_effect_happened_once(ledger: Ledger, user_id: str, payment_ref: str) -> None:
    assert len(ledger.entries(reference=payment_ref)) == 1, "the card was charged more than once"
    for subscription in SUBSCRIPTIONS:
        made = ledger.entries(operation=f"subscription:{user_id}:{subscription}")
        assert len(made) == 1, f"{subscription}: subscribed {len(made)} times"


def test_add_runs_each_step_exactly_once_despite_failures(ingress: Ingress, ledger: Ledger, key: str) -> None:
    result = ingress.call_ok("/SubscriptionService/add", signup(key))

    assert result["subscriptions"] == dict.fromkeys(SUBSCRIPTIONS, "SUCCESS")
    assert_each_effect_happened_once(ledger, key, result["payment_ref"])
    # Every external call failed once before it succeeded: the retries really happened.
    assert len(ledger.entries("attempt", operation=f"subscription:{key}:Netflix")) == 2


def test_the_card_number_is_never_logged_in_full(ingress: Ingress, service: ServiceProcess, key: str) -> None:
    ingress.call_ok("/SubscriptionService/add", signup(key))
    assert "4111111111111111" not in service.log.read_text()


def test_add_resumes_after_the_service_process_is_killed(
    ingress: Ingress, ledger: Ledger, service_process: ServiceProcess, key: str
) -> None:
    # Slow external systems give the test time to kill the process between two steps.
    service_process.kill()
    service_process.start(EXTERNAL_LATENCY_SECONDS="0.05")
    invocation = ingress.send("/SubscriptionService/add", signup(key))

    # The payment is journaled once the first subscription is attempted.
    ledger.wait_for("attempt", operation=f"subscription:{key}:Netflix")
    service_process.kill()
    assert not ledger.entries(operation=f"subscription:{key}:Netflix")

    service_process.start()
    result = ingress.attach(invocation)

    assert result["subscriptions"] == dict.fromkeys(SUBSCRIPTIONS, "SUCCESS")
    assert_each_effect_happened_once(ledger, key, result["payment_ref"])


def test_malformed_json_gets_400(ingress: Ingress, restate_server: RestateServer) -> None:
    response = ingress.post_raw("/SubscriptionService/add", b'{"user_id": "x", ')
    assert_rejected_as_bad_input(restate_server, response, "Invalid JSON")


def test_missing_field_gets_400_naming_it(ingress: Ingress, restate_server: RestateServer) -> None:
    response = ingress.call("/SubscriptionService/add", {"user_id": "x", "subscriptions": []})
    assert_rejected_as_bad_input(restate_server, response, "credit_card", "Field required")
