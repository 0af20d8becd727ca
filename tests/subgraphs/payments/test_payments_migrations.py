"""Migrations of payment_db: head has every table and rule, down and up again, models match."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from polyshop.devstack.migrations import downgrade, upgrade
from polyshop.devstack.postgres import plain_url
from subgraphs.payments.models import Base
from tests.support.payments import ServiceDatabaseFactory


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return {r["table_name"] for r in rows} - {"alembic_version"}
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def migrated_url(service_database: ServiceDatabaseFactory) -> str:
    """Shared by the tests that only read or add rows of their own."""
    return await service_database("payments")


TABLES = {"payments", "payable_orders", "outbox", "inbox", "sandbox_charges"}


async def test_head_has_every_table(migrated_url: str) -> None:
    assert await _tables(migrated_url) == TABLES


GOOD_PAYMENT = {
    "order_id": "'o1'",
    "user_id": "'u1'",
    "amount": "1",
    "currency": "'USD'",
    "status": "'SUCCESS'",
    "provider": "'sandbox'",
    "card_brand": "'VISA'",
    "card_last4": "'4242'",
    "idempotency_key": "'k1'",
}


def _insert(values: dict[str, str]) -> str:
    return f"INSERT INTO payments ({', '.join(values)}) VALUES ({', '.join(values.values())})"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("amount", "0"),
        ("currency", "'usd'"),
        ("status", "'DONE'"),
        ("card_last4", "'42a2'"),
        ("card_last4", "'4242 4242'"),
    ],
)
async def test_database_rules_hold_without_the_service(
    migrated_url: str, column: str, value: str
) -> None:
    key = f"'{uuid.uuid4()}'"
    good = {**GOOD_PAYMENT, "idempotency_key": key, "order_id": f"'{uuid.uuid4()}'"}
    conn = await asyncpg.connect(plain_url(migrated_url))
    try:
        await conn.execute(_insert(good))
        with pytest.raises((asyncpg.CheckViolationError, asyncpg.StringDataRightTruncationError)):
            await conn.execute(_insert({**good, "idempotency_key": "'other'", column: value}))
        with pytest.raises(asyncpg.UniqueViolationError, match="uq_payments_user_idempotency_key"):
            await conn.execute(_insert({**good, "order_id": f"'{uuid.uuid4()}'"}))
    finally:
        await conn.close()


async def test_one_open_payment_per_order(migrated_url: str) -> None:
    """A charge in flight or a success excludes any other open payment of the order."""
    order = f"'{uuid.uuid4()}'"
    conn = await asyncpg.connect(plain_url(migrated_url))

    def attempt(status: str) -> str:
        key = f"'{uuid.uuid4()}'"
        return _insert(
            {**GOOD_PAYMENT, "order_id": order, "status": status, "idempotency_key": key}
        )

    try:
        await conn.execute(attempt("'FAILED'"))
        await conn.execute(attempt("'FAILED'"))
        await conn.execute(attempt("'INITIATED'"))
        for status in ("'INITIATED'", "'SUCCESS'"):
            with pytest.raises(asyncpg.UniqueViolationError, match="uq_payments_order_open"):
                await conn.execute(attempt(status))
    finally:
        await conn.close()


async def test_downgrade_to_base_and_upgrade_again(
    service_database: ServiceDatabaseFactory,
) -> None:
    migrated_url = await service_database("payments")
    await asyncio.to_thread(downgrade, "payments", migrated_url, "base")
    assert await _tables(migrated_url) == set()
    await asyncio.to_thread(upgrade, "payments", migrated_url)
    assert await _tables(migrated_url) == TABLES


async def test_models_match_migrations(migrated_url: str) -> None:
    """Autogenerate finds nothing to change: the ORM models describe the migrated schema."""
    engine = create_async_engine(migrated_url)

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_server_default": False})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            changes = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert changes == []
