"""``python -m {{ cookiecutter.package_name }}``: serve the app exactly as the README's hypercorn command does."""

import sys
from pathlib import Path

from hypercorn.__main__ import main

CONFIG = Path(__file__).resolve().parent.parent / "hypercorn-config.toml"

if __name__ == "__main__":
    # Extra arguments (e.g. --bind 127.0.0.1:9081) override the config file.
    sys.exit(main(["--config", str(CONFIG), *sys.argv[1:], "{{ cookiecutter.package_name }}.app:app"]))
