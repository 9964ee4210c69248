"""Remove what was not chosen (a decision table, one small function per removal), then
print the next three commands.

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


def remove_durable_execution() -> None:
    remove(PACKAGE / "durable_execution.py", "tests/test_durable_execution.py")


def remove_building_blocks() -> None:
    remove(PACKAGE / "building_blocks.py", "tests/test_building_blocks.py")


def remove_virtual_objects() -> None:
    remove(PACKAGE / "virtual_objects.py", "tests/test_virtual_objects.py")


def remove_workflows() -> None:
    remove(PACKAGE / "workflows.py", "tests/test_workflows.py")


def remove_external_systems() -> None:
    remove(PACKAGE / "external_systems.py", "tests/test_external_systems.py")


def remove_restate_restart() -> None:
    # Both need a virtual object or a workflow to show what survives.
    remove("tests/test_restate_restart.py", "tests/test_cluster.py")


def remove_docker() -> None:
    remove("Dockerfile", ".dockerignore", "compose.yaml", "compose.cluster.yaml")


def remove_ci() -> None:
    remove(".github")


def uses_external_systems(answers: dict) -> bool:
    return any(answers[name] for name in ("durable_execution", "building_blocks", "workflows"))


# (remove when this is true, how)
DECISIONS = [
    (not ANSWERS["durable_execution"], remove_durable_execution),
    (not ANSWERS["building_blocks"], remove_building_blocks),
    (not ANSWERS["virtual_objects"], remove_virtual_objects),
    (not ANSWERS["workflows"], remove_workflows),
    (not uses_external_systems(ANSWERS), remove_external_systems),
    (not (ANSWERS["virtual_objects"] or ANSWERS["workflows"]), remove_restate_restart),
    (not ANSWERS["docker"], remove_docker),
    (ANSWERS["ci"] == "none", remove_ci),
]

# The README's set-up commands, on one line.
SETUP = "python3 -m venv .venv && source .venv/bin/activate && pip install -r requirements-dev.txt && npm install"
NEXT_STEPS = f"""
Made {ANSWERS["project_slug"]}/. Next:
  cd {ANSWERS["project_slug"]}
  {SETUP}
  pytest
Its README.md shows how to serve it, register it with Restate and call every handler.
"""

if __name__ == "__main__":
    for applies, removal in DECISIONS:
        if applies:
            removal()
    print(NEXT_STEPS)
