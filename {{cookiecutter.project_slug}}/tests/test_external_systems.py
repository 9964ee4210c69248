"""The stand-in external systems fail, crash and record exactly as their switches say."""

import asyncio
import json
import logging
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from local_restate import PROJECT_ROOT

from {{ cookiecutter.package_name }} import external_systems


@pytest.fixture
def ledger_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.jsonl"
    monkeypatch.setenv("LEDGER_FILE", str(path))
    monkeypatch.setattr(external_systems, "_attempts", Counter())
    return path


def entries(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_fail_first_attempts_fails_each_call_that_often_then_succeeds(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_FIRST_ATTEMPTS", "2")
    for attempt in (1, 2):
        with pytest.raises(RuntimeError, match=f"injected failure \\(attempt {attempt}\\)"):
            asyncio.run(external_systems.create_user("u1", "Ann", "ann@example.com"))
    assert asyncio.run(external_systems.create_user("u1", "Ann", "ann@example.com")) is True
    assert [e["event"] for e in entries(ledger_file)] == ["attempt", "attempt", "attempt", "done"]


def test_a_card_number_is_never_recorded_or_logged_in_full(ledger_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        asyncio.run(external_systems.create_recurring_payment("4111111111111111", "payment-1"))
    assert "4111111111111111" not in ledger_file.read_text() + caplog.text
    assert "****1111" in caplog.text
    assert entries(ledger_file)[-1]["card"] == "****1111"


def test_crash_process_kills_the_process_instead_of_raising(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    call = "import asyncio; from {{ cookiecutter.package_name }} import external_systems as e; "
    call += "asyncio.run(e.create_user('u1', 'Ann', 'a@b.c'))"
    env = {"FAILURE_RATE": "1", "CRASH_PROCESS": "1", "LEDGER_FILE": str(ledger), "PATH": ""}
    crashed = subprocess.run([sys.executable, "-c", call], cwd=PROJECT_ROOT, env=env, check=False)

    assert crashed.returncode == 1
    assert [e["event"] for e in entries(ledger)] == ["attempt"]  # died before the effect
