"""The relay against real PostgreSQL and NATS: order, exactly once on the stream, crashes,
concurrent replicas and a NATS outage."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import orjson
import pytest
from nats.js import JetStreamContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from polyshop.devstack.nats import EmbeddedNats
from polyshop.devstack.ports import free_port
from subgraphs.kit.events import (
    DEFAULT_TABLES,
    Envelope,
    EventBus,
    EventSettings,
    OutboxRelay,
    stream_name,
)
from subgraphs.kit.events.relay import RelayPublishError
from tests.support.events import all_published, produce, stream_messages, unpublished
from tests.support.eventually import eventually

outbox = DEFAULT_TABLES.outbox


def ids_in(messages: list[object]) -> list[uuid.UUID]:
    return [Envelope.from_json(m.data).id for m in messages]  # type: ignore[attr-defined]


async def test_publishes_in_outbox_order_with_the_event_id_as_message_id(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    envelopes = await produce(sessionmaker, service, 25, per_transaction=5)
    relay = OutboxRelay(engine=engine, bus=bus, settings=settings)
    relay.start()
    try:
        await eventually(lambda: all_published(engine), what="outbox drained")
    finally:
        await relay.stop()

    messages = await stream_messages(js, stream_name(service))
    assert ids_in(messages) == [e.id for e in envelopes]
    first = messages[0]
    assert first.subject == f"polyshop.{service}.thing.happened"
    assert first.headers is not None
    assert first.headers["Nats-Msg-Id"] == str(envelopes[0].id)
    assert Envelope.from_json(first.data) == envelopes[0]
    assert orjson.loads(first.data)["data"] == {"n": 0}
    assert relay.published == 25
    assert relay.duplicates == 0


async def test_two_relays_publish_each_event_once_and_in_order(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    small_batches = settings.model_copy(update={"events_relay_batch_size": 7})
    buses = [EventBus(small_batches, name=f"{service}-{i}") for i in range(2)]
    relays = [OutboxRelay(engine=engine, bus=b, settings=small_batches) for b in buses]
    for relay in relays:
        relay.start()
    try:
        # Written while both relays run, from several concurrent writers.
        batches = await asyncio.gather(
            *(produce(sessionmaker, service, 40, start=i * 40, per_transaction=4) for i in range(4))
        )
        await eventually(lambda: all_published(engine), what="outbox drained")
    finally:
        for relay in relays:
            await relay.stop()
        for b in buses:
            await b.close()

    messages = await stream_messages(js, stream_name(service))
    published = ids_in(messages)
    assert len(published) == 160
    assert set(published) == {e.id for batch in batches for e in batch}
    # Each writer's events keep their order; concurrent writers' events may interleave.
    for batch in batches:
        mine = {e.id for e in batch}
        assert [i for i in published if i in mine] == [e.id for e in batch]
    assert sum(r.published for r in relays) == 160
    assert sum(r.duplicates for r in relays) == 0


class CrashBeforeMark(OutboxRelay):
    """Dies after JetStream acknowledged the batch and before the outbox says so."""

    async def _mark_published(self, conn: AsyncConnection, ids: list[uuid.UUID]) -> None:
        raise RuntimeError("simulated crash between publish and mark")


async def test_crash_between_publish_and_mark_is_deduplicated_by_jetstream(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    envelopes = await produce(sessionmaker, service, 10, per_transaction=10)
    crashing = CrashBeforeMark(engine=engine, bus=bus, settings=settings, listen=False)
    jetstream = await bus.jetstream()
    with pytest.raises(RuntimeError, match="simulated crash"):
        await crashing.publish_batch(jetstream)
    assert await unpublished(engine) == 10
    assert len(await stream_messages(js, stream_name(service))) == 10

    relay = OutboxRelay(engine=engine, bus=bus, settings=settings, listen=False)
    result = await relay.publish_batch(await bus.jetstream())
    assert (result.claimed, result.published) == (10, 10)
    assert relay.duplicates == 10
    assert relay.published == 0
    assert await unpublished(engine) == 0
    messages = await stream_messages(js, stream_name(service))
    assert ids_in(messages) == [e.id for e in envelopes]


async def test_keeps_events_while_nats_is_down_and_publishes_them_when_it_returns(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    service: str,
    tmp_path: Path,
) -> None:
    server = EmbeddedNats(tmp_path / "nats", port=free_port())  # not started: NATS is down
    settings = EventSettings(
        nats_url=server.url,
        nats_reconnect_wait=1,
        events_relay_poll_interval=0.2,
        events_publish_timeout=0.5,
        events_retry_backoff_initial=0.05,
        events_retry_backoff_max=0.5,
    )
    bus = EventBus(settings, name=service)
    relay = OutboxRelay(engine=engine, bus=bus, settings=settings)
    relay.start()
    try:
        at_boot = await produce(sessionmaker, service, 2)
        tried = bus.errors
        await eventually(lambda: bus.errors >= tried + 2, what="connect attempts without NATS")
        assert await unpublished(engine) == 2  # the service runs, its events wait

        await asyncio.to_thread(server.start)
        before = at_boot + await produce(sessionmaker, service, 3, start=2)
        await eventually(lambda: all_published(engine), what="first events published")

        await asyncio.to_thread(server.stop)
        during = await produce(sessionmaker, service, 4, start=5)

        async def tried_and_failed() -> bool:
            async with engine.connect() as conn:
                attempts = await conn.scalar(
                    select(outbox.c.attempts).where(outbox.c.id == during[0].id)
                )
            return bool(attempts)

        await eventually(tried_and_failed, what="a failed publish attempt")
        tried = relay.failed_batches
        await eventually(lambda: relay.failed_batches >= tried + 2, what="more failed rounds")
        assert await unpublished(engine) == 4  # nothing lost, nothing marked

        await asyncio.to_thread(server.start)  # same port, same JetStream store
        await eventually(lambda: all_published(engine), within=15, what="backlog sent")

        js = (await bus.client()).jetstream()
        messages = await stream_messages(js, stream_name(service))
        assert ids_in(messages) == [e.id for e in before + during]
        async with engine.connect() as conn:
            last_error = await conn.scalar(
                select(outbox.c.last_error).where(outbox.c.id == during[0].id)
            )
        assert last_error
    finally:
        await relay.stop()
        await bus.close()
        await asyncio.to_thread(server.stop)


async def test_publish_error_is_recorded_and_stops_the_batch(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    """A message the server refuses (too large) blocks its successors: order beats progress."""
    await produce(sessionmaker, service, 1)
    big = await produce(sessionmaker, service, 1, start=1)
    await produce(sessionmaker, service, 1, start=2)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            outbox.update().where(outbox.c.id == big[0].id).values(data={"blob": "x" * 2_000_000})
        )
    relay = OutboxRelay(engine=engine, bus=bus, settings=settings, listen=False)
    jetstream = await bus.jetstream()
    with pytest.raises(RelayPublishError, match="after 1 events"):
        await relay.publish_batch(jetstream)
    assert await unpublished(engine) == 2
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(outbox.c.attempts, outbox.c.last_error).where(outbox.c.id == big[0].id)
            )
        ).one()
    assert row.attempts == 1
    assert row.last_error
    assert len(await stream_messages(js, stream_name(service))) == 1
