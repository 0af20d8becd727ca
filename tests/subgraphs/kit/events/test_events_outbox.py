"""The outbox row shares the business transaction: no commit, no event, no wake-up."""

from __future__ import annotations

import inspect
import re
import textwrap
import uuid
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import MetaData, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from polyshop.devstack.postgres import create_database, database_url, drop_database, plain_url
from subgraphs.kit.events import DEFAULT_TABLES, add_event, add_event_tables, new_envelope
from subgraphs.kit.events import tables as tables_module
from subgraphs.kit.events.outbox import NOTIFY_CHANNEL
from tests.support.events import effects
from tests.support.eventually import eventually

outbox = DEFAULT_TABLES.outbox


async def test_event_is_stored_when_the_transaction_commits(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    envelope = new_envelope("orders", "order.created", {"order_id": 7}, correlation_id="c-1")
    async with sessionmaker() as session, session.begin():
        await session.execute(insert(effects).values(event_id=envelope.id, note="order 7"))
        await add_event(session, envelope)

    async with sessionmaker() as session:
        row = (await session.execute(select(outbox))).mappings().one()
    assert row["id"] == envelope.id
    assert row["subject"] == "polyshop.orders.order.created"
    assert (row["type"], row["source"], row["correlation_id"]) == ("order.created", "orders", "c-1")
    assert row["data"] == {"order_id": 7}
    assert row["occurred_at"] == envelope.occurred_at
    assert row["published_at"] is None
    assert row["attempts"] == 0


async def test_no_event_when_the_business_transaction_rolls_back(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    envelope = new_envelope("orders", "order.created", {"order_id": 8})

    async def place_order() -> None:
        async with sessionmaker() as session, session.begin():
            await session.execute(insert(effects).values(event_id=envelope.id, note="order 8"))
            await add_event(session, envelope)
            raise RuntimeError("business rule broken")

    with pytest.raises(RuntimeError, match="business rule"):
        await place_order()

    async with sessionmaker() as session:
        assert (await session.execute(select(outbox))).all() == []
        assert (await session.execute(select(effects))).all() == []


async def test_relay_is_notified_only_on_commit(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Absence is proved by a marker: notifications reach a listener in commit order, so once
    a marker sent after the write has arrived, a notification of that write would have too."""
    listener = await asyncpg.connect(plain_url(engine.url.render_as_string(hide_password=False)))
    received: list[str] = []
    await listener.add_listener(NOTIFY_CHANNEL, lambda *args: received.append(args[3]))

    async def marker(name: str) -> list[str]:
        await listener.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, name)
        await eventually(lambda: name in received, what=f"the marker {name}")
        return received[: received.index(name)]

    try:
        async with sessionmaker() as session:
            async with session.begin():
                await add_event(session, new_envelope("orders", "order.created", {}))
                assert await marker("before-commit") == []  # not before the commit
            await eventually(lambda: len(received) == 2, what="the notification of the commit")

        async with sessionmaker() as session, session.begin():
            await add_event(session, new_envelope("orders", "order.created", {}))
            await session.rollback()
        seen = len(received)
        assert await marker("after-rollback") == received[:seen]  # nothing for the rollback
    finally:
        await listener.close()


def _migration_snippet() -> str:
    doc = inspect.getdoc(tables_module) or ""
    match = re.search(r"# --- event tables: begin ---\n(.*?)# --- event tables: end ---", doc, re.S)
    assert match, "the migration snippet is missing from the tables module docstring"
    return textwrap.dedent(match.group(1))


async def test_documented_migration_creates_exactly_the_defined_tables(pg_server_url: str) -> None:
    """The hand-written Alembic snippet and `add_event_tables` agree (autogenerate: no diff)."""
    name = f"events_mig_{uuid.uuid4().hex[:8]}"
    await create_database(pg_server_url, name)
    engine = create_async_engine(database_url(pg_server_url, name))
    expected = MetaData()
    add_event_tables(expected)

    def migrate_and_compare(connection: Any) -> list[Any]:
        op = Operations(MigrationContext.configure(connection))
        exec(_migration_snippet(), {"op": op, "sa": sa, "postgresql": postgresql})
        context = MigrationContext.configure(connection, opts={"compare_server_default": True})
        return list(compare_metadata(context, expected))

    try:
        async with engine.begin() as conn:
            diffs = await conn.run_sync(migrate_and_compare)
            names = set(
                await conn.scalars(
                    sa.text(
                        "SELECT indexname FROM pg_indexes WHERE tablename IN ('outbox','inbox')"
                    )
                )
            )
    finally:
        await engine.dispose()
        await drop_database(pg_server_url, name)
    assert diffs == []
    assert {"ix_outbox_unpublished", "ix_outbox_published_at", "ix_inbox_handled_at"} <= names
