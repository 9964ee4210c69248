"""Workflows: a durable process that runs exactly once per id and can be signalled.

``UserSignup`` signs up one user: it creates the user, emails them a secret link, and
waits, durably, for the link to be clicked. The workflow id is the user id.

- ``run`` is the workflow itself. It runs at most once per workflow id: submitting the
  same id again attaches to the existing run instead of starting a new one, until Restate
  forgets the finished workflow (``workflow_retention``, below).
- Other handlers (``click``, ``status``) can be called while ``run`` is going and after
  it ended. They share the workflow's state and durable promises.
- ``ctx.promise(...)`` is a durable promise: ``run`` waits on it without holding a
  process (the service can even restart meanwhile), and ``click`` resolves it. ``click``
  first checks that the run waits for it, and refuses with 409 otherwise: resolved before
  the run asked (a signup never started), the promise would hand a later run a stale click.
- The link expires: ``run`` races the promise against a durable timer, ``ctx.sleep(...)``,
  with ``restate.select``, and takes whichever completes first. Restate keeps the timer, not
  the process: it comes due on time even while the service is down, and wakes the run.
  (Never ``asyncio.sleep``/``asyncio.wait``: a replay would start them afresh.) How long the
  link stays valid is part of the request (``link_valid_seconds``, a day unless it says
  otherwise). A click after that is refused with 410 Gone.
- ``status`` reads the state ``run`` writes as it goes: "waiting for the email link to be
  clicked", then "verified", "verification failed" (a wrong secret) or "link expired".
  ``run`` returns True for a verified address, False otherwise; ``status`` says why.
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
    # a link valid for a second: the run ends after it with false, and status says why
    curl localhost:8080/UserSignup/alex/run/send -H 'content-type: application/json' \
      -d '{"name": "Alex", "email": "alex@example.com", "link_valid_seconds": 1}'
    curl localhost:8080/restate/workflow/UserSignup/alex/attach
    curl localhost:8080/UserSignup/alex/status -X POST
"""

from datetime import timedelta

import restate
from pydantic import BaseModel, Field

from . import external_systems{% if cookiecutter.tracing %}, tracing{% endif %}
from .bad_input import answer_bad_input_with_400

DAY = 24 * 60 * 60


class User(BaseModel):
    name: str
    email: str
    link_valid_seconds: float = Field(
        default=DAY,
        gt=0,
        le=7 * DAY,
        description="How long the emailed link stays valid, in seconds: a day unless the request says otherwise,"
        " at most a week (Restate keeps timers of any length: raise the bound if your links live longer).",
    )


class Click(BaseModel):
    secret: str


WAITING = "waiting for the email link to be clicked"
EXPIRED = "link expired"

user_signup = restate.Workflow(
    "UserSignup",
    # Quick retries, for stand-ins that fail at random and recover at once (Restate's default
    # waits from 500 ms up to a minute). In production, start at a second or more, cap at
    # minutes and set max_attempts, so that a system in trouble gets room to recover.
    invocation_retry_policy=restate.InvocationRetryPolicy(
        initial_interval=timedelta(milliseconds=1), exponentiation_factor=2, max_interval=timedelta(milliseconds=200)
    ),
    # How long Restate keeps the journal of a finished call (its steps, and its input: here an
    # email address) to look at in its UI. Its default is a day: shorten it where inputs hold
    # personal data, lengthen it to look into older calls.
    journal_retention=timedelta(hours=1),
    # Not set here, Restate's defaults suit this example:
    # - inactivity_timeout (a minute): how long a call may go without progress before Restate
    #   asks it to suspend, and abort_timeout (ten minutes): how long it then has before Restate
    #   stops it; raise the latter for a step that runs longer. Set here, they would override
    #   the server's, and `pytest --always-replay` (which sets the server's inactivity timeout to
    #   0, so that every await suspends and replays) would no longer replay this service.
    # - ingress_private=True (here or on a handler): callable by other services only, not from
    #   outside through Restate's ingress.
    invocation_context_managers=[{% if cookiecutter.tracing %}tracing.invocation_span, {% endif %}answer_bad_input_with_400],
)


# How long Restate keeps a finished signup (its default: a day): until then `status` answers,
# a late click is refused, and a new run under the same id attaches to the finished one instead
# of starting. Shorter lets a user whose link expired sign up again sooner under the same id.
@user_signup.main(workflow_retention=timedelta(hours=1))
async def run(ctx: restate.WorkflowContext, user: User) -> bool:
    """Create the user, email a secret link, wait for the click until the link expires.

    True if the secret matched; False if it did not, or if the link expired (``status`` says which).
    """
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

    # Whichever comes first: the click, or the end of the link's validity. Both are durable:
    # Restate keeps them, and resumes the run when either completes, in whatever process serves it then.
    match await restate.select(
        clicked=ctx.promise("link_clicked", type_hint=str).value(),
        expired=ctx.sleep(timedelta(seconds=user.link_valid_seconds), name="link expires"),
    ):
        case ["clicked", clicked_secret]:
            verified: bool = clicked_secret == secret
            ctx.set("status", "verified" if verified else "verification failed")
            return verified
        case _:
            ctx.set("status", EXPIRED)
            return False


@user_signup.handler()
async def click(ctx: restate.WorkflowSharedContext, req: Click) -> None:
    """Called when the user clicks the emailed link: hand the secret to the waiting run.

    Only while the run waits for it: 410 once the link expired, 409 otherwise. Restate itself
    refuses a second click (the promise is resolved once) with 409 too. A click in the very
    moment the link expires may be accepted and still come too late: the run's result counts.
    """
    status = await ctx.get("status", type_hint=str)
    if status == EXPIRED:
        raise restate.TerminalError("the link expired before it was clicked", status_code=410)
    if status != WAITING:
        raise restate.TerminalError(f"not waiting for a click (status: {status or 'not started'})", status_code=409)
    await ctx.promise("link_clicked", type_hint=str).resolve(req.secret)


@user_signup.handler()
async def status(ctx: restate.WorkflowSharedContext) -> str:
    """Where the signup stands: not started, waiting for the click, verified, verification failed, link expired."""
    return await ctx.get("status", type_hint=str) or "not started"
