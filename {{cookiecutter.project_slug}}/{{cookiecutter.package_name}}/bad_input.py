"""Answer malformed input with HTTP 400, so callers can tell their mistake from ours.

The SDK already refuses input it cannot parse with a *terminal* error (so Restate does not
retry it), but with status 500, and with pydantic's message, which quotes the input. Every
service in this package installs ``answer_bad_input_with_400`` as an invocation context
manager; it turns exactly that error, the one whose cause is a parse or validation error,
into a 400 whose message names each problem's place and kind, never the value sent: the
message lands in Restate's log and UI and in the caller's, and the input may hold what
belongs in none of them (a password, a card number).
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pydantic
import restate


def describe(error: ValueError) -> str:
    """What is wrong with the input, without repeating it."""
    if isinstance(error, pydantic.ValidationError):
        problems = []
        for problem in error.errors(include_input=False, include_url=False, include_context=False):
            place = ".".join(str(part) for part in problem["loc"])
            problems.append(f"{place}: {problem['msg']}" if place else problem["msg"])
        return "Invalid input: " + "; ".join(problems)
    if isinstance(error, json.JSONDecodeError):
        return f"Invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
    return "Invalid input"


@asynccontextmanager
async def answer_bad_input_with_400() -> AsyncIterator[None]:
    try:
        yield
    except restate.TerminalError as error:
        # pydantic.ValidationError and json.JSONDecodeError are both ValueErrors.
        if isinstance(error.__cause__, ValueError) and error.status_code == 500:
            raise restate.TerminalError(describe(error.__cause__), status_code=400) from None
        raise
