"""The environment a user's shell has: this machine's tools, none of the template's.

The template's tests run from the template's virtual environment, and the Makefile points
``RESTATE_SERVER_BIN`` at the template's restate-server. A generated project's documented
commands must work without either, so they run with both taken out.
"""

import os
import sys
from pathlib import Path

# Set by the template's Makefile or virtual environment, never by a user following a README.
TEMPLATE_ONLY = ("VIRTUAL_ENV", "RESTATE_SERVER_BIN", "PYTHONPATH", "PYTHONHOME")


def user_environment(**extra: str) -> dict[str, str]:
    """os.environ without the template's virtual environment and settings, plus ``extra``."""
    template_bin = str(Path(sys.prefix) / "bin")
    env = {key: value for key, value in os.environ.items() if key not in TEMPLATE_ONLY}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != template_bin)
    env["npm_config_update_notifier"] = "false"  # npm would otherwise look for its own updates
    return {**env, **extra}
