"""A durable AI agent: a support agent whose model calls, tools and conversation survive crashes.

An agent is a loop: ask the model, run the tools it asks for, give it their results, ask again,
until it answers. Run as plain code, a crash in the middle loses the turn; run again, it pays
for the model calls again and may refund twice. Here the loop runs in a Restate handler, with
Restate's integration for pydantic-ai (``restate.ext.pydantic.RestateAgent``), and Restate
journals every step of it:

- **each model call** is a journaled step: on replay, the recorded response comes back from
  the journal and the model is not asked again (no second bill, and the same decision). A
  call still in flight when the process dies is made again, as any step's action is;
- **each tool's effect** is a ``ctx.run_typed`` step of its own, with an idempotency key from
  ``ctx.uuid()``: a refund is made once, even when its step runs twice after a crash;
- **the conversation** is the state of a virtual object keyed by its id: ``SupportAgent/<id>``
  keeps the message history, and its turns run one at a time, in order.

A tool that fails (an exception) is retried by Restate, without a new model call. A refusal
(a ``restate.TerminalError``) goes back to the model as the tool's answer. A refund above
``APPROVAL_LIMIT_EUR`` waits for a human, on an awakeable: the turn suspends (it costs nothing
while it waits, for days if need be) until someone resolves it with ``true`` or ``false``.

**The model.** ``AGENT_MODEL`` names a pydantic-ai model, such as ``openai:gpt-4o`` (install
``pydantic-ai-slim[openai]`` and set ``OPENAI_API_KEY``), ``anthropic:claude-sonnet-4-5``
(``pydantic-ai-slim[anthropic]``, ``ANTHROPIC_API_KEY``). Unset, a small offline model answers,
the same way every time: it looks up the order the customer names (``A-1001`` or ``A-1002``)
and refunds it if asked (any other order too: the refund API refuses it). Each answer says which model gave it.

Try it (service registered, Restate on its default ports):

    curl localhost:8080/SupportAgent/chat-1/ask -H 'content-type: application/json' \\
      -d '{"message": "Where is my order A-1002?"}'
    curl localhost:8080/SupportAgent/chat-1/ask -H 'content-type: application/json' \\
      -d '{"message": "Please refund it."}'
    curl localhost:8080/SupportAgent/chat-1/transcript -X POST
"""

import os
import re
from datetime import timedelta

import restate
from pydantic import BaseModel, Field
from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import Model, infer_model
from pydantic_ai.models.function import AgentInfo, FunctionModel
from restate.ext.pydantic import RestateAgent, restate_context
from restate.serde import BytesSerde

from . import external_systems{% if cookiecutter.tracing %}, tracing{% endif %}
from .bad_input import answer_bad_input_with_400

# A refund above this many euros waits for a human's approval.
APPROVAL_LIMIT_EUR = 100
OFFLINE_MODEL = "offline"


class Question(BaseModel):
    message: str = Field(min_length=1, max_length=4000)


class Answer(BaseModel):
    answer: str
    model: str  # which model answered


# --- The offline model: answers like a model would, computed from the conversation. ---
ORDER_ID = re.compile(r"\b[A-Z]-\d{4}\b")
AMOUNT = re.compile(r"(\d+\.\d\d) EUR")


def user_prompts(messages: list[ModelMessage]) -> list[str]:
    return [
        part.content
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, UserPromptPart) and isinstance(part.content, str)
    ]


def offline_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Look up the last order the customer named; refund it when asked; pass the tools' answers on."""
    prompts = user_prompts(messages)
    external_systems.record_model_call(OFFLINE_MODEL, prompts[-1])
    asks_refund = "refund" in prompts[-1].lower()
    returned = [part for part in messages[-1].parts if isinstance(part, ToolReturnPart)]
    if returned:
        result = str(returned[-1].content)
        order_id, amount = ORDER_ID.search(result), AMOUNT.search(result)
        if returned[-1].tool_name == "look_up_order" and asks_refund and order_id:
            arguments = {"order_id": order_id.group(), "amount_eur": float(amount.group(1)) if amount else 0.0}
            return ModelResponse(parts=[ToolCallPart("refund_order", arguments)])
        return ModelResponse(parts=[TextPart(result)])
    order_ids = [order_id for prompt in prompts for order_id in ORDER_ID.findall(prompt)]
    if not order_ids:
        return ModelResponse(parts=[TextPart("Which order is it about? Its number looks like A-1002.")])
    return ModelResponse(parts=[ToolCallPart("look_up_order", {"order_id": order_ids[-1]})])


def choose_model() -> Model:
    """The model AGENT_MODEL names (its provider reads its key from the environment), or the offline one."""
    name = os.environ.get("AGENT_MODEL")
    return infer_model(name) if name else FunctionModel(offline_model, model_name=OFFLINE_MODEL)


# --- The agent: its instructions and tools, as in any pydantic-ai program. ---
agent = Agent(
    choose_model(),
    name="support",
    instructions=(
        "You are the support agent of an online shop. Look an order up before you say anything about it."
        f" Refund an order only when the customer asks for it; a refund above {APPROVAL_LIMIT_EUR} EUR"
        " waits for a human's approval. Answer in one or two sentences."
    ),
)


# sequential=True: the tools run one after another, in the order the model asked for them,
# so their steps land in the journal in the same order on every replay. Each tool hands the
# Restate context (restate_context()) to a function that does the work, as a handler would.
@agent.tool_plain(sequential=True)
async def look_up_order(order_id: str) -> str:
    """Look up an order by its number (like A-1002): what was bought, its amount and its status."""
    return await look_up(restate_context(), order_id)


@agent.tool_plain(sequential=True)
async def refund_order(order_id: str, amount_eur: float) -> str:
    """Refund an order in full. Look it up first: amount_eur is its amount."""
    return await refund(restate_context(), order_id, amount_eur)


async def look_up(ctx: restate.Context, order_id: str) -> str:
    key = str(ctx.uuid())
    return await ctx.run_typed("look up order", external_systems.look_up_order, order_id=order_id, idempotency_key=key)


async def refund(ctx: restate.Context, order_id: str, amount_eur: float) -> str:
    if amount_eur > APPROVAL_LIMIT_EUR:
        # A human decides: the awakeable's id goes to their inbox; the turn waits, durably, for the answer.
        awakeable_id, decision = ctx.awakeable(type_hint=bool)
        await ctx.run_typed(
            "ask for approval",
            external_systems.ask_for_approval,
            order_id=order_id,
            awakeable_id=awakeable_id,
            idempotency_key=str(ctx.uuid()),
        )
        if not await decision:
            return f"The refund of order {order_id} was not approved."
    try:
        # The key from ctx.uuid(): the same on every replay, so a refund run again refunds once.
        key = str(ctx.uuid())
        reference = await ctx.run_typed("refund", external_systems.refund_order, order_id=order_id, idempotency_key=key)
    except restate.TerminalError as refusal:  # refused for good: the model hears why
        return f"The refund was refused: {refusal.message}"
    return f"Refunded order {order_id} ({amount_eur:.2f} EUR), refund {reference}."


# Every model call of this agent runs as a journaled step (ctx.run_typed inside the wrapper).
durable_agent = RestateAgent(agent)


# --- The session: a virtual object per conversation. ---
support_agent = restate.VirtualObject(
    "SupportAgent",
    # A failed step (a tool, a model call) is retried after 1 ms, then twice as long each time,
    # at most a second apart. For a real model, start slower: providers ask for seconds.
    invocation_retry_policy=restate.InvocationRetryPolicy(
        initial_interval=timedelta(milliseconds=1), exponentiation_factor=2, max_interval=timedelta(seconds=1)
    ),
    invocation_context_managers=[{% if cookiecutter.tracing %}tracing.invocation_span, {% endif %}answer_bad_input_with_400],
)


async def history(ctx: restate.ObjectContext | restate.ObjectSharedContext) -> list[ModelMessage]:
    """The conversation so far: every message to and from the model, tool calls included."""
    stored = await ctx.get("history", serde=BytesSerde())
    return ModelMessagesTypeAdapter.validate_json(stored) if stored else []


@support_agent.handler()
async def ask(ctx: restate.ObjectContext, question: Question) -> Answer:
    """One turn of the conversation: the agent answers, calling tools as it needs."""
    result = await durable_agent.run(question.message, message_history=await history(ctx))
    ctx.set("history", ModelMessagesTypeAdapter.dump_json(result.all_messages()), serde=BytesSerde())
    return Answer(answer=result.output, model=result.response.model_name or "unknown")


@support_agent.handler(kind="shared")
async def transcript(ctx: restate.ObjectSharedContext) -> list[str]:
    """What the customer and the agent said, in order (without the tool calls)."""
    lines = []
    for message in await history(ctx):
        for part in message.parts:
            if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                lines.append(f"customer: {part.content}")
            elif isinstance(part, TextPart):
                lines.append(f"agent: {part.content}")
    return lines
