"""Fast tier: one Restate version, cookiecutter.json's ``_restate_version``, everywhere.

The generated files render it; the template's own package.json (the restate-server that
``make test`` runs) is plain JSON that nothing renders, so it is checked against the key.
"""

import json
import re
from typing import Any

from conftest import TEMPLATE, Project, bake

RESTATE_VERSION = json.loads((TEMPLATE / "cookiecutter.json").read_text())["_restate_version"]
UNRELEASED = "99.99.99"
# The files that pin the server, the CLI or the image; the Python SDK has versions of its own.
RENDERED_IN = {"package.json", "compose.yaml", "compose.cluster.yaml", "README.md"}
SDK_REQUIREMENT = re.compile(r"restate-sdk\S*")
VERSION = re.compile(r"(?<![\d.])\d+\.\d+\.\d+(?!\.?\d)")  # x.y.z, not part of an address like 0.0.0.0


def test_the_template_installs_the_version_it_renders() -> None:
    tools = json.loads((TEMPLATE / "package.json").read_text())["devDependencies"]
    restate = {name: version for name, version in tools.items() if name.startswith("@restatedev/")}
    assert restate == {"@restatedev/restate": RESTATE_VERSION, "@restatedev/restate-server": RESTATE_VERSION}


def restate_versions(project: Project) -> dict[str, set[str]]:
    """Every x.y.z on a line that names restate (but not its Python SDK), by file."""
    found: dict[str, set[str]] = {}
    for path in project.path.rglob("*"):
        if path.is_file():
            for line in path.read_text().splitlines():
                if "restate" in line.lower():
                    for version in VERSION.findall(SDK_REQUIREMENT.sub("", line)):
                        found.setdefault(str(path.relative_to(project.path)), set()).add(version)
    return found


def test_every_restate_version_in_a_bake_is_the_rendered_one(cookies: Any) -> None:
    """Baked with a version that no file holds: one written by hand shows, even today's."""
    found = restate_versions(bake(cookies, _restate_version=UNRELEASED))
    assert {name: versions for name, versions in found.items() if versions != {UNRELEASED}} == {}
    assert RENDERED_IN - found.keys() == set()  # each still renders the key
