"""Run a generated project's CI workflow here, as GitHub Actions would: each job's ``run:``
steps in order, as written, in a fresh virtual environment.

    python -m scripts.run_ci build/restate-service

The ``uses:`` steps stand for what they set up: a checkout is the project directory, Python
is a new venv of this machine's Python (first on PATH, as setup-python puts its Python), and
Node is this machine's. Any other action fails the run, so a new one gets a stand-in here
before the template ships it. Steps run under ``bash --noprofile --norc -eo pipefail``,
GitHub's default shell, with none of the template's environment.
"""

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from scripts.user_shell import user_environment

WORKFLOW = Path(".github/workflows/ci.yml")
# What each action sets up on GitHub, and what stands for it here.
STAND_INS = {
    "actions/checkout": "the project directory",
    "actions/setup-python": "a fresh venv of this machine's Python",
    "actions/setup-node": "this machine's Node and npm",
}
SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]


def steps(project: Path) -> list[dict[str, Any]]:
    workflow = yaml.safe_load((project / WORKFLOW).read_text())
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def run_ci(project: Path) -> str:
    """Run the workflow's steps in ``project``; return what they printed, or raise naming the step that failed."""
    transcript = []
    with tempfile.TemporaryDirectory(prefix="ci-run-") as tmp:
        venv = Path(tmp) / "python"
        env = user_environment()
        for step in steps(project):
            if "uses" in step:
                action = step["uses"].split("@")[0]
                if action not in STAND_INS:
                    raise RuntimeError(f"{step['uses']}: no stand-in for this action in scripts/run_ci.py")
                if action == "actions/setup-python":
                    subprocess.run(["python3", "-m", "venv", str(venv)], env=env, check=True)
                    env = user_environment(VIRTUAL_ENV=str(venv))
                    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
                continue
            name = step.get("name", step["run"])
            done = subprocess.run(
                [*SHELL, step["run"]], cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False
            )
            transcript.append(f"## {name}\n{done.stdout}{done.stderr}")
            if done.returncode != 0:
                failed = "\n".join(transcript)[-8000:]
                raise RuntimeError(f"CI step {name!r} failed (exit {done.returncode}):\n{failed}")
    return "\n".join(transcript)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(run_ci(Path(sys.argv[1]).resolve()))
