"""Slow tier: the README's "Grow your own service" works as written.

Its steps, followed in a copy of a bake: the shell command that copies the example, the
renames its table lists, the import and the ``services`` entry it names for ``app.py``, and
its test file, verbatim. The result passes that test, the determinism check, ruff and mypy.
"""

import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import Mypy, Project

pytestmark = pytest.mark.slow


def guide(project: Project) -> str:
    return (project.path / "README.md").read_text().split("## Grow your own service", 1)[1]


def add_to_app(app: Path, import_line: str, service: str) -> None:
    """The import among the app's own (in sorted place, as an editor would sort it), and the
    service at the top of ``services``."""
    lines = app.read_text().splitlines(keepends=True)
    own = [n for n, line in enumerate(lines) if line.startswith("from .")]
    place = next((n for n in own if lines[n] > import_line), own[-1] + 1)
    lines.insert(place, import_line + "\n")
    start = next(n for n, line in enumerate(lines) if line.startswith("services: "))
    lines.insert(start + 1, f"    {service},\n")
    app.write_text("".join(lines))


@pytest.mark.parametrize("name", ["de+bb+vo+wf", "wf", "vo", "bb"])
def test_the_growing_guide_works_as_written(baked: Any, tmp_path: Path, mypy: Mypy, name: str) -> None:
    source: Project = baked(name)
    project = Project(Path(shutil.copytree(source.path, tmp_path / "project")), source.answers)
    steps = guide(project)

    (copy,) = re.findall(r"```shell\n(.*?)```", steps, re.DOTALL)
    subprocess.run(copy.strip(), shell=True, cwd=project.path, check=True)
    new_module = project.path / copy.split()[-1]
    code = new_module.read_text()
    for old, new in re.findall(r"^\s*\| `(\w+)` \| `(\w+)` \|$", steps, re.MULTILINE):
        code = re.sub(rf"\b{old}\b", new, code)
    new_module.write_text(code)
    import_line, service = re.findall(
        r"import it \(`(from \.\w+ import \w+)`\) and add\s+`(\w+)` to `services`", steps
    )[0]
    add_to_app(project.package / "app.py", import_line, service)
    test_file = re.findall(r"`(tests/test_\w+\.py)`:", steps)[0]
    (test,) = re.findall(r"```python\n(.*?)```", steps, re.DOTALL)
    (project.path / test_file).write_text(textwrap.dedent(test))

    suite = project.run("pytest", "-q", "-p", "no:cacheprovider", test_file, "tests/test_determinism.py")
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert re.search(r"\d+ passed", suite.stdout.splitlines()[-1]), suite.stdout
    for lint in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        done = project.run(*lint)
        assert done.returncode == 0, f"{lint}: {done.stdout}{done.stderr}"
    typecheck = mypy(project.path)
    assert typecheck.returncode == 0, typecheck.stdout + typecheck.stderr
