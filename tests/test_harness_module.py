"""Fast tier: the generated tests' process layer is a plain Python package, importable as it
is in the template: the bench imports it through the ``local_restate`` link at the root."""

import importlib
import subprocess
import sys

from conftest import TEMPLATE


def test_the_harness_holds_no_template_syntax() -> None:
    for module in (TEMPLATE / "local_restate").glob("*.py"):
        code = module.read_text()
        assert "{{" not in code and "{%" not in code, (
            f"{module.name}: rendered only in a bake, the bench could not import it"
        )


def test_the_template_imports_the_harness_as_a_module() -> None:
    restate_server = importlib.import_module("local_restate.restate_server")
    assert restate_server.RestateServer.__module__ == "local_restate.restate_server"


# In a fresh interpreter: the loggers there are after importing the harness, then after a
# request (to a port where nothing listens).
NEW_LOGGERS_OF_A_FIRST_REQUEST = """
import logging, httpx
from local_restate import local_http
before = set(logging.Logger.manager.loggerDict)
try:
    local_http.request("GET", "http://127.0.0.1:9/", timeout=1)
except httpx.TransportError:
    pass
print(sorted(set(logging.Logger.manager.loggerDict) - before))
"""


def test_a_first_request_makes_no_logger_a_starting_test_could_see_appear() -> None:
    """Threads of the generated tests make requests while pytest starts tests, which goes over
    logging's loggers without a lock: a logger made meanwhile fails that test's set-up."""
    done = subprocess.run(
        [sys.executable, "-c", NEW_LOGGERS_OF_A_FIRST_REQUEST], cwd=TEMPLATE, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
