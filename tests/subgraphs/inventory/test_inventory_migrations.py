"""Migrations of inventory_db: head has every table, downgrade to base and back, and the ORM
models describe exactly what the migrations build."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from polyshop.devstack.migrations import downgrade, upgrade
from polyshop.devstack.postgres import plain_url

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
TABLES = {"stock", "reservations", "outbox", "inbox", "alembic_version"}


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return {r["table_name"] for r in rows}
    finally:
        await conn.close()


@pytest.fixture
async def migrated_url(service_database: ServiceDatabaseFactory) -> str:
    return await service_database("inventory")


async def test_downgrade_to_base_and_upgrade_again(migrated_url: str) -> None:
    assert await _tables(migrated_url) == TABLES
    await asyncio.to_thread(downgrade, "inventory", migrated_url, "base")
    assert await _tables(migrated_url) == {"alembic_version"}
    await asyncio.to_thread(upgrade, "inventory", migrated_url)
    assert await _tables(migrated_url) == TABLES


async def test_models_match_migrations(migrated_url: str) -> None:
    """Autogenerate finds nothing to change: the ORM models describe the migrated schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    from subgraphs.inventory.models import Base

    engine = create_async_engine(migrated_url)

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(
            connection,  # type: ignore[arg-type]
            opts={"compare_server_default": False},
        )
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            changes = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert changes == []
