"""Entity cache invalidation from our own events (``entity_cache.invalidation.nats``).

The services publish their events through their outbox to NATS (JetStream streams over
``polyshop.<service>.>``; every envelope is ``{id, type, occurred_at, source,
correlation_id, data}``). A plain NATS subscription sees each event as it is published: the
router needs no durable consumer, since an entry it misses expires on its own (its TTL) and
the events only make it go sooner. Each rule names a subject, the entity type and the key
field it drops, and where the ids are in the event's ``data``.

The router never imports the services: the envelope is read here as plain JSON. While NATS
is unreachable the router keeps serving (entries then live until their TTL) and the client
reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import nats
import orjson
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg

from router.config.entity_cache import NatsInvalidationConfig, NatsInvalidationRule

from .entity_cache import EntityCache, Invalidation

log = structlog.get_logger("router.entity_cache.events")


def invalidations_of(rule: NatsInvalidationRule, body: bytes) -> list[Invalidation]:
    """The entities an event names (none when it is not an envelope or names no id)."""
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    data = envelope.get("data") if isinstance(envelope, dict) else None
    if not isinstance(data, dict):
        return []
    ids = data.get(rule.ids_field)
    values = ids if isinstance(ids, list) else [ids]
    subgraph = rule.subgraph
    if subgraph is None:
        source = envelope.get("source")
        subgraph = source if isinstance(source, str) else None
    if subgraph is None:
        return []
    return [
        Invalidation("entity", subgraph, rule.type, {rule.key_field: str(value)})
        for value in values
        if isinstance(value, str | int) and not isinstance(value, bool)
    ]


class CacheEvents:
    """Subscribes to the rules' subjects and drops the entries their events name."""

    def __init__(self, cache: EntityCache, config: NatsInvalidationConfig) -> None:
        self.cache = cache
        self.config = config
        self.ready = asyncio.Event()
        """Set once every subject is subscribed (tests wait on it)."""
        self.applied = 0
        """Events that dropped entries (or would have: their entities were not cached)."""
        self.invalidated = asyncio.Event()
        """Set after each event applied (tests clear it and wait on it)."""
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        delay = 0.5
        while True:
            try:
                client = await nats.connect(
                    self.config.url,
                    name="polyshop-router-entity-cache",
                    max_reconnect_attempts=-1,
                    connect_timeout=2,
                )
                break
            except Exception as error:
                log.warning(
                    "entity_cache.events_unreachable",
                    url=self.config.url,
                    error=str(error) or type(error).__name__,
                    retry_in=delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        self._client = client
        for rule in self.config.rules:
            await client.subscribe(rule.subject, cb=self._handler(rule))
        await client.flush()
        self.ready.set()
        log.info("entity_cache.events_subscribed", subjects=[r.subject for r in self.config.rules])

    def _handler(self, rule: NatsInvalidationRule) -> Any:
        async def handle(message: Msg) -> None:
            requests = invalidations_of(rule, message.data)
            if not requests:
                return
            await self.cache.invalidate(requests)
            self.applied += 1
            self.invalidated.set()

        return handle

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.drain()
