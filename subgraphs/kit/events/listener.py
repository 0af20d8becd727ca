"""Wake-ups from PostgreSQL ``LISTEN/NOTIFY`` on a dedicated connection (outside the pool).

Notifications are a latency optimisation only: the relay also polls, so a lost connection
or a missed notification delays an event by at most one poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from subgraphs.kit.events.backoff import Backoff
from subgraphs.kit.events.worker import Worker
from subgraphs.kit.logging import get_logger

log = get_logger("polyshop.events.listener")

_PROBE_INTERVAL = 15.0


def libpq_dsn(url: URL) -> str:
    """An asyncpg DSN from the engine's SQLAlchemy URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class NotifyListener(Worker):
    """Sets ``wake`` on every notification of ``channel`` and after every (re)connect."""

    name = "outbox-listener"

    def __init__(self, dsn: str, channel: str, wake: asyncio.Event) -> None:
        super().__init__()
        self.dsn = dsn
        self.channel = channel
        self.wake = wake
        self.listening = asyncio.Event()

    async def run(self) -> None:
        backoff = Backoff(initial=0.2, maximum=5.0)
        while True:
            try:
                await self._listen_once()
                backoff.reset()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("listen connection failed", error=repr(exc), channel=self.channel)
            self.listening.clear()
            await self.sleep(backoff.next_delay())

    async def _listen_once(self) -> None:
        connection = await self.until_stopped(asyncpg.connect(self.dsn))
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_notify(*_args: Any) -> None:
            self.wake.set()

        def on_terminate(*_args: Any) -> None:
            if not lost.done():
                lost.set_result(None)

        try:
            connection.add_termination_listener(on_terminate)
            await connection.add_listener(self.channel, on_notify)
            self.listening.set()
            self.wake.set()  # anything committed while we were not listening
            while not lost.done():
                with contextlib.suppress(TimeoutError):
                    probe_due = asyncio.wait_for(asyncio.shield(lost), _PROBE_INTERVAL)
                    await self.until_stopped(probe_due)
                if not lost.done():
                    # A silent network can hide a dead server: probe it.
                    await connection.fetchval("SELECT 1", timeout=5)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)
