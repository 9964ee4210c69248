"""Waiting for something to happen: one poll loop for every wait in the tests."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

from . import local_http

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.02) -> T:
    """Call ``predicate`` until it returns something true, and return that; after ``timeout``
    seconds, fail saying ``what`` did not happen. It asks again after 1 ms, then twice as long
    each time up to ``interval``: most waits here end within milliseconds."""
    deadline = time.monotonic() + timeout
    pause = min(0.001, interval)
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(pause)
        pause = min(pause * 2, interval)


def answers(url: str) -> bool:
    """Whether a GET of this URL succeeds now."""
    try:
        return local_http.request("GET", url, timeout=1).is_success
    except httpx.TransportError:
        return False


def wait_until_serving(urls: list[str], alive: Callable[[], bool], log: Path, timeout: float) -> None:
    """Until each URL answers; fails at once, with the end of the process's log, if it exits."""

    def serving() -> bool:
        if not alive():
            raise RuntimeError(f"the process serving {urls[0]} exited:\n{log.read_text()[-3000:]}")
        return all(answers(url) for url in urls)

    try:
        wait_for(serving, timeout, f"{' and '.join(urls)} answering")
    except AssertionError as late:
        raise RuntimeError(f"{late}\n{log.read_text()[-3000:]}") from None
