"""Calling the service from Python: client.py's calls, through Restate, with the SDK's typed client."""

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import restate
from local_restate.clients import Ingress{% if cookiecutter.workflows or cookiecutter.durable_execution %}, Ledger{% endif %}

from {{ cookiecutter.package_name }} import client
{%- if cookiecutter.durable_execution %}
from {{ cookiecutter.package_name }}.durable_execution import SubscriptionRequest
{%- endif %}
{%- if cookiecutter.workflows %}
from {{ cookiecutter.package_name }}.workflows import User
{%- endif %}

T = TypeVar("T")


class ThroughRestate:
    """Runs calls with one client of the tests' Restate, open on one event loop for the module,
    as an app keeps one client: each new client loads its TLS certificates (~50 ms)."""

    def __init__(self, ingress_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.open = contextlib.AsyncExitStack()
        self.client = self.loop.run_until_complete(self.open.enter_async_context(restate.create_client(ingress_url)))

    def __call__(self, calls: Callable[[restate.RestateClient], Coroutine[Any, Any, T]]) -> T:
        return self.loop.run_until_complete(calls(self.client))

    def close(self) -> None:
        self.loop.run_until_complete(self.open.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def through_restate(ingress: Ingress) -> Iterator[ThroughRestate]:
    through = ThroughRestate(ingress.server.ingress_url)
    yield through
    through.close()
{%- if cookiecutter.durable_execution %}


def test_a_request_response_call_returns_the_handlers_result(
    through_restate: ThroughRestate, ledger: Ledger, key: str
) -> None:
    request = SubscriptionRequest(user_id=key, payment_method="pm_card_visa", subscriptions=["Netflix"])

    result = through_restate(lambda c: client.subscribe(c, request, idempotency_key=key))

    assert result.subscriptions == {"Netflix": "SUCCESS"}
    assert len(ledger.entries(operation=f"subscription:{key}:Netflix")) == 1
{%- endif %}
{%- if cookiecutter.building_blocks %}


def test_a_one_way_send_with_an_idempotency_key_starts_once(
    through_restate: ThroughRestate, ingress: Ingress, key: str
) -> None:
    async def post_twice(c: restate.RestateClient) -> tuple[str, str]:
        first = await client.post(c, key, "once", idempotency_key=f"{key}-1")
        return first, await client.post(c, key, "once", idempotency_key=f"{key}-1")

    first, again = through_restate(post_twice)

    assert first == again
    ingress.attach(first)
    assert [m["text"] for m in ingress.call_ok(f"/Mailbox/{key}/read")["messages"]] == ["once"]
{%- endif %}
{%- if cookiecutter.virtual_objects %}


def test_a_call_to_a_virtual_object_is_typed(through_restate: ThroughRestate, key: str) -> None:
    greeting = through_restate(lambda c: client.greet_by_name(c, key, "Hi", idempotency_key=key))

    assert greeting.count == 1
{%- endif %}
{%- if cookiecutter.workflows %}


def test_attaching_to_a_workflow_returns_the_first_runs_result(
    through_restate: ThroughRestate, ingress: Ingress, ledger: Ledger, key: str
) -> None:
    user = User(name="Kim", email="kim@example.com")
    started = through_restate(lambda c: client.start_signup(c, key, user))
    secret = ledger.wait_for(operation=f"email:{key}")["secret"]
    assert through_restate(lambda c: client.signup_status(c, key)).startswith("waiting")
    ingress.call_ok(f"/UserSignup/{key}/click", {"secret": secret})

    assert asyncio.run(client.signup_result(key, ingress.server.ingress_url)) is True
    assert ingress.attach(started) is True
    assert len(ledger.entries(operation=f"user:{key}")) == 1
{%- endif %}
{%- if cookiecutter.ai_agent %}


def test_a_turn_of_the_agent_is_typed(through_restate: ThroughRestate, key: str) -> None:
    question = "Where is my order A-1002?"
    answer = through_restate(lambda c: client.ask_agent(c, key, question, idempotency_key=key))

    assert answer.model == "offline"
    assert "A-1002" in answer.answer
{%- endif %}
