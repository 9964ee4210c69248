"""The environment a user's shell has: this machine's tools, none of the template's.

The template's tests run from the template's virtual environment, and the Makefile points
``RESTATE_SERVER_BIN`` at the template's restate-server. A generated project's documented
commands must work without either, so they run with both taken out.

What a user installs on their machine by hand, uv, the Makefile provides in ``.tools/bin``
(the template venv's uv, alone there): it goes on the user's PATH, ahead of the rest.
"""

import os
import sys
from pathlib import Path

# Set by the template's Makefile or virtual environment, never by a user following a README.
TEMPLATE_ONLY = ("VIRTUAL_ENV", "RESTATE_SERVER_BIN", "PYTHONPATH", "PYTHONHOME", "PYTHONPYCACHEPREFIX")
# Where `make` puts the machine tools a user has installed (see the Makefile's UV).
USER_TOOLS = Path(__file__).resolve().parent.parent / ".tools" / "bin"


def user_environment(**extra: str) -> dict[str, str]:
    """os.environ without the template's virtual environment and settings, plus ``extra``."""
    template_bin = str(Path(sys.prefix) / "bin")
    env = {key: value for key, value in os.environ.items() if key not in TEMPLATE_ONLY}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != template_bin]
    env["PATH"] = os.pathsep.join([str(USER_TOOLS), *path] if USER_TOOLS.is_dir() else path)
    env["npm_config_update_notifier"] = "false"  # npm would otherwise look for its own updates
    # uv uses this machine's Pythons: a requires-python that none of them meets fails saying
    # so, where uv would otherwise try to download an interpreter (this machine cannot).
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return {**env, **extra}
