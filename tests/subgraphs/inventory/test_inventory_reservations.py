"""Reservations through ``service.py`` as the consumers call it, one transaction each:
no overselling under concurrency, all or nothing across items, release/confirm arithmetic."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.inventory import service
from subgraphs.inventory.service import Line, Rejected, Reserved

Sessions = async_sessionmaker[AsyncSession]


def new_order() -> str:
    return str(uuid.uuid4())


async def stock(sql: asyncpg.Connection, product_id: int) -> tuple[int, int]:
    row = await sql.fetchrow(
        "SELECT available, reserved FROM stock WHERE product_id = $1", product_id
    )
    assert row is not None
    return row["available"], row["reserved"]


async def put(sql: asyncpg.Connection, product_id: int, available: int) -> None:
    await sql.execute(
        "INSERT INTO stock (product_id, available) VALUES ($1, $2) "
        "ON CONFLICT (product_id) DO UPDATE SET available = $2, reserved = 0",
        product_id,
        available,
    )


async def statuses(sql: asyncpg.Connection, order_id: str) -> dict[int, tuple[int, str]]:
    rows = await sql.fetch(
        "SELECT product_id, quantity, status FROM reservations WHERE order_id = $1", order_id
    )
    return {r["product_id"]: (r["quantity"], r["status"]) for r in rows}


async def in_transaction(sessions: Sessions, work: Any) -> Any:
    async with sessions() as session, session.begin():
        return await work(session)


async def reserve(sessions: Sessions, order_id: str, *lines: Line) -> Any:
    return await in_transaction(sessions, lambda s: service.reserve(s, order_id, lines))


async def test_concurrent_orders_never_oversell(
    sessions: Sessions, sql: asyncpg.Connection
) -> None:
    await put(sql, 1001, 20)
    orders = [new_order() for _ in range(50)]
    outcomes = await asyncio.gather(*(reserve(sessions, o, Line(1001, 1)) for o in orders))
    won = [o for o, outcome in zip(orders, outcomes, strict=True) if isinstance(outcome, Reserved)]
    lost = [outcome for outcome in outcomes if isinstance(outcome, Rejected)]
    assert len(won) == 20
    assert len(lost) == 30
    assert all(r == Rejected(service.OUT_OF_STOCK, (1001,)) for r in lost)
    assert await stock(sql, 1001) == (0, 20)
    held = await sql.fetchval(
        "SELECT count(*) FROM reservations WHERE product_id = 1001 AND status = 'RESERVED'"
    )
    assert held == 20


async def test_concurrent_multi_item_orders_do_not_deadlock(
    sessions: Sessions, sql: asyncpg.Connection
) -> None:
    """Orders naming the same products in opposite orders all finish (locks in id order)."""
    for pid in (1101, 1102, 1103):
        await put(sql, pid, 100)
    forward = (Line(1101, 1), Line(1102, 1), Line(1103, 1))
    backward = tuple(reversed(forward))
    outcomes = await asyncio.gather(
        *(reserve(sessions, new_order(), *(forward if n % 2 else backward)) for n in range(30))
    )
    assert all(isinstance(o, Reserved) for o in outcomes)
    for pid in (1101, 1102, 1103):
        assert await stock(sql, pid) == (70, 30)


async def test_reservation_is_all_or_nothing(sessions: Sessions, sql: asyncpg.Connection) -> None:
    await put(sql, 1201, 5)
    await put(sql, 1202, 1)
    await put(sql, 1203, 9)
    order = new_order()
    outcome = await reserve(sessions, order, Line(1201, 2), Line(1202, 3), Line(1203, 1))
    assert outcome == Rejected(service.OUT_OF_STOCK, (1202,))
    assert await stock(sql, 1201) == (5, 0)
    assert await stock(sql, 1202) == (1, 0)
    assert await stock(sql, 1203) == (9, 0)
    assert await statuses(sql, order) == {}
    # A product without a stock row is out of stock too, and named with the short ones.
    outcome = await reserve(sessions, new_order(), Line(1299, 1), Line(1202, 2), Line(1201, 1))
    assert outcome == Rejected(service.OUT_OF_STOCK, (1202, 1299))
    assert await stock(sql, 1201) == (5, 0)


async def test_duplicate_items_are_summed_and_a_second_reserve_is_a_no_op(
    sessions: Sessions, sql: asyncpg.Connection
) -> None:
    await put(sql, 1301, 10)
    order = new_order()
    outcome = await reserve(sessions, order, Line(1301, 2), Line(1301, 3))
    assert outcome == Reserved((Line(1301, 5),))
    assert await reserve(sessions, order, Line(1301, 5)) is None
    assert await stock(sql, 1301) == (5, 5)
    assert await statuses(sql, order) == {1301: (5, "RESERVED")}


@pytest.mark.parametrize("quantity", [0, -1, service.MAX_UNITS + 1])
async def test_invalid_quantities_are_rejected(
    sessions: Sessions, sql: asyncpg.Connection, quantity: int
) -> None:
    await put(sql, 1401, 10)
    outcome = await reserve(sessions, new_order(), Line(1401, quantity))
    assert outcome == Rejected(service.INVALID_ORDER, (1401,))
    assert await stock(sql, 1401) == (10, 0)


async def test_release_and_confirm_arithmetic(sessions: Sessions, sql: asyncpg.Connection) -> None:
    await put(sql, 1501, 10)
    await put(sql, 1502, 4)
    paid, cancelled = new_order(), new_order()
    assert isinstance(await reserve(sessions, paid, Line(1501, 3), Line(1502, 1)), Reserved)
    assert isinstance(await reserve(sessions, cancelled, Line(1501, 2), Line(1502, 3)), Reserved)
    assert await stock(sql, 1501) == (5, 5)
    assert await stock(sql, 1502) == (0, 4)

    confirmed = await in_transaction(sessions, lambda s: service.confirm(s, paid))
    assert confirmed == (Line(1501, 3), Line(1502, 1))
    assert await stock(sql, 1501) == (5, 2)
    assert await stock(sql, 1502) == (0, 3)
    assert await statuses(sql, paid) == {1501: (3, "CONFIRMED"), 1502: (1, "CONFIRMED")}

    released = await in_transaction(sessions, lambda s: service.release(s, cancelled))
    assert released == (Line(1501, 2), Line(1502, 3))
    assert await stock(sql, 1501) == (7, 0)
    assert await stock(sql, 1502) == (3, 0)
    assert await statuses(sql, cancelled) == {1501: (2, "RELEASED"), 1502: (3, "RELEASED")}

    # Settling twice, or settling a settled order the other way, changes nothing.
    assert await in_transaction(sessions, lambda s: service.release(s, cancelled)) == ()
    assert await in_transaction(sessions, lambda s: service.confirm(s, cancelled)) == ()
    assert await in_transaction(sessions, lambda s: service.release(s, paid)) == ()
    assert await stock(sql, 1501) == (7, 0)
    assert await stock(sql, 1502) == (3, 0)


async def test_stock_changes_bump_the_row_version(
    sessions: Sessions, sql: asyncpg.Connection
) -> None:
    await put(sql, 1601, 3)
    before = await sql.fetchval("SELECT row_version FROM stock WHERE product_id = 1601")
    order = new_order()
    await reserve(sessions, order, Line(1601, 1))
    await in_transaction(sessions, lambda s: service.release(s, order))
    after = await sql.fetchval("SELECT row_version FROM stock WHERE product_id = 1601")
    assert after == before + 2


async def test_check_constraints_hold_even_without_the_service(sql: asyncpg.Connection) -> None:
    await put(sql, 1701, 1)
    with pytest.raises(asyncpg.CheckViolationError):
        await sql.execute("UPDATE stock SET available = available - 2 WHERE product_id = 1701")
    with pytest.raises(asyncpg.CheckViolationError):
        await sql.execute("UPDATE stock SET reserved = reserved - 1 WHERE product_id = 1701")
