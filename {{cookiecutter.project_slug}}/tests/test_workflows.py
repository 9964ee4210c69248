"""Workflows: UserSignup runs once per id, waits durably for the click, and can be queried."""

from typing import Any

from local_restate.clients import Admin, Ingress, Ledger, assert_rejected_as_bad_input
from local_restate.service_process import ServiceProcess

WAITING = "waiting for the email link to be clicked"


def start_signup(ingress: Ingress, ledger: Ledger, user_id: str) -> tuple[str, str]:
    """Submit the workflow; return its invocation id and the secret it emailed."""
    invocation = ingress.send(f"/UserSignup/{user_id}/run", {"name": "Sam", "email": "sam@example.com"})
    email = ledger.wait_for(operation=f"email:{user_id}")
    return invocation, email["secret"]


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
