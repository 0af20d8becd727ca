"""Fixtures of the inventory tests: a fresh migrated database per module, the app (GraphQL
only; the event tests start their own with NATS), an in-process HTTP client, and a
sessionmaker for calling ``service.py`` the way the consumers do."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from subgraphs.inventory.app import create_app
from subgraphs.inventory.settings import InventorySettings
from subgraphs.kit.db import create_engine
from tests.support.databases import sql_connection

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
async def inventory_db(service_database: ServiceDatabaseFactory) -> str:
    """A fresh, migrated inventory database for this test module."""
    return await service_database("inventory")


@pytest.fixture(scope="module")
def inventory_settings(inventory_db: str) -> InventorySettings:
    return InventorySettings(database_url=inventory_db, log_level="WARNING")


@pytest.fixture(scope="module")
async def inventory_app(inventory_settings: InventorySettings) -> AsyncIterator[FastAPI]:
    # Token checks: see test_inventory_admin.py, which installs a real verifier.
    app = create_app(inventory_settings, verify_tokens=False, events=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(inventory_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=inventory_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as http:
        yield http


@pytest.fixture(scope="module")
def gql(client: httpx.AsyncClient) -> GraphQL:
    """``await gql(query, **variables)`` → the JSON body of a POST /graphql (status 200)."""

    async def run(query: str, **variables: Any) -> dict[str, Any]:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


@pytest.fixture(scope="module")
async def engine(inventory_settings: InventorySettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(
        inventory_settings.model_copy(update={"db_pool_size": 25, "db_max_overflow": 15})
    )
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture(scope="module")
async def sql(inventory_db: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the module's database, to set up and check rows."""
    async with sql_connection(inventory_db) as connection:
        yield connection
