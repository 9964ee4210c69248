"""Jinja filters of this template (cookiecutter loads them through ``_extensions``)."""

import json

from cookiecutter.utils import simple_filter


@simple_filter
def toml_string(value: str) -> str:
    """Any answer as a TOML basic string: quoted, with quotes, backslashes and controls escaped.

    JSON's escapes are all TOML escapes; JSON leaves DEL as it is, which TOML does not allow.
    """
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
