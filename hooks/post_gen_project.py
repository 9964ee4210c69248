"""Remove what was not chosen (a decision table: when, and which paths), then print the
next three commands.

Safe to run again on an existing project (removing what is already gone does nothing).
"""

import json
import shutil
from pathlib import Path

# The answers arrive as JSON inside a string literal: never pasted into this file as code.
ANSWERS = json.loads("{{ (cookiecutter | tojson | tojson)[1:-1] }}")
PACKAGE = Path(ANSWERS["package_name"])


def remove(*paths: Path | str) -> None:
    for path in map(Path, paths):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def module_and_test(name: str) -> list[Path | str]:
    return [PACKAGE / f"{name}.py", f"tests/test_{name}.py"]


# The examples that call remote systems, through the stand-ins in external_systems.py.
CALLS_OUT = ANSWERS["durable_execution"] or ANSWERS["building_blocks"] or ANSWERS["workflows"] or ANSWERS["ai_agent"]
# The restart and cluster tests need a virtual object or a workflow to show what survives.
HAS_STATE = ANSWERS["virtual_objects"] or ANSWERS["workflows"]

# The decision table: (remove when this is true, these paths). The loop below is all the rest.
REMOVALS = [
    (not ANSWERS["durable_execution"], module_and_test("durable_execution")),
    (not ANSWERS["building_blocks"], module_and_test("building_blocks")),
    (not ANSWERS["virtual_objects"], module_and_test("virtual_objects")),
    (not ANSWERS["workflows"], module_and_test("workflows")),
    (not ANSWERS["ai_agent"], module_and_test("agent")),
    (not CALLS_OUT, module_and_test("external_systems")),
    (not HAS_STATE, ["tests/test_restate_restart.py", "tests/test_cluster.py"]),
    (not ANSWERS["docker"], ["Dockerfile", ".dockerignore", "compose.yaml", "compose.cluster.yaml"]),
    (ANSWERS["ci"] == "none", [".github"]),
    (not ANSWERS["agent_rules"], ["AGENTS.md", "CLAUDE.md"]),
    (not ANSWERS["tracing"], [PACKAGE / "tracing.py", "tests/test_tracing.py"]),
]

# The README's set-up commands (with uv), on one line.
SETUP = "uv sync && source .venv/bin/activate && npm install"
NEXT_STEPS = f"""
Made {ANSWERS["project_slug"]}/. Next:
  cd {ANSWERS["project_slug"]}
  {SETUP}
  pytest
Its README.md shows the same set-up with pip instead of uv, how to serve the service,
register it with Restate and call every handler.
"""

if __name__ == "__main__":
    for applies, paths in REMOVALS:
        if applies:
            remove(*paths)
    print(NEXT_STEPS)
