"""Fast tier: the pre-generation hook refuses what cannot work, and leaves nothing behind."""

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Project, hook_constant

NO_EXAMPLES = dict.fromkeys(EXAMPLES, False)

REFUSALS = {
    "slug with a space": ({"project_slug": "my service"}, "project_slug 'my service'", "lowercase letters"),
    "slug with capitals": ({"project_slug": "My-Service"}, "project_slug 'My-Service'", "lowercase letters"),
    "slug with a double dash": ({"project_slug": "my--service"}, "project_slug 'my--service'", "single - or _"),
    "newline in the name": ({"project_name": "Two\nLines"}, "project_name 'Two\\nLines'", "one line"),
    "tab in the description": ({"description": "a\tb"}, "description 'a\\tb'", "one line"),
    "escape code in the author": ({"author_name": "\x1b[31mred"}, "author_name '\\x1b[31mred'", "control characters"),
    "package with a dash": ({"package_name": "my-service"}, "package_name 'my-service'", "Python identifier"),
    "package from a digit": ({"package_name": "2fast"}, "package_name '2fast'", "Python identifier"),
    "package is a keyword": ({"package_name": "class"}, "package_name 'class'", "keyword"),
    "package is a soft keyword": ({"package_name": "match"}, "package_name 'match'", "keyword"),
    "package shadows the stdlib": ({"package_name": "json"}, "package_name 'json'", "shadow"),
    "package shadows the SDK": ({"package_name": "restate"}, "package_name 'restate'", "shadow"),
    "package shadows hypercorn": ({"package_name": "hypercorn"}, "package_name 'hypercorn'", "shadow"),
    "package shadows uvloop": ({"package_name": "uvloop"}, "package_name 'uvloop'", "shadow"),
    "no example chosen": (NO_EXAMPLES, "examples durable_execution=no", "at least one example"),
    "package name too long": ({"package_name": "p" * 65}, f"package_name '{'p' * 65}'", "at most 64 characters"),
}


@pytest.mark.parametrize(("answers", "names", "rule"), REFUSALS.values(), ids=REFUSALS.keys())
def test_the_hook_refuses_with_one_clear_line(
    cookies: Any, capfd: pytest.CaptureFixture[str], tmp_path: Path, answers: dict[str, Any], names: str, rule: str
) -> None:
    result = cookies.bake(extra_context=answers)

    assert result.exit_code != 0
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR: ") and rule in line]
    assert len(errors) == 1 and names in errors[0], errors
    # Nothing half-made: the bake's output directory is empty.
    assert [path for path in (tmp_path / "cookies").rglob("*") if path.is_file()] == []


def test_an_example_answer_that_is_no_boolean_is_refused(cookies: Any, tmp_path: Path) -> None:
    """cookiecutter 2.7+ itself refuses it, before any hook runs."""
    result = cookies.bake(extra_context={"workflows": "maybe"})
    assert result.exit_code != 0
    assert "maybe" in str(result.exception)
    assert [path for path in (tmp_path / "cookies").rglob("*") if path.is_file()] == []


def test_x_equals_no_on_the_command_line_is_a_real_boolean(cookies: Any) -> None:
    """cookiecutter 2.7+ reads "no" as False, so workflows=no leaves the workflow out."""
    result = cookies.bake(extra_context={"workflows": "no"})
    assert result.exit_code == 0, result.exception
    assert not (Path(result.project_path) / "restate_service" / "workflows.py").exists()


def imported_modules(project: Project) -> set[str]:
    """The top-level names of the absolute imports in the project's Python files."""
    modules = set()
    for path in project.path.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def test_the_taken_names_hold_every_module_the_project_imports(baked: Any) -> None:
    """Read from the hook, their one source: a package named like a module the project imports hides it."""
    project: Project = baked("de+bb+vo+wf")
    imported = imported_modules(project) - set(sys.stdlib_module_names) - {project.answers["package_name"]}
    assert imported - hook_constant("pre_gen_project.py", "TAKEN_NAMES") == set()
