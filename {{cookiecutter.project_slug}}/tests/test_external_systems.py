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
import restate
from local_restate.clients import Ledger

from {{ cookiecutter.package_name }} import external_systems

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Each stand-in this project has, as (name, arguments but the idempotency key, its ledger operation).
STAND_INS = [
{%- if cookiecutter.durable_execution %}
    ("create_recurring_payment", {"user_id": "u1", "payment_method": "pm_card_visa"}, "payment:k1"),
    ("cancel_recurring_payment", {"payment_key": "k0"}, "cancel-payment:k0"),
    (
        "create_subscription",
        {"user_id": "u1", "subscription": "Netflix", "payment_ref": "pay-1"},
        "subscription:u1:Netflix",
    ),
    (
        "cancel_subscription",
        {"user_id": "u1", "subscription": "Netflix", "subscription_key": "k0"},
        "cancel-subscription:u1:Netflix",
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
{%- if cookiecutter.ai_agent %}
    ("look_up_order", {"order_id": "A-1002"}, "order:A-1002"),
    ("refund_order", {"order_id": "A-1002"}, "refund:k1"),
    ("ask_for_approval", {"order_id": "A-1001", "awakeable_id": "sign_1abc"}, "approval:k1"),
{%- endif %}
]
NAME, ARGUMENTS, OPERATION = STAND_INS[0]
KIND = OPERATION.split(":")[0]


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


def test_a_line_still_being_written_is_read_once_it_is_whole(ledger_file: Path) -> None:
    """The tests read the ledger while the service appends to it, and the stand-ins read it for
    their idempotency keys: a line caught half written is left for the next read."""
    first = call(NAME, ARGUMENTS)
    line = json.dumps({"event": "done", "operation": OPERATION, "key": "k2", "result": first}) + "\n"
    half = line.index('"result"')  # the key written, its result not yet
    with ledger_file.open("a") as ledger:
        ledger.write(line[:half])
        ledger.flush()
        assert [entry["event"] for entry in Ledger(ledger_file).all()] == ["attempt", "done"]
        assert external_systems._first_effect(OPERATION, "k2") == (False, None)
        ledger.write(line[half:])
    assert [entry["event"] for entry in Ledger(ledger_file).all()] == ["attempt", "done", "done"]
    assert external_systems._first_effect(OPERATION, "k2") == (True, first)


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


@pytest.mark.slow  # pytest --slow runs it: a process of its own per case
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


@pytest.mark.parametrize(("name", "arguments", "operation"), STAND_INS, ids=[s[0] for s in STAND_INS])
def test_fail_operations_first_fails_the_first_attempts_of_the_kind_named_only(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch, name: str, arguments: dict[str, str], operation: str
) -> None:
    kind = operation.split(":")[0]
    other = next(o for n, a, o in STAND_INS if o.split(":")[0] != kind)
    monkeypatch.setenv("FAIL_OPERATIONS", f" {other.split(':')[0]}:first=0 , {kind}:first=2 ")
    for attempt in (1, 2):
        with pytest.raises(RuntimeError, match=f"{operation}: injected failure \\(attempt {attempt}\\)"):
            call(name, arguments)
    call(name, arguments)
    assert events(ledger_file) == ["attempt", "attempt", "attempt", "done"]


def test_fail_operations_always_fails_every_attempt_and_leaves_other_kinds_alone(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_OPERATIONS", f"{KIND}:always")
    for _ in range(10):
        with pytest.raises(RuntimeError, match="injected failure"):
            call(NAME, ARGUMENTS)
    other_name, other_arguments, other = next(s for s in STAND_INS if s[2].split(":")[0] != KIND)
    call(other_name, other_arguments)
    assert [(e["event"], e["operation"]) for e in entries(ledger_file)[-2:]] == [("attempt", other), ("done", other)]
    assert events(ledger_file) == ["attempt"] * 11 + ["done"]


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        (f"{KIND}:sometimes", f"'{KIND}:sometimes'"),
        (f"{KIND}:first=two", f"'{KIND}:first=two'"),
        (f"{KIND}:first=-1", f"'{KIND}:first=-1'"),
        (KIND, f"'{KIND}'"),
        (f"{KIND}:always,charge:always", "'charge'"),
        (f"{KIND}-typo:always", f"'{KIND}-typo'"),
    ],
)
def test_a_malformed_fail_operations_fails_the_first_call_for_good_naming_the_bad_part(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch, setting: str, named: str
) -> None:
    monkeypatch.setenv("FAIL_OPERATIONS", setting)
    with pytest.raises(restate.TerminalError) as raised:
        call(NAME, ARGUMENTS)
    message = raised.value.message
    assert message.startswith("FAIL_OPERATIONS: ") and named in message, message
    assert "\n" not in message and len(message) < 200, message
    assert raised.value.status_code == 500
    assert not ledger_file.exists()  # no attempt was made
{%- if cookiecutter.durable_execution %}


def test_an_undo_cancels_what_its_key_made_once_and_answers_not_found_for_what_was_never_made(
    ledger_file: Path,
) -> None:
    subscription = {"user_id": "u1", "subscription": "Netflix"}
    call("create_subscription", {**subscription, "payment_ref": "pay-1"}, key="made")
    cancel = {**subscription, "subscription_key": "made"}
    assert call("cancel_subscription", cancel, key="undo") == "CANCELLED"
    assert call("cancel_subscription", cancel, key="undo") == "CANCELLED"  # a repeat: no second effect
    assert call("cancel_subscription", {**subscription, "subscription_key": "never"}, key="undo-2") == "NOT_FOUND"

    payment = call("create_recurring_payment", {"user_id": "u1", "payment_method": "pm_card_visa"}, key="paid")
    assert call("cancel_recurring_payment", {"payment_key": "paid"}, key="undo-3") == "CANCELLED"
    assert call("cancel_recurring_payment", {"payment_key": "unpaid"}, key="undo-4") == "NOT_FOUND"

    done = [(e["operation"], e["result"]) for e in entries(ledger_file) if e["event"] in ("done", "repeat")]
    assert done == [
        ("subscription:u1:Netflix", "SUCCESS"),
        ("cancel-subscription:u1:Netflix", "CANCELLED"),
        ("cancel-subscription:u1:Netflix", "CANCELLED"),
        ("cancel-subscription:u1:Netflix", "NOT_FOUND"),
        ("payment:paid", payment),
        ("cancel-payment:paid", "CANCELLED"),
        ("cancel-payment:unpaid", "NOT_FOUND"),
    ]
    assert events(ledger_file).count("repeat") == 1


@pytest.mark.parametrize(
    ("name", "arguments", "status", "message"),
    [
        ("create_recurring_payment", {"user_id": "u1", "payment_method": "pm_card_chargeDeclined"}, 402, "declined"),
        ("create_subscription", {"user_id": "u1", "subscription": "SoldOutTV", "payment_ref": "p"}, 409, "sold out"),
    ],
    ids=["declined", "sold out"],
)
def test_a_refusal_is_a_terminal_error_with_its_status_and_no_effect(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch, name: str, arguments: dict[str, str], status: int, message: str
) -> None:
    monkeypatch.setenv("FAIL_FIRST_ATTEMPTS", "1")
    with pytest.raises(RuntimeError, match="injected failure"):
        call(name, arguments)  # a failure first: retried, and then refused
    for _ in range(2):
        with pytest.raises(restate.TerminalError, match=message) as refused:
            call(name, arguments)
        assert refused.value.status_code == status
    assert events(ledger_file) == ["attempt", "attempt", "refused", "attempt", "refused"]
{%- endif %}
