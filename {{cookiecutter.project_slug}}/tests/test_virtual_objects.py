"""Virtual objects: per-key state that stays consistent under concurrency and restarts."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from local_restate.clients import Admin, Ingress, assert_rejected_as_bad_input
from local_restate.service_process import ServiceProcess


def test_greet_and_ungreet_count_per_key(ingress: Ingress, key: str) -> None:
    assert ingress.call_ok(f"/Greeter/{key}/greet", {"greeting": "Hi"}) == {
        "message": f"Hi {key}, greeting number 1",
        "count": 1,
    }
    assert ingress.call_ok(f"/Greeter/{key}/greet", {})["count"] == 2
    assert ingress.call_ok(f"/Greeter/{key}/ungreet")["count"] == 1
    assert ingress.call_ok(f"/Greeter/{key}/count") == 1


@pytest.mark.slow  # pytest --slow runs it
def test_concurrent_greets_to_one_key_are_serialized(ingress: Ingress, key: str) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: ingress.call_ok(f"/Greeter/{key}/greet", {}), range(20)))

    # Exclusive handlers run one at a time per key: no lost update, no count seen twice.
    assert sorted(r["count"] for r in results) == list(range(1, 21))
    assert ingress.call_ok(f"/Greeter/{key}/count") == 20


def test_keys_are_independent(ingress: Ingress, key: str) -> None:
    ingress.call_ok(f"/Greeter/{key}-a/greet", {})
    ingress.call_ok(f"/Greeter/{key}-a/greet", {})
    ingress.call_ok(f"/Greeter/{key}-b/greet", {})

    assert ingress.call_ok(f"/Greeter/{key}-a/count") == 2
    assert ingress.call_ok(f"/Greeter/{key}-b/count") == 1
    assert ingress.call_ok(f"/Greeter/{key}-c/count") == 0


def test_a_repeated_call_with_an_idempotency_key_counts_once(ingress: Ingress, key: str) -> None:
    headers = {"idempotency-key": f"{key}-greet"}
    first = ingress.http.post(f"/Greeter/{key}/greet", json={}, headers=headers)
    repeat = ingress.http.post(f"/Greeter/{key}/greet", json={}, headers=headers)

    assert first.json() == repeat.json() == {"message": f"Hello {key}, greeting number 1", "count": 1}
    assert ingress.call_ok(f"/Greeter/{key}/count") == 1


@pytest.mark.usefixtures("service")
def test_the_idempotency_retention_reaches_restate(admin: Admin) -> None:
    # What virtual_objects.py declares is what Restate applies: the registered service's settings.
    settings = admin.service("Greeter")
    assert settings["idempotency_retention"] == "1h"


@pytest.mark.slow  # pytest --slow runs it
def test_state_survives_a_restart_of_the_service(ingress: Ingress, service_process: ServiceProcess, key: str) -> None:
    ingress.call_ok(f"/Greeter/{key}/greet", {})
    ingress.call_ok(f"/Greeter/{key}/greet", {})

    service_process.kill()
    service_process.start()

    # The state lives in Restate, not in the service process.
    assert ingress.call_ok(f"/Greeter/{key}/greet", {})["count"] == 3


def test_malformed_json_gets_400(ingress: Ingress, admin: Admin, key: str) -> None:
    response = ingress.post_raw(f"/Greeter/{key}/greet", b"{greeting: Hi}")
    assert_rejected_as_bad_input(admin, response, "Invalid JSON")


def test_wrong_type_gets_400_naming_the_field(ingress: Ingress, admin: Admin, key: str) -> None:
    response = ingress.call(f"/Greeter/{key}/greet", {"greeting": ["not", "a", "string"]})
    assert_rejected_as_bad_input(admin, response, "greeting", "valid string")
