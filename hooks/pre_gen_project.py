"""Refuse answers the generated project cannot work with, before anything is written.

Each check is one rule; a broken rule prints one line naming the value and the rule, and
exits 1, so cookiecutter stops and removes the half-made project directory.
"""

import json
import keyword
import re
import sys
import unicodedata

# The answers arrive as JSON inside a string literal: never pasted into this file as code.
ANSWERS = json.loads("{{ (cookiecutter | tojson | tojson)[1:-1] }}")

FREE_TEXT = ("project_name", "description", "author_name", "author_email")
EXAMPLES = ("durable_execution", "building_blocks", "virtual_objects", "workflows", "ai_agent")
PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
# Modules the generated project imports or runs; a package of the same name would hide them.
# The one list: the template's tests read it from here (and check that it holds every import).
TAKEN_NAMES = {
    # What the service and its tests import, and the tools they run.
    "restate",
    "hypercorn",
    "uvloop",
    "pydantic",
    "pydantic_core",
    "cryptography",
    "httpx",
    "httpcore",
    "hypothesis",
    "pytest",
    "mypy",
    "ruff",
    # What those import in turn, and the installers.
    "msgspec",
    "dacite",
    "h11",
    "h2",
    "anyio",
    "setuptools",
    "pip",
    # The project's own test modules.
    "tests",
    "conftest",
    "local_restate",
}


def text_problem(text: str) -> str | None:
    # Anything else is fine: files quote or escape answers for their own syntax.
    if any(unicodedata.category(char) == "Cc" for char in text):
        return "it must be one line, without control characters such as a newline or a tab"
    return None


def slug_problem(slug: str) -> str | None:
    if not re.fullmatch(r"[a-z0-9]+(?:[-_][a-z0-9]+)*", slug):
        return "it must be lowercase letters and digits, in words joined by single - or _"
    return None


# Longer, and a line that names the package would not fit in the project's 120 columns.
MAX_PACKAGE_LENGTH = 64


def package_problem(name: str) -> str | None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or not name.isidentifier():
        return "it must be a Python identifier of lowercase ASCII letters, digits and _"
    if len(name) > MAX_PACKAGE_LENGTH:
        return f"it must be at most {MAX_PACKAGE_LENGTH} characters, so that the code that names it fits in 120 columns"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return "it is a Python keyword"
    if name in sys.stdlib_module_names or name in TAKEN_NAMES:
        return "it would shadow a module the project imports (standard library or a dependency)"
    return None


def examples_problem(answers: dict) -> str | None:
    chosen = [answers[name] for name in EXAMPLES]
    if not all(isinstance(answer, bool) for answer in chosen):
        return "each must be yes or no (use cookiecutter 2.7 or newer, which reads x=no as a boolean)"
    if not any(chosen):
        return "choose at least one example, a project with none serves nothing"
    return None


def python_problem(version: str) -> str | None:
    if version not in PYTHON_VERSIONS:
        return f"it must be one of {', '.join(PYTHON_VERSIONS)} (the versions restate-sdk has wheels for)"
    return None


CHECKS = [
    *((question, ANSWERS[question], text_problem) for question in FREE_TEXT),
    ("project_slug", ANSWERS["project_slug"], slug_problem),
    ("package_name", ANSWERS["package_name"], package_problem),
    ("examples", {name: ANSWERS[name] for name in EXAMPLES}, examples_problem),
    ("python_version", ANSWERS["python_version"], python_problem),
]


def shown(value: object) -> str:
    if isinstance(value, dict):  # the examples: as they are typed on the command line
        return " ".join(
            f"{name}={'yes' if answer is True else 'no' if answer is False else answer}"
            for name, answer in value.items()
        )
    return repr(value)


def main() -> int:
    for question, value, check in CHECKS:
        problem = check(value)
        if problem:
            print(f"ERROR: {question} {shown(value)} refused: {problem}.", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
