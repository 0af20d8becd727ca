"""A background task with a graceful stop: the work in hand finishes, idle waits end at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from subgraphs.kit.logging import get_logger

T = TypeVar("T")

log = get_logger("polyshop.events")


class Stopped(Exception):
    """Raised inside a worker's wait when a stop was requested."""


class Worker:
    """Subclasses implement `run`; `start` launches it, `stop` asks it to end and waits."""

    name = "worker"

    def __init__(self) -> None:
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run(self) -> None:
        raise NotImplementedError

    def start(self) -> asyncio.Task[None]:
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self._stop.clear()
        self._task = asyncio.create_task(self._main(), name=self.name)
        return self._task

    async def _main(self) -> None:
        with contextlib.suppress(Stopped):
            await self.run()

    async def stop(self, grace: float = 30.0) -> None:
        """Request a stop, wait up to ``grace`` seconds for the current work, then cancel."""
        self._stop.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            log.warning("worker did not stop in time; cancelled", worker=self.name)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def sleep(self, seconds: float) -> None:
        """Sleep, but raise `Stopped` as soon as a stop is requested."""
        if self._stop.is_set():
            raise Stopped
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        if self._stop.is_set():
            raise Stopped

    async def until_stopped(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` unless a stop comes first (then it is cancelled: `Stopped`)."""
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if work.done():
            return work.result()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await work
        raise Stopped
