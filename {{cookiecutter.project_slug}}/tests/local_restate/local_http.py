"""HTTP requests to the processes the tests start on this machine."""

import ssl
from typing import Any

# httpx imports httpcore, which makes eight loggers, at the first request. Imported here, as
# the tests are collected: in a thread's first request (test_serving.py's background work)
# it could happen while pytest, starting a test, goes over all loggers, which it does without
# logging's lock ("RuntimeError: dictionary changed size during iteration").
import httpcore  # noqa: F401
import httpx

# httpx loads its bundle of certificates for every new client: ~50 ms of CPU each, spent on
# every poll and admin query. These requests are plain HTTP to 127.0.0.1, so one TLS
# context, made once, serves them all.
TLS = ssl.create_default_context()


def client(**options: Any) -> httpx.Client:
    """An ``httpx.Client`` (keeps its connections open: for many requests to one place)."""
    return httpx.Client(verify=TLS, **options)


def request(method: str, url: str, **options: Any) -> httpx.Response:
    """One request, as ``httpx.request`` makes it."""
    return httpx.request(method, url, verify=TLS, **options)
