"""Jinja filters of this template (cookiecutter loads them through ``_extensions``)."""

import json

from cookiecutter.utils import simple_filter


@simple_filter
def toml_string(value: str) -> str:
    """Any answer as a TOML basic string: quoted, with quotes, backslashes and controls escaped.

    JSON's escapes are all TOML escapes; JSON leaves DEL as it is, which TOML does not allow.
    """
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


# Where the answers came from on the machine that baked: not part of the record.
LOCAL_PATHS = {"_template", "_output_dir", "_repo_dir", "_checkout"}


@simple_filter
def answers_record(context: dict) -> str:
    """The answers as a cookiecutter replay file, without the baking machine's paths."""
    answers = {key: value for key, value in context.items() if key not in LOCAL_PATHS}
    return json.dumps({"cookiecutter": answers}, indent=2, ensure_ascii=False)
