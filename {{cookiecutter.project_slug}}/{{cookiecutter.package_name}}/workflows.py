"""Workflows: a durable process that runs exactly once per id and can be signalled.

``UserSignup`` signs up one user: it creates the user, emails them a secret link, and
waits, durably, for the link to be clicked. The workflow id is the user id.

- ``run`` is the workflow itself. It runs at most once per workflow id: submitting the
  same id again attaches to the existing run instead of starting a new one.
- Other handlers (``click``, ``status``) can be called while ``run`` is going and after
  it ended. They share the workflow's state and durable promises.
- ``ctx.promise(...)`` is a durable promise: ``run`` waits on it without holding a
  process (the service can even restart meanwhile), and ``click`` resolves it. ``click``
  first checks that the run waits for it, and refuses with 409 otherwise: resolved before
  the run asked (a signup never started), the promise would hand a later run a stale click.
- Each step (create the user, send the email) runs at least once: if the process dies after
  the step acted and before Restate stored its result, the replay runs it again. Each sends
  an idempotency key from ``ctx.uuid()``, the same on every replay, and the user database and
  the email sender act once per key: one user, one email.

Try it:

    curl localhost:8080/UserSignup/sam/run/send -H 'content-type: application/json' \
      -d '{"name": "Sam", "email": "sam@example.com"}'
    curl localhost:8080/UserSignup/sam/status -X POST
    # the secret is in the "email" the service logs; here we pass a wrong one:
    curl localhost:8080/UserSignup/sam/click -H 'content-type: application/json' \
      -d '{"secret": "not-the-secret"}'
    curl localhost:8080/restate/workflow/UserSignup/sam/attach
"""

from datetime import timedelta

import restate
from pydantic import BaseModel

from . import external_systems
from .bad_input import answer_bad_input_with_400


class User(BaseModel):
    name: str
    email: str


class Click(BaseModel):
    secret: str


WAITING = "waiting for the email link to be clicked"

user_signup = restate.Workflow(
    "UserSignup",
    # Quick retries, for stand-ins that fail at random and recover at once (Restate's default
    # waits from 500 ms up to a minute). In production, start at a second or more, cap at
    # minutes and set max_attempts, so that a system in trouble gets room to recover.
    invocation_retry_policy=restate.InvocationRetryPolicy(
        initial_interval=timedelta(milliseconds=10), exponentiation_factor=2, max_interval=timedelta(milliseconds=200)
    ),
    invocation_context_managers=[answer_bad_input_with_400],
)


@user_signup.main()
async def run(ctx: restate.WorkflowContext, user: User) -> bool:
    """Create the user, email a secret link, wait for the click; True if the secret matched."""
    user_id = ctx.key()
    # Idempotency keys, and the secret, from the context: the same on every replay.
    create_key, email_key, secret = str(ctx.uuid()), str(ctx.uuid()), str(ctx.uuid())
    await ctx.run_typed(
        "create user",
        external_systems.create_user,
        user_id=user_id,
        name=user.name,
        email=user.email,
        idempotency_key=create_key,
    )

    # Before the email goes out, so that a click on its link always finds the run waiting.
    ctx.set("status", WAITING)
    await ctx.run_typed(
        "send email",
        external_systems.send_email_with_link,
        user_id=user_id,
        email=user.email,
        secret=secret,
        idempotency_key=email_key,
    )

    clicked_secret = await ctx.promise("link_clicked", type_hint=str).value()
    verified = clicked_secret == secret
    ctx.set("status", "verified" if verified else "verification failed")
    return verified


@user_signup.handler()
async def click(ctx: restate.WorkflowSharedContext, req: Click) -> None:
    """Called when the user clicks the emailed link: hand the secret to the waiting run.

    Only while the run waits for it: 409 otherwise. Restate itself refuses a second click
    (the promise is resolved once) with 409 too.
    """
    status = await ctx.get("status", type_hint=str)
    if status != WAITING:
        raise restate.TerminalError(f"not waiting for a click (status: {status or 'not started'})", status_code=409)
    await ctx.promise("link_clicked", type_hint=str).resolve(req.secret)


@user_signup.handler()
async def status(ctx: restate.WorkflowSharedContext) -> str:
    """Where the signup stands, readable while the workflow waits."""
    return await ctx.get("status", type_hint=str) or "not started"
