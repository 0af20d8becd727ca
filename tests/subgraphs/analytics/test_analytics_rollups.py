"""Rollups against a real PostgreSQL: exact under replays, any arrival order, concurrent
consumers, and a rebuild from events_raw gives what incremental updates gave."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from subgraphs.analytics import service
from subgraphs.analytics.models import ProductSalesDaily, SalesDaily, SalesMonthly
from subgraphs.kit.events import Envelope
from tests.support.analytics import Expected, copy_of, scenario

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(service_database: ServiceDatabaseFactory) -> AsyncIterator[Sessions]:
    engine = create_async_engine(await service_database("analytics"))
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def ingest_all(sessions: Sessions, events: Sequence[Envelope]) -> list[bool]:
    """One transaction per event, as the consumer does."""
    fresh = []
    for envelope in events:
        async with sessions() as session, session.begin():
            fresh.append(await service.ingest(session, envelope))
    return fresh


async def rollups(sessions: Sessions) -> Expected:
    async with sessions() as session:
        daily = (await session.scalars(select(SalesDaily))).all()
        monthly = (await session.scalars(select(SalesMonthly))).all()
        products = (await session.scalars(select(ProductSalesDaily))).all()
    return Expected(
        daily={(r.date, r.currency): (r.total_orders, r.total_revenue) for r in daily},
        monthly={(r.year, r.month, r.currency): (r.total_orders, r.total_revenue) for r in monthly},
        products={(r.date, r.product_id, r.currency): (r.units, r.revenue) for r in products},
    )


async def test_incremental_rollups_are_exact(sessions: Sessions) -> None:
    case = scenario(1)
    assert all(await ingest_all(sessions, case.events))
    got = await rollups(sessions)
    assert got == case.expected
    # The scenario spans a month end and both currencies, so the test means something.
    assert {m for m, _ in ((k[:2], v) for k, v in got.monthly.items())} == {(2019, 1), (2019, 2)}
    assert {k[1] for k in got.daily} == {"EUR", "USD"}
    assert sum(n for n, _ in got.daily.values()) > 10


async def test_replaying_every_event_twice_changes_nothing(sessions: Sessions) -> None:
    case = scenario(2)
    await ingest_all(sessions, case.events)
    before = await rollups(sessions)
    again = await ingest_all(sessions, [copy_of(e) for e in case.events])
    assert not any(again)
    assert await rollups(sessions) == before == case.expected
    async with sessions() as session:
        stored = await session.scalar(text("SELECT count(*) FROM events_raw"))
    assert stored == len(case.events)


async def test_shuffled_arrival_gives_the_same_rollups(sessions: Sessions) -> None:
    case = scenario(3)
    shuffled = list(case.events)
    random.Random(99).shuffle(shuffled)
    # Payments before orders, cancellations before creations: all of it happens here.
    assert shuffled != case.events
    await ingest_all(sessions, shuffled)
    assert await rollups(sessions) == case.expected


async def test_concurrent_consumers_keep_rollups_exact(sessions: Sessions) -> None:
    """Four writers at once, as the orders/payments/inventory consumers and replicas are."""
    case = scenario(4, orders=40)
    shuffled = list(case.events)
    random.Random(7).shuffle(shuffled)
    await asyncio.gather(*(ingest_all(sessions, shuffled[i::4]) for i in range(4)))
    assert await rollups(sessions) == case.expected


async def test_rebuild_equals_incremental(sessions: Sessions) -> None:
    case = scenario(5)
    shuffled = list(case.events)
    random.Random(5).shuffle(shuffled)
    await ingest_all(sessions, shuffled)
    incremental = await rollups(sessions)
    async with sessions() as session, session.begin():
        # Damage the rollups: a rebuild must not depend on what they held.
        await session.execute(text("UPDATE sales_daily SET total_orders = total_orders + 5"))
        await session.execute(text("DELETE FROM sales_monthly"))
        result = await service.rebuild(session)
    assert result.events == len(case.events)
    assert result.orders == len({e.data["order_id"] for e in case.events})
    assert result.days == len({day for day, _ in case.expected.daily})
    assert await rollups(sessions) == incremental == case.expected


async def test_a_paid_order_counts_when_its_creation_arrives(sessions: Sessions) -> None:
    case = scenario(6, orders=1)
    assert case.expected.daily, "the scenario's one order must be a sale"
    created = next(e for e in case.events if e.type == "order.created")
    others = [e for e in case.events if e is not created]
    await ingest_all(sessions, others)
    assert (await rollups(sessions)).daily == {}
    await ingest_all(sessions, [created])
    assert await rollups(sessions) == case.expected
