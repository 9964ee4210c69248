"""Request identity: the service answers Restate's signed requests and refuses unsigned ones."""

from local_restate import local_http
from local_restate.clients import Admin
from local_restate.service_process import ServiceProcess

MANIFEST = {"accept": "application/vnd.restate.endpointmanifest.v4+json"}


def test_restate_signs_its_requests_and_the_service_accepts_them(admin: Admin, service: ServiceProcess) -> None:
    # Registering makes Restate call the service's discovery endpoint, signed.
    assert admin.register(service.url)["services"]


def test_an_unsigned_request_to_the_service_is_refused(service: ServiceProcess) -> None:
    assert local_http.request("GET", f"{service.url}/discover", headers=MANIFEST).status_code == 401
    invoke = local_http.request("POST", f"{service.url}/invoke/AnyService/any_handler", content=b"")
    assert invoke.status_code == 401
