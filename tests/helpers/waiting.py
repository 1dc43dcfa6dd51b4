"""Waiting for state that another thread or process changes: poll it, never sleep blind."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

TIMEOUT = 30.0  # seconds: generous, so a busy machine is slow rather than failing
INTERVAL = 0.02  # seconds between looks


def wait_for(predicate: Callable[[], T], what: str, timeout: float = TIMEOUT) -> T:
    """Call `predicate` until it returns something true and return that; fail naming
    `what` once `timeout` seconds have passed. The predicate may raise to fail at once."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(INTERVAL)
