"""The process's NATS connection, shared by its relay and consumers.

It connects in the background and never gives up (``max_reconnect_attempts=-1``): a service
starts and serves while NATS is down; events wait in the outbox and consumers simply idle.
"""

from __future__ import annotations

import asyncio

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from subgraphs.kit.events.settings import EventSettings
from subgraphs.kit.logging import get_logger

log = get_logger("polyshop.events.nats")


class EventBus:
    """Lazily connected NATS client; `jetstream` waits until the first connection."""

    def __init__(self, settings: EventSettings, *, name: str) -> None:
        self.settings = settings
        self.name = name
        self._client: Client | None = None
        self._lock = asyncio.Lock()
        self.errors = 0
        """Connection errors reported by the client (each failed connect attempt counts)."""

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None or self._client.is_closed:
                self._client = await self._connect()
            return self._client

    async def jetstream(self) -> JetStreamContext:
        client = await self.client()
        return client.jetstream(timeout=self.settings.events_publish_timeout)

    async def close(self) -> None:
        async with self._lock:
            client, self._client = self._client, None
        if client is not None and not client.is_closed:
            await client.close()

    async def _connect(self) -> Client:
        async def on_error(exc: Exception) -> None:
            self.errors += 1
            log.warning("nats error", error=repr(exc), connection=self.name)

        async def on_disconnected() -> None:
            log.warning("nats disconnected", connection=self.name)

        async def on_reconnected() -> None:
            log.info("nats reconnected", connection=self.name)

        client: Client = await nats.connect(
            self.settings.nats_url,
            name=self.name,
            connect_timeout=self.settings.nats_connect_timeout,
            reconnect_time_wait=self.settings.nats_reconnect_wait,
            max_reconnect_attempts=-1,
            error_cb=on_error,
            disconnected_cb=on_disconnected,
            reconnected_cb=on_reconnected,
        )
        log.info("nats connected", connection=self.name, url=self.settings.nats_url)
        return client
