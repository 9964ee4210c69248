"""Run a generated project's CI workflow here, as GitHub Actions would: each job's ``run:``
steps in order, as written.

    python -m scripts.run_ci build/restate-service

Each job starts from a fresh copy of the project, as each GitHub job starts from a fresh
checkout. The ``uses:`` steps stand for what they set up: a checkout is that copy; setup-uv
is the user's uv (scripts/user_shell.py), with this machine's Python for its
``python-version`` and, with ``activate-environment``, a new ``.venv`` activated; Node is
this machine's. A job with a matrix runs one cell: the first value of each of its lists (on
GitHub, ubuntu-latest), its Python being this machine's whatever the matrix says. Any other
action fails the run, so a new one gets a stand-in here before the template ships it; so
does an expression in a ``run:`` step, which nothing here evaluates. Steps run under
``bash --noprofile --norc -eo pipefail``, GitHub's default shell, with none of the
template's environment.
"""

import shutil
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
    "actions/checkout": "a fresh copy of the project directory",
    "astral-sh/setup-uv": "the user's uv, this machine's Python, and a new .venv if activate-environment",
    "actions/setup-node": "this machine's Node and npm",
}
SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
# What a checkout copies: the project as committed, not what a run left in it.
NOT_CHECKED_OUT = shutil.ignore_patterns(".venv", "node_modules", "restate-data", "__pycache__", "*_cache")


def jobs(project: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]
    return found


def machine_python(env: dict[str, str]) -> str:
    """The version of the user's python3, as setup-uv's python-version writes it (3.11)."""
    version = "import sys; print(*sys.version_info[:2], sep='.')"
    done = subprocess.run(["python3", "-c", version], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def cell(job: dict[str, Any], python: str) -> str:
    """What this job runs on here, said in words: the matrix cell, and the Python."""
    pythons = [str(step["with"]["python-version"]) for step in job["steps"] if "python-version" in step.get("with", {})]
    matrix = job.get("strategy", {}).get("matrix", {})
    chosen = [
        f"{key}: {values[0]}"
        for key, values in matrix.items()
        if isinstance(values, list) and not any(f"matrix.{key} " in wanted for wanted in pythons)
    ]
    return ", ".join([*chosen, f"Python: this machine's {python}, for {' '.join(pythons) or 'no python-version'}"])


def run_job(name: str, job: dict[str, Any], project: Path, tmp: Path) -> list[str]:
    checkout = tmp / name / "checkout"
    env = user_environment()
    python = machine_python(env)
    transcript = [f"# job {name}: {cell(job, python)}"]
    for step in job["steps"]:
        if "uses" in step:
            action = step["uses"].split("@")[0]
            if action not in STAND_INS:
                raise RuntimeError(f"{step['uses']}: no stand-in for this action in scripts/run_ci.py")
            if action == "actions/checkout":
                shutil.copytree(project, checkout, ignore=NOT_CHECKED_OUT)
            elif action == "astral-sh/setup-uv":
                inputs = step.get("with", {})
                if "python-version" in inputs:
                    env["UV_PYTHON"] = python
                if inputs.get("activate-environment"):
                    venv = checkout / ".venv"
                    subprocess.run(["uv", "venv", "--quiet", str(venv)], cwd=checkout, env=env, check=True)
                    env["VIRTUAL_ENV"] = str(venv)
                    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
            continue
        name = step.get("name", step["run"])
        if "${{" in step["run"]:
            raise RuntimeError(f"step {name!r}: scripts/run_ci.py does not evaluate expressions")
        done = subprocess.run(
            [*SHELL, step["run"]], cwd=checkout, env=env, capture_output=True, text=True, timeout=900, check=False
        )
        transcript.append(f"## {name}\n{done.stdout}{done.stderr}")
        if done.returncode != 0:
            failed = "\n".join(transcript)[-8000:]
            raise RuntimeError(f"CI step {name!r} failed (exit {done.returncode}):\n{failed}")
    return transcript


def run_ci(project: Path) -> str:
    """Run the workflow's jobs in copies of ``project``; return what they printed, or raise
    naming the step that failed."""
    transcript = []
    with tempfile.TemporaryDirectory(prefix="ci-run-") as tmp:
        for name, job in jobs(project).items():
            transcript += run_job(name, job, project, Path(tmp))
    return "\n".join(transcript)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(run_ci(Path(sys.argv[1]).resolve()))
