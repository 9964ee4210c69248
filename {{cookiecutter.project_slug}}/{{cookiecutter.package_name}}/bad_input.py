"""Answer malformed input with HTTP 400, so callers can tell their mistake from ours.

The SDK already refuses input it cannot parse with a *terminal* error (so Restate does not
retry it), but with status 500. Every service in this package installs
``answer_bad_input_with_400`` as an invocation context manager; it turns exactly that
error, the one whose cause is a parse or validation error, into a 400.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import restate


@asynccontextmanager
async def answer_bad_input_with_400() -> AsyncIterator[None]:
    try:
        yield
    except restate.TerminalError as error:
        # pydantic.ValidationError and json.JSONDecodeError are both ValueErrors.
        if isinstance(error.__cause__, ValueError) and error.status_code == 500:
            raise restate.TerminalError(error.message, status_code=400) from error
        raise
