"""Nothing is lost when restate-server restarts: its data directory keeps state and promises."""

import pytest
from local_restate.clients import Ingress, Ledger
from local_restate.restate_server import RestateServer


@pytest.mark.slow  # pytest --slow runs it
def test_state_and_waiting_work_survive_a_restart_of_restate(
    restate_server: RestateServer, ingress: Ingress, ledger: Ledger, key: str
) -> None:
{%- if cookiecutter.virtual_objects %}
    ingress.call_ok(f"/Greeter/{key}/greet", {})
    ingress.call_ok(f"/Greeter/{key}/greet", {})
{%- endif %}
{%- if cookiecutter.workflows %}
    signup = ingress.send(f"/UserSignup/{key}/run", {"name": "Sam", "email": "sam@example.com"})
    secret = ledger.wait_for(operation=f"email:{key}")["secret"]
{%- endif %}

    restate_server.restart()
{% if cookiecutter.virtual_objects %}
    assert ingress.call_ok(f"/Greeter/{key}/count") == 2
    assert ingress.call_ok(f"/Greeter/{key}/greet", {})["count"] == 3
{%- endif %}
{%- if cookiecutter.workflows %}
    # The workflow waited on its promise through the restart, and completes now.
    assert ingress.call_ok(f"/UserSignup/{key}/status") == "waiting for the email link to be clicked"
    ingress.call_ok(f"/UserSignup/{key}/click", {"secret": secret})
    assert ingress.attach(signup) is True
    assert len(ledger.entries(operation=f"user:{key}")) == 1
{%- endif %}
