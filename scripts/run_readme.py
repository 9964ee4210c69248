"""Follow a generated project's README as a user would: every shell command, in order, as written.

    python -m scripts.run_readme build/restate-service [--pip]

Runs in the project directory it is given (use a fresh bake: the set-up makes ``.venv`` and
``node_modules`` there) and prints what each command printed. How it runs them:

- The "Set up" section runs first, with this machine's network (uv, npm) and without the
  template's virtual environment or settings (scripts/user_shell.py: uv is on its PATH). Its
  final environment (an activated venv) carries over to every later section, as it would in
  the user's terminal. It is either the uv commands, or with ``--pip`` the commands of its
  sub-section ``PIP_SETUP`` instead (the same set-up with pip). From Python, ``run_readme``
  can follow only some sections after it.
- Every later section runs in one bash session inside a private network namespace
  (``unshare --map-root-user --net``, loopback only): Restate's and the service's default
  ports (8080, 9070, 9080) are free there and nothing outside can reach them, so no port in
  a command has to change.
- A command ending in ``# keeps running; Ctrl+C stops it`` starts in the background, in its
  own process group, and the next command waits until it serves. A later command that
  serves on the same port replaces it, as a user stops one server before starting the
  next; at the end every one is stopped. Stopping sends SIGTERM to the group, as
  ``docker stop`` does, and fails if the service takes more than 2 s to exit.
- Every ``curl`` reports its HTTP status on the side: the run fails on any status but 2xx,
  unless the comment under the command starts with ``# HTTP <status>``.
- Sections that cannot run on a machine without Docker are listed in ``SKIPPED``.
"""

import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from scripts.user_shell import user_environment

KEEPS_RUNNING = "# keeps running; Ctrl+C stops it"
SETUP = "Set up"
PIP_SETUP = "Or with pip"  # a sub-section of SETUP: the alternative to its uv commands
SKIPPED = {"Run with Docker": "no Docker engine here (hadolint and the Compose schema check those files)"}
# What a background command serves, found by the program it runs, and how long it may take to stop.
RESTATE_READY = ("http://localhost:9070/health", "http://localhost:8080/restate/health")
SERVICE_READY = ("http://localhost:9080/health",)
RESTATE_STOP_SECONDS, SERVICE_STOP_SECONDS = 30, 2

SECTION = re.compile(r"^## (.+?)\n(.*?)(?=^## |\Z)", re.DOTALL | re.MULTILINE)
SUBSECTION = re.compile(r"^### (.+?)$", re.MULTILINE)
SHELL_BLOCK = re.compile(r"^```shell\n(.*?)^```", re.DOTALL | re.MULTILINE)
EXPECTED_STATUS = re.compile(r"^# HTTP (\d{3})\b")

# Functions the session defines before the README's commands.
PRELUDE = r"""
set -euo pipefail
declare -A SERVING=()  # port -> process group serving it
STOPPED_LATE=0

# curl as written, plus its HTTP status on stderr, and a newline after each answer.
curl() {
  local rc=0
  command curl --silent --show-error --write-out '%{stderr}HTTP %{http_code}\n' "$@" || rc=$?
  echo
  return $rc
}

stop_group() {  # stop_group PGID SECONDS: SIGTERM, then wait; SIGKILL and fail if it takes longer
  local group=$1 limit=$2 waited=0
  kill -TERM -- "-$group" 2>/dev/null || return 0
  while kill -0 -- "-$group" 2>/dev/null; do
    if (( waited >= limit * 20 )); then
      echo "!! process group $group still running ${limit} s after SIGTERM" >&2
      kill -KILL -- "-$group" 2>/dev/null || true
      STOPPED_LATE=1
      return 0
    fi
    sleep 0.05
    waited=$((waited + 1))
  done
}

start_background() {  # start_background LOG STOP_SECONDS COMMAND URL...
  local log=$1 limit=$2 command=$3 url port
  shift 3
  for url in "$@"; do
    port=${url#http://localhost:}; port=${port%%/*}
    if [[ -n ${SERVING[$port]:-} ]]; then
      stop_group "${SERVING[$port]%:*}" "${SERVING[$port]#*:}"
      unset "SERVING[$port]"
    fi
  done
  setsid bash -c "$command" >"$log" 2>&1 < /dev/null &
  local group=$!
  for url in "$@"; do
    for _ in $(seq 1 1200); do
      command curl --silent --fail --output /dev/null "$url" && break
      if ! kill -0 "$group" 2>/dev/null; then
        echo "!! exited before serving $url:" >&2; tail -n 30 "$log" >&2; return 1
      fi
      sleep 0.05
    done
    command curl --silent --fail --output /dev/null "$url" || { echo "!! $url not up after 60 s" >&2; return 1; }
    port=${url#http://localhost:}; port=${port%%/*}
    SERVING[$port]="$group:$limit"
  done
}

stop_all() {
  local port
  for port in "${!SERVING[@]}"; do stop_group "${SERVING[$port]%:*}" "${SERVING[$port]#*:}"; done
  SERVING=()
  return $STOPPED_LATE
}
trap 'stop_all || true' EXIT
"""


@dataclass
class Command:
    number: int  # its place in the README
    section: str
    text: str  # continuation lines joined
    subsection: str = ""  # the ### heading it is under, if any
    answer: list[str] = field(default_factory=list)  # the comment lines right under it

    @property
    def keeps_running(self) -> bool:
        return self.text.endswith(KEEPS_RUNNING)

    @property
    def expected_status(self) -> str | None:
        found = EXPECTED_STATUS.match(self.answer[0]) if self.answer else None
        return found.group(1) if found else None


def readme_commands(readme: Path) -> list[Command]:
    """Every command of the README's shell blocks, in order, with the comments under it."""
    commands: list[Command] = []
    for title, body in SECTION.findall(readme.read_text()):
        # The text before the first ### heading, then each ### heading and its text.
        parts = SUBSECTION.split(body)
        for subsection, text in zip(["", *parts[1::2]], parts[::2], strict=True):
            for block in SHELL_BLOCK.findall(text):
                previous: Command | None = None
                for line in block.replace("\\\n", "").splitlines():
                    line = line.strip()
                    if line.startswith("#"):
                        if previous:
                            previous.answer.append(line)
                    elif line:
                        previous = Command(len(commands), title.strip(), line, subsection=subsection.strip())
                        commands.append(previous)
                    else:
                        previous = None
    return commands


def setup_commands(commands: list[Command], with_pip: bool = False) -> list[Command]:
    """The set-up a user follows: the uv commands, or with_pip, the pip commands instead."""
    return [c for c in commands if c.section == SETUP and (c.subsection == PIP_SETUP) == with_pip]


def as_script(commands: list[Command], logs: Path) -> str:
    """A bash session that echoes each command, runs it and marks where its curl statuses start."""
    lines = [PRELUDE]
    for command in commands:
        number = command.number
        lines.append(f"printf '\\n$ %s\\n' {shlex.quote(command.text)}; echo '@@ {number}' >&2")
        if command.keeps_running:
            is_restate = "restate-server" in command.text
            ready = RESTATE_READY if is_restate else SERVICE_READY
            limit = RESTATE_STOP_SECONDS if is_restate else SERVICE_STOP_SECONDS
            log = logs / f"background-{number}.log"
            lines.append(f"start_background {log} {limit} {shlex.quote(command.text)} {' '.join(ready)}")
        else:
            lines.append(command.text)
    lines.append("stop_all")
    return "\n".join(lines) + "\n"


def unexpected_statuses(commands: list[Command], stderr: str) -> list[str]:
    """Each command's curl statuses against what its comment documents (2xx by default)."""
    problems, current = [], None
    for line in stderr.splitlines():
        if line.startswith("@@ "):
            current = commands[int(line[3:])]
        elif current and re.fullmatch(r"HTTP \d{3}", line):
            status, expected = line[5:], current.expected_status
            if (expected and status != expected) or (not expected and not status.startswith("2")):
                problems.append(f"{current.text}\n  answered HTTP {status}, documented: {expected or '2xx'}")
    return problems


def run(script: str, project: Path, env: dict[str, str], isolated: bool) -> subprocess.CompletedProcess[str]:
    if isolated:
        # A new network namespace starts with loopback down.
        script = "ip link set lo up\n" + script
        command = ["unshare", "--map-root-user", "--net", "bash", "-c", script]
    else:
        command = ["bash", "-c", script]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False)


def run_readme(project: Path, with_pip: bool = False, sections: Collection[str] = ()) -> str:
    """Run the README's commands in ``project``: its set-up, with uv or ``with_pip``, then every
    later section, or only those named in ``sections``. Return what they printed, or raise
    saying what failed."""
    commands = readme_commands(project / "README.md")
    if unknown := set(sections) - {command.section for command in commands}:
        raise ValueError(f"no such section with commands in {project / 'README.md'}: {sorted(unknown)}")
    setup = setup_commands(commands, with_pip)
    rest = [c for c in commands if c.section not in (SETUP, *SKIPPED)]
    if sections:
        rest = [c for c in rest if c.section in sections]
    with tempfile.TemporaryDirectory(prefix="readme-run-") as tmp:
        logs, env_file = Path(tmp), Path(tmp) / "env"
        # The set-up's environment at its end (a venv it activated) is where the user goes on.
        script = as_script(setup, logs) + f"env -0 > {shlex.quote(str(env_file))}\n"
        done = run(script, project, user_environment(), isolated=False)
        transcript = done.stdout
        if done.returncode == 0:
            env = dict(item.split("=", 1) for item in env_file.read_text().split("\0") if "=" in item)
            done = run(as_script(rest, logs), project, env, isolated=True)
            transcript += done.stdout
        problems = unexpected_statuses(commands, done.stderr)
        errors = "\n".join(line for line in done.stderr.splitlines() if not re.fullmatch(r"@@ \d+|HTTP \d{3}", line))
        if done.returncode != 0 or problems:
            backgrounds = "".join(f"\n--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(logs.glob("*.log")))
            raise RuntimeError(
                f"README commands failed (exit {done.returncode}):\n{transcript[-6000:]}\n{errors[-4000:]}\n"
                + "\n".join(problems)
                + backgrounds
            )
    return transcript


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["--pip"]):
        raise SystemExit(__doc__)
    print(run_readme(Path(sys.argv[1]).resolve(), with_pip=sys.argv[2:] == ["--pip"]))
