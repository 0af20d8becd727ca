"""The migration builds exactly what the models declare, and downgrades cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from polyshop.devstack.migrations import downgrade, upgrade
from subgraphs.notifications.models import Base

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]


async def differences(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()


async def test_models_match_the_migration(service_database: ServiceDatabaseFactory) -> None:
    url = await service_database("notifications")
    assert await differences(url) == []


async def test_downgrade_and_upgrade_again(service_database: ServiceDatabaseFactory) -> None:
    url = await service_database("notifications")
    await asyncio.to_thread(downgrade, "notifications", url, "base")
    diff = await differences(url)
    assert {d[1].name for d in diff if d[0] == "add_table"} >= {"email_logs", "sms_logs"}
    await asyncio.to_thread(upgrade, "notifications", url)
    assert await differences(url) == []
