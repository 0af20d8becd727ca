"""The consumer side of exactly-once effects: a handled event id is recorded in the same
transaction as the effect, so a redelivered event finds its id and is skipped."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.events.envelope import Envelope
from subgraphs.kit.events.tables import DEFAULT_TABLES, EventTables


async def claim(
    session: AsyncSession,
    consumer: str,
    envelope: Envelope,
    *,
    tables: EventTables = DEFAULT_TABLES,
) -> bool:
    """True if ``consumer`` has not handled ``envelope`` yet (the id is now recorded).

    A concurrent transaction claiming the same event blocks on the primary key until the
    first one ends, then gets False if it committed: two replicas never both apply it.
    """
    inbox = tables.inbox
    result = await session.execute(
        insert(inbox)
        .values(
            consumer=consumer,
            event_id=envelope.id,
            event_type=envelope.type,
            source=envelope.source,
        )
        .on_conflict_do_nothing(index_elements=[inbox.c.consumer, inbox.c.event_id])
        .returning(inbox.c.event_id)
    )
    return result.first() is not None
