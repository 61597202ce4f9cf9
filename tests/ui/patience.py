"""How the browser tests wait: on a condition (a heading on screen, a row in the database, a
value in the browser's storage), never for a fixed time. The bound here is a safety net for a
test that is broken, generous enough that a loaded CI machine never reaches it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

SAFETY_S = 300.0
SAFETY_MS = int(SAFETY_S * 1000)  # Playwright's unit: every page and context gets it
T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = SAFETY_S) -> T:
    """The predicate's first truthy value, checked until it comes (or the safety net)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met after {timeout:.0f} s")
        time.sleep(0.1)
