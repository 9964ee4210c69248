"""Fast tier: the generated tests' process layer is a plain Python package, importable as it
is in the template: the bench imports it through the ``local_restate`` link at the root."""

import importlib

from conftest import TEMPLATE


def test_the_harness_holds_no_template_syntax() -> None:
    for module in (TEMPLATE / "local_restate").glob("*.py"):
        code = module.read_text()
        assert "{{" not in code and "{%" not in code, (
            f"{module.name}: rendered only in a bake, the bench could not import it"
        )


def test_the_template_imports_the_harness_as_a_module() -> None:
    restate_server = importlib.import_module("local_restate.restate_server")
    assert restate_server.RestateServer.__module__ == "local_restate.restate_server"
