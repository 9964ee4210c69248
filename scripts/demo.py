"""Run the README of a generated project: start Restate and the service, register it, and
run every command of the README's "Try the examples" section, printing each answer.

    python scripts/demo.py build/restate-service

The commands run exactly as written, except that Restate's default ports in them point at
the free ports this run uses, and curl fails loudly on an HTTP error. Everything this
starts is stopped at the end. Used by `make demo` and by the template's slow tests.
"""

import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

SECTION = re.compile(r"^## Try the examples\n(.*?)(?=^## )", re.DOTALL | re.MULTILINE)
SHELL_BLOCK = re.compile(r"^```shell\n(.*?)^```", re.DOTALL | re.MULTILINE)

# curl as a user runs it, but quiet about progress, loud about HTTP errors, and ending
# each answer with a newline.
PRELUDE = """\
set -euo pipefail
curl() { command curl --silent --show-error --fail-with-body "$@"; echo; }
"""


def readme_commands(readme: Path) -> list[str]:
    """The shell commands of the "Try the examples" section, continuation lines joined."""
    section = SECTION.search(readme.read_text())
    if not section:
        raise SystemExit(f"{readme} has no '## Try the examples' section")
    commands = []
    for block in SHELL_BLOCK.findall(section.group(1)):
        for command in block.replace("\\\n", "").splitlines():
            if command.strip() and not command.lstrip().startswith("#"):
                commands.append(command.strip())
    return commands


def as_script(commands: list[str], ingress_url: str, admin_url: str) -> str:
    lines = [PRELUDE]
    for command in commands:
        command = command.replace("localhost:8080", ingress_url.removeprefix("http://"))
        command = command.replace("localhost:9070", admin_url.removeprefix("http://"))
        lines.append(f"printf '\\n$ %s\\n' {shlex.quote(command)}")
        lines.append(command)
    return "\n".join(lines) + "\n"


def run_demo(project: Path) -> str:
    """Run the README's examples against a fresh Restate; return what they printed."""
    sys.path.insert(0, str(project / "tests"))
    from local_restate import RestateServer, ServiceProcess, find_restate_server

    commands = readme_commands(project / "README.md")
    with tempfile.TemporaryDirectory(prefix="restate-demo-") as workdir:
        service = ServiceProcess(Path(workdir), {})
        server = RestateServer(find_restate_server(), Path(workdir) / "restate")
        try:
            server.start()
            service.start()
            server.register(service.url)
            script = as_script(commands, server.ingress_url, server.admin_url)
            done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
        finally:
            service.stop()
            server.stop()
    if done.returncode != 0:
        raise RuntimeError(f"a README command failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(run_demo(Path(sys.argv[1]).resolve()))
