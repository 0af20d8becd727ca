"""Two services wired as the app factory will wire them: one publishes through its outbox,
the other consumes and emits a follow-up event that keeps the correlation id."""

from __future__ import annotations

import contextlib
import uuid

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from subgraphs.kit.events import (
    ConsumerSpec,
    Envelope,
    EventBus,
    EventRuntime,
    EventSettings,
    OutboxRelay,
    add_event,
    new_envelope,
    stream_name,
)
from tests.support.events import all_published, effects, stream_messages
from tests.support.eventually import eventually


async def test_saga_step_across_two_services(
    engine: AsyncEngine,
    other_engine: AsyncEngine,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    shop = async_sessionmaker(engine, expire_on_commit=False)
    stock = async_sessionmaker(other_engine, expire_on_commit=False)
    stock_service = f"{service}s"

    async def reserve(session: AsyncSession, envelope: Envelope) -> None:
        await session.execute(insert(effects).values(event_id=envelope.id, note="reserved"))
        reply = new_envelope(
            stock_service, "stock.reserved", {"order": envelope.data["order"]}, caused_by=envelope
        )
        await add_event(session, reply)

    producer = EventRuntime(service=service, settings=settings, engine=engine, sessionmaker=shop)
    consumer = EventRuntime(
        service=stock_service,
        settings=settings,
        engine=other_engine,
        sessionmaker=stock,
        consumers=[ConsumerSpec("reserve", service, {"order.created": reserve})],
    )
    order_event = new_envelope(service, "order.created", {"order": 1}, correlation_id="saga-1")
    try:
        async with producer, consumer:
            async with shop() as session, session.begin():
                await add_event(session, order_event)
            await eventually(
                lambda: has_one_message(js, stream_name(stock_service)), what="the follow-up"
            )
            assert [c.handled for c in consumer.consumers] == [1]
        assert not any(c.running for c in consumer.consumers)
        assert producer.relay is not None
        assert not producer.relay.running
        assert await all_published(engine)
        assert await all_published(other_engine)

        (reply,) = await stream_messages(js, stream_name(stock_service))
        follow_up = Envelope.from_json(reply.data)
        assert (follow_up.type, follow_up.correlation_id) == ("stock.reserved", "saga-1")
        assert follow_up.data == {"order": 1}
        async with other_engine.connect() as conn:
            notes = list(await conn.scalars(select(effects.c.event_id)))
        assert notes == [order_event.id]
    finally:
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(stream_name(stock_service))


async def has_one_message(js: JetStreamContext, stream: str) -> bool:
    return len(await stream_messages(js, stream)) == 1


async def test_relay_wakes_on_notify_without_waiting_for_the_poll(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    slow_poll = settings.model_copy(update={"events_relay_poll_interval": 60.0})
    relay = OutboxRelay(engine=engine, bus=bus, settings=slow_poll)
    relay.start()
    try:
        assert relay.listener is not None
        await eventually(relay.listener.listening.is_set, what="LISTEN")
        await eventually(lambda: relay.wake.is_set() is False, what="the first idle wait")
        envelope = new_envelope(service, "thing.happened", {"n": uuid.uuid4().hex})
        async with sessionmaker() as session, session.begin():
            await add_event(session, envelope)
        await eventually(lambda: all_published(engine), within=3, what="publish on NOTIFY")
    finally:
        await relay.stop()
    (message,) = await stream_messages(js, stream_name(service))
    assert Envelope.from_json(message.data) == envelope
