"""The one way a test waits for something that happens in the background."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    what: str = "it",
    *,
    within: float = 15.0,
    interval: float = 0.05,
) -> T:
    """Poll ``check`` (plain or async) until it returns something truthy, and return that;
    fail with "timed out waiting for <what>" after ``within`` seconds.

    Waiting for a condition is the only use: absence is proved by a counter or a marker that
    has moved (a consumer's ``skipped``, a relay's ``batches``), never by sleeping."""
    deadline = time.monotonic() + within
    while True:
        outcome = check()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return outcome  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)
