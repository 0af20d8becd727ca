"""Writing events: one outbox row in the caller's transaction.

The row and the business change commit or roll back together, so an event exists exactly
when its effect does. ``pg_notify`` is transactional too: the relay is woken only by
committed events. The writer's trace context rides along in ``data`` (see `tracing`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.events.envelope import Envelope
from subgraphs.kit.events.tables import DEFAULT_TABLES, EventTables
from subgraphs.kit.events.tracing import split_trace, with_trace

NOTIFY_CHANNEL = "polyshop_outbox"


async def add_event(
    session: AsyncSession, envelope: Envelope, *, tables: EventTables = DEFAULT_TABLES
) -> None:
    """Store ``envelope`` for publishing once (and only if) the session's transaction commits."""
    await session.execute(
        insert(tables.outbox).values(
            id=envelope.id,
            subject=envelope.subject,
            type=envelope.type,
            source=envelope.source,
            correlation_id=envelope.correlation_id,
            occurred_at=envelope.occurred_at,
            data=with_trace(envelope.data),
        )
    )
    await session.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))


def envelope_from_row(row: Mapping[Any, Any]) -> Envelope:
    return Envelope(
        # asyncpg hands back its own UUID subclass, which orjson does not serialize.
        id=uuid.UUID(str(row["id"])),
        type=row["type"],
        occurred_at=row["occurred_at"],
        source=row["source"],
        correlation_id=row["correlation_id"],
        data=split_trace(row["data"])[0],
    )


async def prune_published(
    session: AsyncSession,
    *,
    older_than: timedelta,
    now: datetime | None = None,
    tables: EventTables = DEFAULT_TABLES,
) -> int:
    """Delete outbox rows published before ``now - older_than``; returns how many."""
    cutoff = (now or datetime.now().astimezone()) - older_than
    outbox = tables.outbox
    result = await session.execute(
        delete(outbox).where(outbox.c.published_at < cutoff).returning(outbox.c.id)
    )
    return len(result.all())


async def prune_inbox(
    session: AsyncSession,
    *,
    older_than: timedelta,
    now: datetime | None = None,
    tables: EventTables = DEFAULT_TABLES,
) -> int:
    """Forget handled ids older than the stream's retention (they cannot come back)."""
    cutoff = (now or datetime.now().astimezone()) - older_than
    inbox = tables.inbox
    result = await session.execute(
        delete(inbox).where(inbox.c.handled_at < cutoff).returning(inbox.c.event_id)
    )
    return len(result.all())
