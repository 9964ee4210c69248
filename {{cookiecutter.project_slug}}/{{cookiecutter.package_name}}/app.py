"""The ASGI app that serves this project's Restate services.

Serve it with ``python -m <this package>`` (or the README's hypercorn command), then
register it: ``restate deployments register http://localhost:9080 --force``.
Add a service by importing it here and listing it in ``services``.
"""

import logging
import os

import restate
{% if cookiecutter.tracing %}
from . import tracing
{%- endif %}
{%- if cookiecutter.ai_agent %}
from .agent import support_agent
{%- endif %}
{%- if cookiecutter.building_blocks %}
from .building_blocks import blocks, mailbox
{%- endif %}
{%- if cookiecutter.durable_execution %}
from .durable_execution import subscription_service
{%- endif %}
from .serving import stops_cleanly
{%- if cookiecutter.virtual_objects %}
from .virtual_objects import greeter
{%- endif %}
{%- if cookiecutter.workflows %}
from .workflows import user_signup
{%- endif %}

services: list[restate.Service | restate.VirtualObject | restate.Workflow] = [
{%- if cookiecutter.durable_execution %}
    subscription_service,
{%- endif %}
{%- if cookiecutter.building_blocks %}
    blocks,
    mailbox,
{%- endif %}
{%- if cookiecutter.virtual_objects %}
    greeter,
{%- endif %}
{%- if cookiecutter.workflows %}
    user_signup,
{%- endif %}
{%- if cookiecutter.ai_agent %}
    support_agent,
{%- endif %}
]

# Only Restate may call the service: with RESTATE_IDENTITY_KEYS set (comma-separated
# publickeyv1_… keys, see identity_key.py), a request Restate did not sign gets 401.
# Unset, as in local development, anyone who reaches the port may call the handlers.
identity_keys = [key.strip() for key in os.environ.get("RESTATE_IDENTITY_KEYS", "").split(",") if key.strip()]

# stops_cleanly: on SIGTERM, stop within about a second, handing unfinished invocations
# back to Restate (see serving.py).
app = stops_cleanly(restate.app(services=services, identity_keys=identity_keys))
{%- if cookiecutter.tracing %}
# Spans of every handler and step, sent where the OTEL_* variables say: see tracing.py.
app = tracing.exports_spans(app)
{%- endif %}
{% if cookiecutter.durable_execution or cookiecutter.building_blocks or cookiecutter.workflows or cookiecutter.ai_agent %}
# INFO, because the stand-in external systems log each effect they make: that is how you
# watch a step run once{% if cookiecutter.workflows %}, and how the workflow hands out its secret{% endif %}.
# Once real clients replace them, WARNING keeps the log quieter; it saves little CPU.
{%- endif %}
# hypercorn prints its own lines (logger hypercorn.error) through its own handler; this one
# prints everybody else's, so that each line shows once.
log_handler = logging.StreamHandler()
log_handler.addFilter(lambda record: not record.name.startswith("hypercorn."))
logging.basicConfig(
    level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=[log_handler]
)
