"""Helpers of the event tests (imported by name: this directory is on sys.path)."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError
from sqlalchemy import Column, Integer, MetaData, Table, Text, Uuid, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from subgraphs.kit.events import (
    DEFAULT_TABLES,
    Envelope,
    EventSettings,
    add_event,
    add_event_tables,
    new_envelope,
)

metadata = MetaData()
add_event_tables(metadata)
# What handlers and business code of the tests write.
effects = Table(
    "effects",
    metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False),
    Column("note", Text, nullable=False),
)


def fast_settings(nats_url: str, **overrides: object) -> EventSettings:
    """Production logic with test-sized delays."""
    values: dict[str, object] = {
        "nats_url": nats_url,
        "nats_reconnect_wait": 1,
        "events_relay_poll_interval": 0.2,
        "events_publish_timeout": 1.0,
        "events_retry_backoff_initial": 0.05,
        "events_retry_backoff_max": 0.5,
        "events_consumer_backoff_initial": 0.2,
        "events_consumer_backoff_max": 2.0,
        "events_consumer_ack_wait": 5.0,
        "events_consumer_fetch_timeout": 0.5,
        **overrides,
    }
    return EventSettings.model_validate(values)


async def stream_messages(js: JetStreamContext, stream: str) -> list[RawStreamMsg]:
    """Every message stored in ``stream``, in stream order."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return []
    state = info.state
    if state.messages == 0:
        return []
    return [await js.get_msg(stream, seq) for seq in range(state.first_seq, state.last_seq + 1)]


async def produce(
    sessionmaker: async_sessionmaker[AsyncSession],
    service: str,
    count: int,
    *,
    event_type: str = "thing.happened",
    start: int = 0,
    per_transaction: int = 1,
) -> list[Envelope]:
    """``count`` events ``{"n": start..}`` written through the outbox, committed."""
    envelopes = [new_envelope(service, event_type, {"n": n}) for n in range(start, start + count)]
    for first in range(0, count, per_transaction):
        async with sessionmaker() as session, session.begin():
            for envelope in envelopes[first : first + per_transaction]:
                await add_event(session, envelope)
    return envelopes


async def all_published(engine: AsyncEngine) -> bool:
    return await unpublished(engine) == 0


async def unpublished(engine: AsyncEngine) -> int:
    outbox = DEFAULT_TABLES.outbox
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    return int(count or 0)
