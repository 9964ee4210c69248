"""Workflows: UserSignup runs once per id, waits durably for the click until the link expires,
and can be queried."""

import time
from typing import Any

import pytest
from local_restate.clients import Admin, Ingress, Ledger, assert_rejected_as_bad_input
from local_restate.service_process import ServiceProcess
from local_restate.waiting import wait_for

WAITING = "waiting for the email link to be clicked"
EXPIRED = "link expired"


def start_signup(ingress: Ingress, ledger: Ledger, user_id: str, **link: float) -> tuple[str, str]:
    """Submit the workflow; return its invocation id and the secret it emailed."""
    signup = {"name": "Sam", "email": "sam@example.com", **link}
    invocation = ingress.send(f"/UserSignup/{user_id}/run", signup)
    email = ledger.wait_for(operation=f"email:{user_id}")
    return invocation, email["secret"]


def status(ingress: Ingress, user_id: str) -> Any:
    return ingress.call_ok(f"/UserSignup/{user_id}/status")


def click(ingress: Ingress, user_id: str, secret: str) -> Any:
    return ingress.call_ok(f"/UserSignup/{user_id}/click", {"secret": secret})


def test_signup_completes_when_the_emailed_link_is_clicked(ingress: Ingress, ledger: Ledger, key: str) -> None:
    invocation, secret = start_signup(ingress, ledger, key)
    assert ingress.call_ok(f"/UserSignup/{key}/status") == WAITING

    click(ingress, key, secret)

    assert ingress.attach(invocation) is True
    assert ingress.http.get(f"/restate/workflow/UserSignup/{key}/attach").json() is True
    assert ingress.call_ok(f"/UserSignup/{key}/status") == "verified"
    assert len(ledger.entries(operation=f"user:{key}")) == 1


def test_a_wrong_secret_fails_verification(ingress: Ingress, ledger: Ledger, key: str) -> None:
    invocation, _ = start_signup(ingress, ledger, key)
    click(ingress, key, "not-the-secret")

    assert ingress.attach(invocation) is False
    assert ingress.call_ok(f"/UserSignup/{key}/status") == "verification failed"


def test_a_second_run_with_the_same_id_does_not_run_again(ingress: Ingress, ledger: Ledger, key: str) -> None:
    invocation, secret = start_signup(ingress, ledger, key)

    response = ingress.http.post(f"/UserSignup/{key}/run/send", json={"name": "Other", "email": "o@example.com"})
    assert response.json() == {"invocationId": invocation, "status": "PreviouslyAccepted"}

    click(ingress, key, secret)
    assert ingress.attach(invocation) is True
    assert len(ledger.entries(operation=f"user:{key}")) == 1
    assert len(ledger.entries(operation=f"email:{key}")) == 1


@pytest.mark.slow  # pytest --slow runs it
def test_the_waiting_workflow_survives_a_restart_of_the_service(
    ingress: Ingress, ledger: Ledger, service_process: ServiceProcess, key: str
) -> None:
    invocation, secret = start_signup(ingress, ledger, key)

    service_process.kill()
    service_process.start()

    click(ingress, key, secret)
    assert ingress.attach(invocation) is True
    assert len(ledger.entries(operation=f"user:{key}")) == 1


def test_missing_field_gets_400_naming_it(ingress: Ingress, admin: Admin, key: str) -> None:
    response = ingress.call(f"/UserSignup/{key}/run", {"name": "Sam"})
    assert_rejected_as_bad_input(admin, response, "email", "Field required")


def test_a_click_on_a_signup_that_is_not_waiting_for_one_is_refused(
    ingress: Ingress, ledger: Ledger, admin: Admin, key: str
) -> None:
    # Never started: refused, and the promise stays unresolved for the run to come.
    early = ingress.call(f"/UserSignup/{key}/click", {"secret": "clicked-too-early"})
    assert_rejected_as_bad_input(admin, early, "not waiting for a click", status=409, sent="clicked-too-early")

    invocation, secret = start_signup(ingress, ledger, key)
    click(ingress, key, secret)
    assert ingress.attach(invocation) is True

    # Already clicked, and verified: refused too.
    late = ingress.call(f"/UserSignup/{key}/click", {"secret": "clicked-too-late"})
    assert_rejected_as_bad_input(admin, late, "not waiting for a click", status=409, sent="clicked-too-late")


@pytest.mark.slow  # pytest --slow runs it
def test_a_link_not_clicked_in_time_expires(ingress: Ingress, ledger: Ledger, admin: Admin, key: str) -> None:
    signup = {"name": "Sam", "email": "sam@example.com", "link_valid_seconds": 0.02}
    invocation = ingress.send(f"/UserSignup/{key}/run", signup)

    # Within seconds, not never: without its timer the run would wait for the click forever.
    result = ingress.http.get(f"/restate/invocation/{invocation}/attach", timeout=5)
    assert result.json() is False
    assert status(ingress, key) == EXPIRED

    # The right secret, too late: refused for good, and the outcome stands.
    secret = ledger.wait_for(operation=f"email:{key}")["secret"]
    late = ingress.call(f"/UserSignup/{key}/click", {"secret": secret})
    assert_rejected_as_bad_input(admin, late, "link expired", status=410, sent=secret)
    assert status(ingress, key) == EXPIRED
    assert ingress.attach(invocation) is False


def test_a_click_before_the_link_expires_verifies(ingress: Ingress, ledger: Ledger, key: str) -> None:
    invocation, secret = start_signup(ingress, ledger, key, link_valid_seconds=30)
    click(ingress, key, secret)

    assert ingress.attach(invocation) is True
    assert status(ingress, key) == "verified"


@pytest.mark.slow  # pytest --slow runs it
def test_a_link_that_expires_while_the_service_is_down_has_expired_when_it_is_back(
    ingress: Ingress, ledger: Ledger, admin: Admin, service_process: ServiceProcess, key: str
) -> None:
    invocation, _ = start_signup(ingress, ledger, key, link_valid_seconds=1)
    timer = f"SELECT 1 FROM sys_journal WHERE id = '{invocation}' AND entry_type = 'Command: Sleep'"
    wait_for(lambda: admin.query(timer), 5, "the timer in the run's journal")
    service_process.kill()
    time.sleep(1.2)  # the link expires meanwhile

    # Restate kept the timer, and it is due: the run ends at once, not a second after the restart.
    service_process.start()
    back = time.monotonic()
    assert ingress.attach(invocation) is False
    assert time.monotonic() - back < 0.8
    assert status(ingress, key) == EXPIRED


@pytest.mark.usefixtures("service")
def test_the_retention_settings_reach_restate(admin: Admin) -> None:
    # What workflows.py declares is what Restate applies: the registered service's settings.
    settings = admin.service("UserSignup")
    assert settings["workflow_completion_retention"] == "1h"
    assert settings["journal_retention"] == "1h"
