"""Fast tier: the rules for coding agents (AGENTS.md, and CLAUDE.md pointing to it) come when
chosen, name only the chosen examples, and document only commands the README has — which the
slow tier runs as written."""

from typing import Any

from conftest import EXAMPLES, MODULES, Project, bake

from scripts.run_readme import readme_commands

AGENT_FILES = ("AGENTS.md", "CLAUDE.md")


def commands(markdown: Project, name: str) -> set[str]:
    """The commands of a markdown file's shell blocks, without their comments."""
    return {command.text.split("  #")[0].strip() for command in readme_commands(markdown.path / name)}


def test_the_rules_come_only_when_chosen(cookies: Any) -> None:
    without = bake(cookies, agent_rules=False)
    assert not any((without.path / name).exists() for name in AGENT_FILES)
    with_them = bake(cookies)
    assert (with_them.path / "CLAUDE.md").read_text().strip() == "@AGENTS.md"


def test_the_rules_name_the_chosen_examples_and_only_those(project: Project) -> None:
    rules = (project.path / "AGENTS.md").read_text()
    for example in EXAMPLES:
        assert (f"{MODULES[example]}.py" in rules) == project.answers[example], example
    assert ("external_systems.py" in rules) == (project.package / "external_systems.py").exists()


def test_every_command_in_the_rules_is_one_the_readme_runs(project: Project) -> None:
    documented = commands(project, "AGENTS.md")
    assert documented, "AGENTS.md shows no commands"
    assert documented <= commands(project, "README.md")
