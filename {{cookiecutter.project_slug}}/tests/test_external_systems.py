"""The stand-in external systems fail, crash, deduplicate and record exactly as their switches say."""

import asyncio
import json
import logging
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import external_systems

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Each stand-in this project has, as (name, arguments but the idempotency key, its ledger operation).
STAND_INS = [
{%- if cookiecutter.durable_execution %}
    ("create_recurring_payment", {"payment_method": "pm_card_visa"}, "payment:k1"),
    (
        "create_subscription",
        {"user_id": "u1", "subscription": "Netflix", "payment_ref": "pay-1"},
        "subscription:u1:Netflix",
    ),
{%- endif %}
{%- if cookiecutter.workflows %}
    ("create_user", {"user_id": "u1", "name": "Ann", "email": "ann@example.com"}, "user:u1"),
    ("send_email_with_link", {"user_id": "u1", "email": "ann@example.com", "secret": "s3cret"}, "email:u1"),
{%- endif %}
{%- if cookiecutter.building_blocks %}
    ("draw_ticket", {"raffle": "spring"}, "ticket:spring"),
    ("announce_ticket", {"raffle": "spring", "ticket": "3f9c2a1b"}, "announcement:spring"),
{%- endif %}
]
NAME, ARGUMENTS, OPERATION = STAND_INS[0]


def call(name: str, arguments: dict[str, str], key: str = "k1") -> Any:
    stand_in: Callable[..., Coroutine[Any, Any, Any]] = getattr(external_systems, name)
    return asyncio.run(stand_in(**arguments, idempotency_key=key))


@pytest.fixture
def ledger_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.jsonl"
    monkeypatch.setenv("LEDGER_FILE", str(path))
    monkeypatch.setattr(external_systems, "_attempts", Counter())
    return path


def entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def events(path: Path) -> list[str]:
    return [entry["event"] for entry in entries(path)]


@pytest.mark.parametrize(("name", "arguments", "operation"), STAND_INS, ids=[s[0] for s in STAND_INS])
def test_a_repeated_key_makes_no_second_effect_and_returns_the_first_result(
    ledger_file: Path, name: str, arguments: dict[str, str], operation: str
) -> None:
    first = call(name, arguments)
    again = call(name, arguments)
    call(name, arguments, key="k2")

    assert again == first
    assert events(ledger_file) == ["attempt", "done", "attempt", "repeat", "attempt", "done"]
    assert [e["key"] for e in entries(ledger_file) if e["event"] == "done"] == ["k1", "k2"]
    assert entries(ledger_file)[1]["operation"] == operation


def test_the_keys_seen_outlive_the_process_in_the_ledger_file(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = call(NAME, ARGUMENTS)
    # A new process: nothing in memory, the ledger file (the "remote" system) remembers.
    monkeypatch.setattr(external_systems, "_attempts", Counter())
    monkeypatch.setattr(external_systems, "_effects", {})
    assert call(NAME, ARGUMENTS) == first
    assert events(ledger_file) == ["attempt", "done", "attempt", "repeat"]


def test_without_a_ledger_file_the_keys_seen_are_kept_in_memory(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("LEDGER_FILE", raising=False)
    monkeypatch.setattr(external_systems, "_effects", {})
    with caplog.at_level(logging.INFO, logger=external_systems.__name__):
        first = call(NAME, ARGUMENTS)
        assert call(NAME, ARGUMENTS) == first
    assert [record.message.endswith("answered with the first result") for record in caplog.records] == [False, True]


def test_fail_first_attempts_fails_each_call_that_often_then_succeeds(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_FIRST_ATTEMPTS", "2")
    for attempt in (1, 2):
        with pytest.raises(RuntimeError, match=f"injected failure \\(attempt {attempt}\\)"):
            call(NAME, ARGUMENTS)
    call(NAME, ARGUMENTS)
    assert events(ledger_file) == ["attempt", "attempt", "attempt", "done"]


def test_fail_after_effect_fails_after_the_effect_and_the_retry_is_a_repeat(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_FIRST_ATTEMPTS", "1")
    monkeypatch.setenv("FAIL_AFTER_EFFECT", "1")
    with pytest.raises(RuntimeError, match="injected failure"):
        call(NAME, ARGUMENTS)
    assert events(ledger_file) == ["attempt", "done"]  # the effect happened, the caller heard of a failure

    retried = call(NAME, ARGUMENTS)
    assert events(ledger_file) == ["attempt", "done", "attempt", "repeat"]
    assert retried == entries(ledger_file)[1]["result"]


@pytest.mark.parametrize("after_effect", ["0", "1"])
def test_crash_process_kills_the_process_instead_of_raising(tmp_path: Path, after_effect: str) -> None:
    ledger = tmp_path / "ledger.jsonl"
    code = f"import asyncio, {external_systems.__name__} as e; "
    code += f"asyncio.run(e.{NAME}(**{ARGUMENTS!r}, idempotency_key='k1'))"
    env = {"FAILURE_RATE": "1", "CRASH_PROCESS": "1", "FAIL_AFTER_EFFECT": after_effect, "LEDGER_FILE": str(ledger)}
    crashed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env={**env, "PATH": ""}, check=False)

    assert crashed.returncode == 1
    # Died before the effect, or right after it.
    assert events(ledger) == (["attempt", "done"] if after_effect == "1" else ["attempt"])
