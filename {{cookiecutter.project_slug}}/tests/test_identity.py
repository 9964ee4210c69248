"""Request identity: the service answers Restate's signed requests and refuses unsigned ones."""

import httpx
from local_restate.clients import Admin
from local_restate.service_process import ServiceProcess

MANIFEST = {"accept": "application/vnd.restate.endpointmanifest.v4+json"}


def test_restate_signs_its_requests_and_the_service_accepts_them(admin: Admin, service: ServiceProcess) -> None:
    # Registering makes Restate call the service's discovery endpoint, signed.
    assert admin.register(service.url)["services"]


def test_an_unsigned_request_to_the_service_is_refused(service: ServiceProcess) -> None:
    assert httpx.get(f"{service.url}/discover", headers=MANIFEST).status_code == 401
    invoke = httpx.post(f"{service.url}/invoke/AnyService/any_handler", content=b"")
    assert invoke.status_code == 401
