"""Calling the service from Python, through Restate, with the SDK's typed client.

Other programs (a web backend, a script, a test) call your handlers through Restate's
ingress, never the service itself: Restate then journals each call, retries it, and
deduplicates it by idempotency key. ``restate.create_client`` (restate-sdk's ``client``
extra) takes the handler functions themselves, so mypy checks every argument and result.

Three ways to call:

- **request/response**: ``await client.service_call(handler, arg)`` waits for the result;
- **one-way**: ``await client.object_send(handler, key, arg, idempotency_key=...)`` returns
  at once with the invocation id. With an idempotency key, sending again (say, a retry
  after a timeout) starts nothing new: Restate answers with the first invocation's id;
- **attach**: wait for an invocation that is already running, and get its result; the
  typed client has no call for it yet, so ``signup_result`` below makes the one HTTP
  request it takes (a workflow, by its id; any invocation, by its invocation id).

Try it, with Restate and the service running and registered:

    python -m {{ cookiecutter.package_name }}.client

It calls each example once, with Restate's ingress at ``RESTATE_INGRESS_URL`` (default
http://localhost:8080), and prints what came back.
"""

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import restate

{% if cookiecutter.ai_agent -%}
from .agent import Answer, Question, ask
{% endif -%}
{% if cookiecutter.building_blocks -%}
from .building_blocks import Message, deliver
{% endif -%}
{% if cookiecutter.durable_execution -%}
from .durable_execution import SubscriptionRequest, SubscriptionResult, add
{% endif -%}
{% if cookiecutter.virtual_objects -%}
from .virtual_objects import Greeting, GreetRequest, greet
{% endif -%}
{% if cookiecutter.workflows -%}
from .workflows import User, run, status
{% endif %}
INGRESS_URL = os.environ.get("RESTATE_INGRESS_URL", "http://localhost:8080")
ATTEMPTS = 3
T = TypeVar("T")


async def answered(call: Callable[[], Awaitable[T]]) -> T:
    """The call's answer, asking up to ``ATTEMPTS`` times.

    The typed client waits 5 s for an answer; a durable handler may take longer (a retry,
    a slow step). A call with an idempotency key can be made again safely: Restate attaches
    the repeat to the first invocation, so the handler runs once and both get its result.
    """
    for _ in range(ATTEMPTS - 1):
        try:
            return await call()
        except httpx.TimeoutException:
            continue
    return await call()
{%- if cookiecutter.durable_execution %}


async def subscribe(
    client: restate.RestateClient, request: SubscriptionRequest, idempotency_key: str
) -> SubscriptionResult:
    """Request/response: sign a user up, and wait until every subscription is made."""
    return await answered(lambda: client.service_call(add, request, idempotency_key=idempotency_key))
{%- endif %}
{%- if cookiecutter.building_blocks %}


async def post(client: restate.RestateClient, to: str, text: str, idempotency_key: str) -> str:
    """One-way: put a message in a mailbox, without waiting; the invocation id.

    The same idempotency key again starts nothing new and gives the same id: a caller that
    is not sure its first send arrived can send again.
    """
    handle = await client.object_send(deliver, to, Message(text=text), idempotency_key=idempotency_key)
    return handle.invocation_id
{%- endif %}
{%- if cookiecutter.virtual_objects %}


async def greet_by_name(client: restate.RestateClient, name: str, greeting: str, idempotency_key: str) -> Greeting:
    """Request/response on a virtual object: the key picks the object."""
    request = GreetRequest(greeting=greeting)
    return await answered(lambda: client.object_call(greet, name, request, idempotency_key=idempotency_key))
{%- endif %}
{%- if cookiecutter.ai_agent %}


async def ask_agent(client: restate.RestateClient, conversation: str, message: str, idempotency_key: str) -> Answer:
    """Request/response on the agent's session: one turn of the conversation this key names."""
    question = Question(message=message)
    return await answered(lambda: client.object_call(ask, conversation, question, idempotency_key=idempotency_key))
{%- endif %}
{%- if cookiecutter.workflows %}


async def start_signup(client: restate.RestateClient, user_id: str, user: User) -> str:
    """One-way: start the signup workflow for this id (once: again, it attaches); the invocation id."""
    handle = await client.workflow_send(run, user_id, user)
    return handle.invocation_id


async def signup_status(client: restate.RestateClient, user_id: str) -> str:
    return await client.workflow_call(status, user_id, None)


async def signup_result(user_id: str, ingress_url: str = INGRESS_URL) -> bool:
    """Attach: wait for the signup workflow of this id to finish; its result."""
    async with httpx.AsyncClient(base_url=ingress_url, timeout=None) as http:
        response = await http.get(f"/restate/workflow/UserSignup/{user_id}/attach")
        response.raise_for_status()
        return bool(response.json())
{%- endif %}


async def main() -> None:
    async with restate.create_client(INGRESS_URL) as client:
{%- if cookiecutter.durable_execution %}
        signup = SubscriptionRequest(user_id="kim", payment_method="pm_card_visa", subscriptions=["Netflix"])
        print("subscribe:", await subscribe(client, signup, idempotency_key="subscribe-kim-1"))
{%- endif %}
{%- if cookiecutter.building_blocks %}
        print("post:", await post(client, "kim", "hello from Python", idempotency_key="hello-kim-1"))
        print("post again, same key:", await post(client, "kim", "hello from Python", idempotency_key="hello-kim-1"))
{%- endif %}
{%- if cookiecutter.virtual_objects %}
        print("greet:", await greet_by_name(client, "kim", "Hello", idempotency_key="greet-kim-1"))
{%- endif %}
{%- if cookiecutter.workflows %}
        print("start signup:", await start_signup(client, "kim", User(name="Kim", email="kim@example.com")))
        # signup_result("kim") would wait here until the emailed link is clicked.
        print("signup status:", await signup_status(client, "kim"))
{%- endif %}
{%- if cookiecutter.ai_agent %}
        question = "Where is my order A-1002?"
        print("ask the agent:", await ask_agent(client, "kim-chat", question, idempotency_key="ask-kim-1"))
{%- endif %}


if __name__ == "__main__":
    asyncio.run(main())
