"""Workflows: a durable process that runs exactly once per id and can be signalled.

``UserSignup`` signs up one user: it creates the user, emails them a secret link, and
waits, durably, for the link to be clicked. The workflow id is the user id.

- ``run`` is the workflow itself. It runs at most once per workflow id: submitting the
  same id again attaches to the existing run instead of starting a new one.
- Other handlers (``click``, ``status``) can be called while ``run`` is going and after
  it ended. They share the workflow's state and durable promises.
- ``ctx.promise(...)`` is a durable promise: ``run`` waits on it without holding a
  process (the service can even restart meanwhile), and ``click`` resolves it.

Try it:

    curl localhost:8080/UserSignup/sam/run/send -H 'content-type: application/json' \
      -d '{"name": "Sam", "email": "sam@example.com"}'
    curl localhost:8080/UserSignup/sam/status -X POST
    # the secret is in the "email" the service logs; here we pass a wrong one:
    curl localhost:8080/UserSignup/sam/click -H 'content-type: application/json' \
      -d '{"secret": "not-the-secret"}'
    curl localhost:8080/restate/workflow/UserSignup/sam/attach
"""

import restate
from pydantic import BaseModel

from . import external_systems
from .bad_input import answer_bad_input_with_400


class User(BaseModel):
    name: str
    email: str


class Click(BaseModel):
    secret: str


user_signup = restate.Workflow("UserSignup", invocation_context_managers=[answer_bad_input_with_400])


@user_signup.main()
async def run(ctx: restate.WorkflowContext, user: User) -> bool:
    """Create the user, email a secret link, wait for the click; True if the secret matched."""
    user_id = ctx.key()
    await ctx.run_typed("create user", external_systems.create_user, user_id=user_id, name=user.name, email=user.email)

    secret = str(ctx.uuid())
    ctx.set("status", "waiting for the email link to be clicked")
    await ctx.run_typed(
        "send email", external_systems.send_email_with_link, user_id=user_id, email=user.email, secret=secret
    )

    clicked_secret = await ctx.promise("link_clicked", type_hint=str).value()
    verified = clicked_secret == secret
    ctx.set("status", "verified" if verified else "verification failed")
    return verified


@user_signup.handler()
async def click(ctx: restate.WorkflowSharedContext, req: Click) -> None:
    """Called when the user clicks the emailed link: hand the secret to the waiting run."""
    await ctx.promise("link_clicked", type_hint=str).resolve(req.secret)


@user_signup.handler()
async def status(ctx: restate.WorkflowSharedContext) -> str:
    """Where the signup stands, readable while the workflow waits."""
    return await ctx.get("status", type_hint=str) or "not started"
