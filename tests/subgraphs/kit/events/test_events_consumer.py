"""Consumers against real PostgreSQL and NATS: effects once, retries with growing delays,
dead letters with the error, order, graceful stop."""

from __future__ import annotations

import asyncio
import time
import uuid

import orjson
import pytest
from nats.js import JetStreamContext
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from subgraphs.kit.events import (
    DEFAULT_TABLES,
    Envelope,
    EventBus,
    EventConsumer,
    EventSettings,
    Handler,
    OutboxRelay,
    dlq_subject,
    ensure_event_stream,
    event_subject,
    new_envelope,
    stream_name,
)
from subgraphs.kit.events.subjects import DLQ_STREAM
from tests.support.events import effects, fast_settings, produce
from tests.support.eventually import eventually


async def record(session: AsyncSession, envelope: Envelope) -> None:
    """The effect of the test handlers: one row per handled event."""
    await session.execute(
        insert(effects).values(event_id=envelope.id, note=str(envelope.data.get("n")))
    )


async def effect_rows(engine: AsyncEngine) -> list[tuple[uuid.UUID, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(effects.c.event_id, effects.c.note).order_by(effects.c.n))
        return [(r.event_id, r.note) for r in rows]


def consumer_for(
    service: str,
    handler: Handler,
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    *,
    name: str = "effects",
) -> EventConsumer:
    return EventConsumer(
        service="sink",
        name=name,
        source=service,
        handlers={"thing.happened": handler},
        sessionmaker=sessionmaker,
        bus=bus,
        settings=settings,
    )


async def publish_raw(
    js: JetStreamContext, settings: EventSettings, envelope: Envelope, *, msg_id: str
) -> None:
    await ensure_event_stream(js, envelope.source, settings)
    await js.publish(envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": msg_id})


async def test_same_event_twice_has_one_effect(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    """A copy published after the duplicate window (new message id) is skipped by the inbox."""
    envelope = new_envelope(service, "thing.happened", {"n": 1})
    await publish_raw(js, settings, envelope, msg_id=str(envelope.id))
    await publish_raw(js, settings, envelope, msg_id=f"{envelope.id}-again")
    consumer = consumer_for(service, record, sessionmaker, bus, settings)
    consumer.start()
    try:
        await eventually(lambda: consumer.handled + consumer.skipped == 2, what="both copies")
    finally:
        await consumer.stop()
    assert (consumer.handled, consumer.skipped) == (1, 1)
    assert await effect_rows(engine) == [(envelope.id, "1")]
    async with engine.connect() as conn:
        inbox = (await conn.execute(select(DEFAULT_TABLES.inbox))).mappings().one()
    assert (inbox["consumer"], inbox["event_id"]) == ("sink-effects", envelope.id)
    info = await js.consumer_info(stream_name(service), "sink-effects")
    assert info.num_ack_pending == 0
    assert info.num_pending == 0


async def test_redelivery_after_a_lost_ack_does_not_repeat_the_effect(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    nats_url: str,
    service: str,
    js: JetStreamContext,
) -> None:
    """The first delivery commits its effect but never acks (the process died): JetStream
    redelivers after ack_wait and the consumer acks without applying it again."""
    settings = fast_settings(nats_url, events_consumer_ack_wait=1.0)
    bus = EventBus(settings, name=service)
    consumer = consumer_for(service, record, sessionmaker, bus, settings)
    envelope = new_envelope(service, "thing.happened", {"n": 5})
    await publish_raw(js, settings, envelope, msg_id=str(envelope.id))
    await js.add_consumer(stream_name(service), consumer.consumer_config())
    dying = await js.pull_subscribe_bind(durable=consumer.durable, stream=stream_name(service))
    (first,) = await dying.fetch(1, timeout=2)
    assert first.metadata.num_delivered == 1
    assert await consumer._apply(record, Envelope.from_json(first.data)) is True
    await dying.unsubscribe()  # ... and the ack is never sent

    consumer.start()
    try:
        await eventually(lambda: consumer.skipped == 1, what="the redelivery")
    finally:
        await consumer.stop()
        await bus.close()
    assert consumer.handled == 0
    assert await effect_rows(engine) == [(envelope.id, "5")]
    info = await js.consumer_info(stream_name(service), consumer.durable)
    assert info.delivered.consumer_seq == 2  # delivered twice
    assert info.ack_floor.stream_seq == 1
    assert info.num_ack_pending == 0


async def test_failing_handler_backs_off_then_dead_letters_with_the_error(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    nats_url: str,
    service: str,
    js: JetStreamContext,
) -> None:
    settings = fast_settings(
        nats_url,
        events_consumer_max_deliveries=3,
        events_consumer_backoff_initial=0.3,
        events_consumer_backoff_max=5.0,
    )
    bus = EventBus(settings, name=service)
    attempts: list[float] = []

    async def broken(session: AsyncSession, envelope: Envelope) -> None:
        attempts.append(time.monotonic())
        await record(session, envelope)  # rolled back with the failure
        raise ValueError(f"stock table on fire (attempt {len(attempts)})")

    consumer = consumer_for(service, broken, sessionmaker, bus, settings)
    envelope = new_envelope(service, "thing.happened", {"n": 9}, correlation_id="corr-dlq")
    await publish_raw(js, settings, envelope, msg_id=str(envelope.id))
    consumer.start()
    try:
        await eventually(lambda: consumer.dead_lettered == 1, what="dead letter")

        async def settled_on_the_server() -> bool:
            info = await js.consumer_info(stream_name(service), consumer.durable)
            return (info.num_ack_pending, info.num_pending) == (0, 0)

        # Terminated: JetStream holds nothing more to deliver (neither pending nor awaiting an
        # ack), so no fourth attempt can come.
        await eventually(settled_on_the_server, what="the terminated message settled")
    finally:
        await consumer.stop()
        await bus.close()

    assert len(attempts) == 3
    first_gap, second_gap = attempts[1] - attempts[0], attempts[2] - attempts[1]
    assert first_gap >= 0.3 * 0.9
    assert second_gap >= 0.6 * 0.9
    assert second_gap > first_gap
    assert await effect_rows(engine) == []

    letter = await js.get_msg(DLQ_STREAM, subject=dlq_subject(service, "thing.happened"))
    body = orjson.loads(letter.data)
    assert body["consumer"] == "sink-effects"
    assert body["subject"] == event_subject(service, "thing.happened")
    assert body["deliveries"] == 3
    assert body["error"] == {"type": "ValueError", "message": "stock table on fire (attempt 3)"}
    assert Envelope.from_json(orjson.dumps(body["envelope"])) == envelope
    assert letter.headers is not None
    assert letter.headers["Polyshop-Error"] == "ValueError: stock table on fire (attempt 3)"
    info = await js.consumer_info(stream_name(service), "sink-effects")
    assert (info.num_ack_pending, info.num_pending) == (0, 0)


async def test_a_database_outage_is_retried_past_max_deliveries_never_dead_lettered(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    nats_url: str,
    service: str,
    js: JetStreamContext,
) -> None:
    """A PostgreSQL restart longer than the retries must not turn events into dead letters:
    the handler's real connection errors are retried until the database answers again."""
    settings = fast_settings(
        nats_url,
        events_consumer_max_deliveries=2,
        events_consumer_backoff_initial=0.05,
        events_consumer_backoff_max=0.2,
    )
    bus = EventBus(settings, name=service)
    unreachable = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/gone")
    attempts: list[float] = []

    async def needs_the_database(session: AsyncSession, envelope: Envelope) -> None:
        attempts.append(time.monotonic())
        if len(attempts) <= 4:  # twice the deliveries that dead-letter other failures
            async with unreachable.connect() as connection:
                await connection.execute(text("SELECT 1"))
        await record(session, envelope)

    consumer = consumer_for(service, needs_the_database, sessionmaker, bus, settings)
    envelope = new_envelope(service, "thing.happened", {"n": 4}, correlation_id="corr-outage")
    await publish_raw(js, settings, envelope, msg_id=str(envelope.id))
    consumer.start()
    try:
        await eventually(lambda: consumer.handled == 1, what="the event handled")
    finally:
        await consumer.stop()
        await bus.close()
        await unreachable.dispose()
    assert len(attempts) == 5
    assert consumer.dead_lettered == 0
    assert await effect_rows(engine) == [(envelope.id, "4")]


async def test_malformed_message_is_dead_lettered_at_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    called: list[Envelope] = []

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        called.append(envelope)

    await ensure_event_stream(js, service, settings)
    await js.publish(event_subject(service, "thing.happened"), b"{not an envelope")
    consumer = consumer_for(service, handler, sessionmaker, bus, settings)
    consumer.start()
    try:
        await eventually(lambda: consumer.dead_lettered == 1, what="dead letter")
    finally:
        await consumer.stop()
    assert called == []
    letter = await js.get_msg(DLQ_STREAM, subject=dlq_subject(service, "thing.happened"))
    body = orjson.loads(letter.data)
    assert body["deliveries"] == 1
    assert body["error"]["type"] == "EnvelopeError"
    assert body["envelope"] is None
    assert body["raw"] == "{not an envelope"


async def test_outbox_to_consumer_keeps_order(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    """Producer database → relay → JetStream → consumer database, 60 events, in order."""
    envelopes = await produce(sessionmaker, service, 60, per_transaction=6)
    relay = OutboxRelay(engine=engine, bus=bus, settings=settings)
    consumer = consumer_for(service, record, sessionmaker, bus, settings)
    relay.start()
    consumer.start()
    try:
        await eventually(lambda: consumer.handled == 60, what="60 events handled")
    finally:
        await consumer.stop()
        await relay.stop()
    rows = await effect_rows(engine)
    assert rows == [(e.id, str(e.data["n"])) for e in envelopes]


async def test_stop_finishes_the_message_in_hand(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(session: AsyncSession, envelope: Envelope) -> None:
        started.set()
        await release.wait()
        await record(session, envelope)

    envelopes = [new_envelope(service, "thing.happened", {"n": n}) for n in range(3)]
    for envelope in envelopes:
        await publish_raw(js, settings, envelope, msg_id=str(envelope.id))
    consumer = consumer_for(service, slow, sessionmaker, bus, settings)
    consumer.start()
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(consumer.stop())
    for _ in range(50):  # every chance to finish, were it not waiting for the handler
        await asyncio.sleep(0)
    assert consumer.stopping
    assert not stopping.done()  # it waits for the handler in hand
    assert consumer.handled == 0
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert not consumer.running
    assert consumer.handled == 1
    assert await effect_rows(engine) == [(envelopes[0].id, "0")]

    # The rest was handed back (nak), not left to time out: well within ack_wait (5 s).
    consumer.start()
    try:
        await eventually(lambda: consumer.handled == 3, within=3.5, what="the rest handled")
    finally:
        await consumer.stop()
    assert [note for _, note in await effect_rows(engine)] == ["0", "1", "2"]


async def test_consumer_rejects_bad_names(
    sessionmaker: async_sessionmaker[AsyncSession], bus: EventBus, settings: EventSettings
) -> None:
    with pytest.raises(ValueError, match="invalid service"):
        EventConsumer(
            service="sink",
            name="bad.name",
            source="orders",
            handlers={"thing.happened": record},
            sessionmaker=sessionmaker,
            bus=bus,
            settings=settings,
        )
    with pytest.raises(ValueError, match="at least one handler"):
        EventConsumer(
            service="sink",
            name="x",
            source="orders",
            handlers={},
            sessionmaker=sessionmaker,
            bus=bus,
            settings=settings,
        )
