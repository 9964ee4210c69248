"""On a cluster (pytest --restate-nodes=3): a node dies mid-suite and nothing is lost."""

import pytest
from local_restate.clients import Ingress, Ledger
from local_restate.restate_server import RestateServer

pytestmark = pytest.mark.cluster


def test_nothing_is_lost_when_a_node_dies(
    restate_server: RestateServer, ingress: Ingress, ledger: Ledger, key: str
) -> None:
{%- if cookiecutter.virtual_objects %}
    counts = [ingress.call_ok(f"/Greeter/{key}/greet", {})["count"] for _ in range(3)]
{%- endif %}
{%- if cookiecutter.workflows %}
    signup = ingress.send(f"/UserSignup/{key}/run", {"name": "Sam", "email": "sam@example.com"})
    secret = ledger.wait_for(operation=f"email:{key}")["secret"]
{%- endif %}

    restate_server.kill_node(restate_server.nodes[-1])
    assert len(restate_server.live_nodes) == len(restate_server.nodes) - 1
{% if cookiecutter.virtual_objects %}
    # Calls go through the surviving nodes: every greeting counted once, none lost.
    counts += [ingress.call_ok(f"/Greeter/{key}/greet", {})["count"] for _ in range(3)]
    assert counts == [1, 2, 3, 4, 5, 6]
{%- endif %}
{%- if cookiecutter.workflows %}
    # The workflow waited on its promise on the lost node's partition, and completes now.
    ingress.call_ok(f"/UserSignup/{key}/click", {"secret": secret})
    assert ingress.attach(signup) is True
    assert len(ledger.entries(operation=f"user:{key}")) == 1
{%- endif %}
