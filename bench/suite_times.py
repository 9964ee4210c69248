"""How long the test suites take, wall clock, restate-server start included.

    make bench    (or: python bench/suite_times.py [--runs N] [--skip-template])

Bakes the default project (all four examples) and times its own test suite N times, then
times `make test` once (the template's lint and both tiers, as CI runs them). Targets on a
2-core machine: generated suite <= 5 s, make test <= 5 min. Prints; asserts nothing.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of the generated suite (default 3)")
    parser.add_argument("--skip-template", action="store_true", help="do not time the template's suite")
    parser.add_argument(
        "--write-bytecode",
        action="store_true",
        help="unset PYTHONDONTWRITEBYTECODE, as a default Python runs: imports (and pytest's assertion "
        "rewriting of test modules and plugins) are then cached after the first run",
    )
    args = parser.parse_args()

    # pytest-cookies is in this environment for the template's tests only; a generated project
    # has no pytest plugins, so its suite is timed without it.
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:cookies"]
    server = os.environ.get("RESTATE_SERVER_BIN", "found by the fixture")
    if args.write_bytecode:
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    bytecode = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    print(f"machine: {os.cpu_count()} cores; restate-server: {server}; bytecode cache {bytecode}")
    with tempfile.TemporaryDirectory(prefix="bench-") as output:
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=output))
        times = [timed(pytest, project) for _ in range(args.runs)]
    print(
        f"generated suite (all four examples): median {statistics.median(times):.2f} s, "
        f"min {min(times):.2f} s, max {max(times):.2f} s over {args.runs} runs (target <= 5 s)"
    )
    if not args.skip_template:
        # The command CI runs, not pytest alone: the template's tests need pytest-cookies (left
        # out above) and run on make's workers.
        template_time = timed(["make", "--no-print-directory", "test"], TEMPLATE)
        print(f"make test (lint, fast and slow tier): {template_time:.1f} s (target <= 300 s)")


if __name__ == "__main__":
    main()
