"""A graceful stop flushes the outbox: events written while the relay idles between polls are
published before `stop` returns (real PostgreSQL and NATS)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import nats
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from subgraphs.kit.events import (
    DEFAULT_TABLES,
    EventBus,
    EventSettings,
    OutboxRelay,
    add_event,
    add_event_tables,
    new_envelope,
    stream_name,
)

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]


async def test_stop_publishes_what_is_waiting(
    service_database: ServiceDatabaseFactory, nats_url: str
) -> None:
    service = f"flush{uuid.uuid4().hex[:8]}"
    url = await service_database("kit")
    engine = create_async_engine(url)
    metadata = MetaData()
    add_event_tables(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    # No NOTIFY and a poll far away: only the stop can publish the events.
    settings = EventSettings(nats_url=nats_url, events_relay_poll_interval=600)
    bus = EventBus(settings, name=service)
    relay = OutboxRelay(engine=engine, bus=bus, settings=settings, listen=False)
    client = await nats.connect(nats_url)
    try:
        relay.start()
        for _ in range(500):  # the first (empty) batch, then it idles for the poll interval
            if relay.batches:
                break
            await asyncio.sleep(0.02)
        assert relay.batches == 1
        sessions = async_sessionmaker(engine)
        async with sessions() as session, session.begin():
            for n in range(3):
                await add_event(session, new_envelope(service, "thing.happened", {"n": n}))
        assert (relay.batches, relay.published) == (1, 0)  # still idle: no round since
        await relay.stop(grace=10)
        assert relay.published == 3
        outbox = DEFAULT_TABLES.outbox
        async with engine.connect() as conn:
            waiting = await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        assert waiting == 0
        info = await client.jetstream().stream_info(stream_name(service))
        assert info.state.messages == 3
    finally:
        await relay.stop()
        await bus.close()
        await client.close()
        await engine.dispose()
