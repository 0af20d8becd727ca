"""Migrations of product_db: upgrade to head, downgrade to base and back, seed fidelity."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from polyshop.devstack.migrations import downgrade, upgrade
from polyshop.devstack.postgres import plain_url

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'product'"
        )
        return {r["table_name"] for r in rows}
    finally:
        await conn.close()


async def _columns(url: str, table: str) -> set[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = await conn.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'product' AND table_name = $1",
            table,
        )
        return {r["column_name"] for r in rows}
    finally:
        await conn.close()


@pytest.fixture
async def migrated_url(service_database: ServiceDatabaseFactory) -> str:
    return await service_database("products")


async def test_head_has_every_table_and_no_stock(migrated_url: str) -> None:
    assert await _tables(migrated_url) == {
        "categories",
        "products",
        "product_images",
        "product_image_files",
        "discount_methods",
        "product_discounts",
        "outbox",
        "inbox",
    }
    columns = await _columns(migrated_url, "products")
    assert {"currency", "brand", "active", "row_version", "correlation_id"} <= columns
    assert "stock" not in columns
    assert "parent_id" in await _columns(migrated_url, "categories")


async def test_downgrade_to_base_and_upgrade_again(migrated_url: str) -> None:
    await asyncio.to_thread(downgrade, "products", migrated_url, "0002")
    assert "stock" in await _columns(migrated_url, "products")
    await asyncio.to_thread(downgrade, "products", migrated_url, "0001")
    assert "product_images" not in await _tables(migrated_url)
    assert "currency" not in await _columns(migrated_url, "products")
    await asyncio.to_thread(downgrade, "products", migrated_url, "base")
    assert await _tables(migrated_url) == set()
    conn = await asyncpg.connect(plain_url(migrated_url))
    try:
        function = await conn.fetchval(
            "SELECT 1 FROM pg_proc WHERE proname = 'update_modified_at_version'"
        )
        schema = await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = 'product'")
    finally:
        await conn.close()
    assert function is None
    assert schema is None
    await asyncio.to_thread(upgrade, "products", migrated_url)
    assert "product_images" in await _tables(migrated_url)
    assert "stock" not in await _columns(migrated_url, "products")


async def test_models_match_migrations(migrated_url: str) -> None:
    """Autogenerate finds nothing to change: the ORM models describe the migrated schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    from subgraphs.products.models import Base

    engine = create_async_engine(migrated_url)

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(
            connection,  # type: ignore[arg-type]
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, _p: type_ != "schema" or name == "product",
                "compare_server_default": False,
            },
        )
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            changes = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    # Indexes only the migrations know about (partial indexes for listings) are fine.
    relevant = [c for c in changes if not (isinstance(c, tuple) and c[0] == "remove_index")]
    assert relevant == []
