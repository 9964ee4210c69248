"""Durable execution: every effect of SubscriptionService/add happens exactly once, through
injected failures, a crash right after an effect, and crashes at random under load; and when
the signup cannot finish, every step made is undone, newest first, once."""

import os
import random
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
import pytest
from local_restate.clients import Admin, Ingress, Ledger, assert_rejected_as_bad_input
from local_restate.restate_server import RestateServer
from local_restate.service_process import ServiceProcess
from local_restate.waiting import wait_for

from {{ cookiecutter.package_name }}.durable_execution import SUBSCRIBE_ATTEMPTS

SUBSCRIPTIONS = ["Netflix", "Disney+", "HBO Max"]
CARD = "4242424242424242"  # a test card number
DECLINED = "pm_card_chargeDeclined"  # the payment API declines it (Stripe's test token)
SOLD_OUT = "SoldOutTV"  # the subscription API refuses it: sold out


def no_part_of_the_card_in(text: str) -> bool:
    """True if not even 8 digits of the card appear: at most the last four may be shown."""
    return not any(CARD[start : start + 8] in text for start in range(len(CARD) - 7))


def signup(user_id: str, subscriptions: list[str] = SUBSCRIPTIONS) -> dict[str, Any]:
    return {"user_id": user_id, "payment_method": "pm_card_visa", "subscriptions": subscriptions}


def story(ledger: Ledger, user_id: str) -> list[str]:
    """What the external systems made and refused for this user's signup, in order:
    "payment: done", "subscription Netflix: refused", "cancel-subscription Netflix: CANCELLED"."""
    entries = ledger.all()
    payment_keys = {entry["key"] for entry in entries if entry.get("user_id") == user_id}
    told: list[str] = []
    for entry in entries:
        kind, _, rest = entry["operation"].partition(":")
        service = rest.removeprefix(f"{user_id}:") if rest.startswith(f"{user_id}:") else None
        ours = entry.get("user_id") == user_id or service is not None or entry.get("cancels") in payment_keys
        if ours and entry["event"] in ("done", "refused"):
            outcome = entry["result"] if kind.startswith("cancel-") else entry["event"]
            line = f"{kind} {service}: {outcome}" if service else f"{kind}: {outcome}"
            # A refusal is no effect: the step may run again (at least once, as every step), and
            # be refused again, if its attempt broke off before Restate stored its result.
            if not (entry["event"] == "refused" and told and told[-1] == line):
                told.append(line)
    return told


def assert_failed_for_good(admin: Admin, response: httpx.Response, status: int, message: str) -> None:
    """The call failed with a TerminalError of this status: its message in the answer, no retry."""
    assert response.status_code == status, f"{response.status_code} {response.text}"
    assert message in response.json()["message"], response.text
    invocation = admin.invocation(response.headers["x-restate-id"])
    assert (invocation["status"], invocation["completion_result"]) == ("completed", "failure"), invocation
    assert invocation["completion_failure"].startswith(f"[{status}]"), invocation


def assert_netflix_tried_max_attempts(ledger: Ledger, restate_server: RestateServer, user_id: str) -> None:
    """The step subscribing to Netflix was tried SUBSCRIBE_ATTEMPTS times before it gave up. On a
    cluster, at least that often: a node taking the invocation over (a node died) may count afresh."""
    attempts = len(ledger.entries("attempt", operation=f"subscription:{user_id}:Netflix"))
    if len(restate_server.nodes) == 1:
        assert attempts == SUBSCRIBE_ATTEMPTS
    else:
        assert attempts >= SUBSCRIBE_ATTEMPTS


def assert_each_effect_happened_once(
    ledger: Ledger, user_id: str, result: dict[str, Any], subscriptions: list[str] = SUBSCRIPTIONS
) -> None:
    assert result["subscriptions"] == dict.fromkeys(subscriptions, "SUCCESS")
    assert len(ledger.entries(reference=result["payment_ref"])) == 1, "the card was charged more than once"
    for subscription in subscriptions:
        made = ledger.entries(operation=f"subscription:{user_id}:{subscription}")
        assert len(made) == 1, f"{user_id} subscribed to {subscription} {len(made)} times"


def test_add_runs_each_step_exactly_once_despite_failures(ingress: Ingress, ledger: Ledger, key: str) -> None:
    result = ingress.call_ok("/SubscriptionService/add", signup(key))

    assert_each_effect_happened_once(ledger, key, result)
    # Every external call failed once before it succeeded: the retries really happened.
    assert len(ledger.entries("attempt", operation=f"subscription:{key}:Netflix")) == 2


@pytest.mark.slow  # pytest --slow runs it
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

    # Back, without injected failures this time: what is left resumes at once.
    service_process.start(FAIL_FIRST_ATTEMPTS="0")
    assert_each_effect_happened_once(ledger, key, ingress.attach(invocation))


@pytest.mark.slow  # pytest --slow runs it
def test_a_step_run_again_after_a_crash_right_after_its_effect_makes_no_second_effect(
    ingress: Ingress, ledger: Ledger, service_process: ServiceProcess, key: str
) -> None:
    # The first attempt of each call dies right after its effect, before Restate stores the
    # step's result: the window in which Restate runs a step again.
    service_process.kill()
    service_process.start(FAIL_AFTER_EFFECT="1", CRASH_PROCESS="1")
    invocation = ingress.send("/SubscriptionService/add", signup(key, ["Netflix"]))
    wait_for(lambda: not service_process.running, 10, "the service crashing after the payment")

    service_process.start(FAIL_FIRST_ATTEMPTS="0")
    result = ingress.attach(invocation)

    # The step ran again with the same key, and the payment API answered it from its first effect.
    assert_each_effect_happened_once(ledger, key, result, ["Netflix"])
    payment = ledger.entries(reference=result["payment_ref"])
    repeats = ledger.entries("repeat", operation=payment[0]["operation"], key=payment[0]["key"])
    assert [repeat["result"] for repeat in repeats] == [result["payment_ref"]]


def test_a_declined_payment_method_gets_402_and_no_subscription_is_made(
    ingress: Ingress, admin: Admin, ledger: Ledger, key: str
) -> None:
    response = ingress.call("/SubscriptionService/add", {**signup(key, ["Netflix"]), "payment_method": DECLINED})

    assert_failed_for_good(admin, response, 402, "The payment method was declined")
    # The undo of the payment, set up before its step, finds nothing to cancel.
    assert story(ledger, key) == ["payment: refused", "cancel-payment: NOT_FOUND"]
    assert not ledger.entries("attempt", operation=f"subscription:{key}:Netflix")


def test_a_sold_out_subscription_gets_409_and_the_steps_before_it_are_undone_newest_first(
    ingress: Ingress, admin: Admin, ledger: Ledger, key: str
) -> None:
    response = ingress.call("/SubscriptionService/add", signup(key, ["Netflix", SOLD_OUT, "Disney+"]))

    assert_failed_for_good(admin, response, 409, f"{SOLD_OUT} is sold out")
    assert story(ledger, key) == [
        "payment: done",
        "subscription Netflix: done",
        f"subscription {SOLD_OUT}: refused",
        f"cancel-subscription {SOLD_OUT}: NOT_FOUND",
        "cancel-subscription Netflix: CANCELLED",
        "cancel-payment: CANCELLED",
    ]
    # An undo that fails (each call fails once, here) is retried until it succeeds.
    assert len(ledger.entries("attempt", operation=f"cancel-subscription:{key}:Netflix")) == 2


@pytest.mark.slow  # pytest --slow runs it
def test_a_subscription_that_keeps_failing_is_given_up_after_max_attempts_and_undone(
    ingress: Ingress,
    admin: Admin,
    ledger: Ledger,
    restate_server: RestateServer,
    service_process: ServiceProcess,
    key: str,
) -> None:
    service_process.kill()
    service_process.start(FAIL_OPERATIONS="subscription:always", FAIL_FIRST_ATTEMPTS="0")
    response = ingress.call("/SubscriptionService/add", signup(key, ["Netflix", "Disney+"]))

    gave_up = f"Could not subscribe to Netflix: gave up after {SUBSCRIBE_ATTEMPTS} attempts"
    assert_failed_for_good(admin, response, 503, gave_up)
    assert_netflix_tried_max_attempts(ledger, restate_server, key)
    assert story(ledger, key) == [
        "payment: done",
        "cancel-subscription Netflix: NOT_FOUND",
        "cancel-payment: CANCELLED",
    ]


@pytest.mark.slow  # pytest --slow runs it
def test_a_step_given_up_after_its_effect_is_undone_too_and_an_undo_never_gives_up(
    ingress: Ingress,
    admin: Admin,
    ledger: Ledger,
    restate_server: RestateServer,
    service_process: ServiceProcess,
    key: str,
) -> None:
    # Every attempt to subscribe fails after its effect, like an answer lost on its way back:
    # the subscription exists. Undoing it fails as often, but an undo does not give up.
    service_process.kill()
    failing = f"subscription:always,cancel-subscription:first={SUBSCRIBE_ATTEMPTS}"
    service_process.start(FAIL_OPERATIONS=failing, FAIL_AFTER_EFFECT="1")
    response = ingress.call("/SubscriptionService/add", signup(key, ["Netflix", "Disney+"]))

    assert_failed_for_good(admin, response, 503, f"gave up after {SUBSCRIBE_ATTEMPTS} attempts")
    assert_netflix_tried_max_attempts(ledger, restate_server, key)
    assert len(ledger.entries("attempt", operation=f"cancel-subscription:{key}:Netflix")) == SUBSCRIBE_ATTEMPTS + 1
    assert story(ledger, key) == [
        "payment: done",
        "subscription Netflix: done",
        "cancel-subscription Netflix: CANCELLED",
        "cancel-payment: CANCELLED",
    ]


@pytest.mark.slow  # pytest --slow runs it
def test_the_attempts_made_while_the_service_is_down_count_toward_max_attempts(
    ingress: Ingress, admin: Admin, ledger: Ledger, service_process: ServiceProcess, key: str
) -> None:
    service_process.kill()
    service_process.start(EXTERNAL_LATENCY_SECONDS="0.1", FAIL_FIRST_ATTEMPTS="0")
    invocation = ingress.send("/SubscriptionService/add", signup(key, ["Netflix"]))
    ledger.wait_for("attempt", operation=f"subscription:{key}:Netflix")
    service_process.kill()
    # Restate keeps trying, and failing to reach the service.
    wait_for(lambda: admin.invocation(invocation)["retry_count"] >= SUBSCRIBE_ATTEMPTS, 10, "the attempts used up")

    service_process.start(FAIL_OPERATIONS="subscription:first=1", FAIL_FIRST_ATTEMPTS="0")
    answer = ingress.http.get(f"/restate/invocation/{invocation}/attach")
    # Two attempts reached the subscription system: the one cut short, and one failure.
    assert answer.status_code == 503, answer.text
    assert len(ledger.entries("attempt", operation=f"subscription:{key}:Netflix")) == 2
    assert story(ledger, key) == [
        "payment: done",
        "cancel-subscription Netflix: NOT_FOUND",
        "cancel-payment: CANCELLED",
    ]


@pytest.mark.slow  # pytest --slow runs it
def test_a_crash_while_undoing_resumes_and_undoes_each_step_once(
    ingress: Ingress, ledger: Ledger, service_process: ServiceProcess, key: str
) -> None:
    # The process dies right after cancelling the payment, the last undo, before Restate has
    # stored that step's result.
    service_process.kill()
    crash = {"FAIL_OPERATIONS": "cancel-payment:first=1", "FAIL_AFTER_EFFECT": "1", "CRASH_PROCESS": "1"}
    service_process.start(**crash, FAIL_FIRST_ATTEMPTS="0")
    invocation = ingress.send("/SubscriptionService/add", signup(key, ["Netflix", SOLD_OUT]))
    wait_for(lambda: not service_process.running, 10, "the service crashing after cancelling the payment")

    service_process.start(FAIL_FIRST_ATTEMPTS="0")
    answer = ingress.http.get(f"/restate/invocation/{invocation}/attach")
    assert (answer.status_code, answer.json()["message"]) == (409, f"{SOLD_OUT} is sold out"), answer.text
    assert story(ledger, key) == [
        "payment: done",
        "subscription Netflix: done",
        f"subscription {SOLD_OUT}: refused",
        f"cancel-subscription {SOLD_OUT}: NOT_FOUND",
        "cancel-subscription Netflix: CANCELLED",
        "cancel-payment: CANCELLED",
    ]
    # The undos finished before the crash did not run again; the one cut short did, with its
    # key, and the payment API answered it from its first effect.
    assert len(ledger.entries("attempt", operation=f"cancel-subscription:{key}:Netflix")) == 1
    payment_key = ledger.entries(user_id=key)[0]["key"]
    assert len(ledger.entries("repeat", operation=f"cancel-payment:{payment_key}")) == 1


@pytest.mark.slow  # pytest --slow runs it
def test_each_effect_happens_once_when_the_service_is_killed_at_random_under_load(
    ingress: Ingress, ledger: Ledger, service_process: ServiceProcess, key: str
) -> None:
    # 32 calls, 96 effects. Three SIGKILLs, each right after a random one of the first 64
    # effects: often before Restate has stored that step's result. Seeded: CRASH_SEED=<the seed
    # printed> kills after the same effects.
    seed = int(os.environ.get("CRASH_SEED") or random.randrange(2**32))
    kill_points = sorted(random.Random(seed).sample(range(1, 65), 3))
    fast = {"EXTERNAL_LATENCY_SECONDS": "0.005", "FAIL_FIRST_ATTEMPTS": "0"}
    service_process.kill()  # Restate holds the calls until the service is back: they start together
    before = ledger.count()
    users = [f"{key}-{n}" for n in range(32)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        calls = [signup(user, ["Netflix", "Disney+"]) for user in users]
        invocations = list(pool.map(lambda call: ingress.send("/SubscriptionService/add", call), calls))
    service_process.start(**fast)

    def made_at_least(effects: int) -> bool:
        return ledger.count() - before >= effects

    for kill_point in kill_points:
        wait_for(partial(made_at_least, kill_point), 10, f"{kill_point} effects", interval=0.002)
        service_process.kill()
        service_process.start(**fast)
    results = [ingress.attach(invocation) for invocation in invocations]

    # How many steps ran again after their effect, each answered from the first effect.
    payments = {result["payment_ref"] for result in results}
    repeats = [e for e in ledger.entries("repeat") if e["result"] in payments or f":{key}-" in e["operation"]]
    print(f"CRASH_SEED={seed}: {len(repeats)} steps ran again after their effect")
    for user, result in zip(users, results, strict=True):
        assert_each_effect_happened_once(ledger, user, result, ["Netflix", "Disney+"])


def test_malformed_json_gets_400_that_does_not_repeat_it(ingress: Ingress, admin: Admin) -> None:
    response = ingress.post_raw("/SubscriptionService/add", b'{"user_id": "x-unrepeated", ')
    assert_rejected_as_bad_input(admin, response, "Invalid JSON", sent="x-unrepeated")


def test_missing_field_gets_400_naming_it(ingress: Ingress, admin: Admin) -> None:
    response = ingress.call("/SubscriptionService/add", {"user_id": "x", "subscriptions": []})
    assert_rejected_as_bad_input(admin, response, "payment_method", "Field required")


def test_a_card_number_is_refused_and_never_repeated_or_logged(
    ingress: Ingress, admin: Admin, restate_server: RestateServer, service: ServiceProcess, key: str
) -> None:
    # In place of the payment method, in the field this API once had, in broken JSON.
    as_token = ingress.call("/SubscriptionService/add", {**signup(key), "payment_method": CARD})
    as_old_field = ingress.call("/SubscriptionService/add", {"user_id": key, "credit_card": CARD, "subscriptions": []})
    broken = ingress.post_raw("/SubscriptionService/add", b'{"payment_method": "%s", ' % CARD.encode())

    assert_rejected_as_bad_input(admin, as_token, "payment_method", "pattern")
    assert_rejected_as_bad_input(admin, as_old_field, "payment_method", "Field required")
    assert_rejected_as_bad_input(admin, broken, "Invalid JSON")
    for response in (as_token, as_old_field, broken):
        assert no_part_of_the_card_in(response.text), response.text
    # Nor in the logs: only Restate's journal holds what a caller sent.
    for log in [service.log, *(node.log for node in restate_server.nodes)]:
        assert no_part_of_the_card_in(log.read_text(errors="replace")), log
