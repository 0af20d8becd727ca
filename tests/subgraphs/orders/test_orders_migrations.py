"""Migrations of order_db: head has the tables, the database guards the rules, and the
revision downgrades to nothing and upgrades again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from polyshop.devstack.migrations import downgrade, upgrade
from polyshop.devstack.postgres import plain_url

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture
async def migrated_url(service_database: ServiceDatabaseFactory) -> str:
    return await service_database("orders")


@pytest.fixture
async def conn(migrated_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(plain_url(migrated_url))
    try:
        yield connection
    finally:
        await connection.close()


async def tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    return {r["table_name"] for r in rows} - {"alembic_version"}


async def new_order(conn: asyncpg.Connection, user: uuid.UUID, key: str) -> uuid.UUID:
    order_id: uuid.UUID = await conn.fetchval(
        "INSERT INTO orders (user_id, currency, total_amount, idempotency_key, request_hash) "
        "VALUES ($1, 'USD', 10, $2, repeat('0', 64)) RETURNING id",
        user,
        key,
    )
    return order_id


async def test_head_has_orders_items_and_event_tables(conn: asyncpg.Connection) -> None:
    assert await tables(conn) == {"orders", "order_items", "outbox", "inbox"}
    order_id = await new_order(conn, uuid.uuid4(), "k")
    row = await conn.fetchrow("SELECT status, row_version FROM orders WHERE id = $1", order_id)
    assert (row["status"], row["row_version"]) == ("CREATED", 1)


@pytest.mark.parametrize(
    ("statement", "constraint"),
    [
        ("UPDATE orders SET status = 'SHIPPED'", "orders_status_valid"),
        ("UPDATE orders SET currency = 'usd'", "orders_currency_iso"),
        ("UPDATE orders SET total_amount = -1", "orders_total_not_negative"),
        (
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price, total_price) "
            "SELECT id, 1, 0, 1, 0 FROM orders",
            "order_items_quantity_positive",
        ),
        (
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price, total_price) "
            "SELECT id, 1, 2, 1.50, 3.10 FROM orders",
            "order_items_total_price_matches",
        ),
    ],
)
async def test_the_database_refuses_invalid_rows(
    conn: asyncpg.Connection, statement: str, constraint: str
) -> None:
    await new_order(conn, uuid.uuid4(), "k")
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await conn.execute(statement)
    assert caught.value.constraint_name == constraint


async def test_one_idempotency_key_per_user(conn: asyncpg.Connection) -> None:
    user = uuid.uuid4()
    await new_order(conn, user, "same")
    await new_order(conn, uuid.uuid4(), "same")
    with pytest.raises(asyncpg.UniqueViolationError):
        await new_order(conn, user, "same")


async def test_downgrade_to_base_and_upgrade_again(
    migrated_url: str, conn: asyncpg.Connection
) -> None:
    await asyncio.to_thread(downgrade, "orders", migrated_url, "base")
    assert await tables(conn) == set()
    await asyncio.to_thread(upgrade, "orders", migrated_url)
    assert await tables(conn) == {"orders", "order_items", "outbox", "inbox"}
