"""Fixtures of the products subgraph tests: a fresh migrated database per module, the app
with its lifespan running, and an HTTP client talking to it in process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from polyshop.devstack.postgres import plain_url
from subgraphs.products.app import ProductsSettings, create_app

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
async def products_db(service_database: ServiceDatabaseFactory) -> str:
    """A fresh, migrated product database for this test module."""
    return await service_database("products")


@pytest.fixture(scope="module")
async def products_app(products_db: str) -> AsyncIterator[FastAPI]:
    settings = ProductsSettings(database_url=products_db, log_level="WARNING", dev_mode=False)
    # Token checks of the kit are tested with a real auth service in tests/subgraphs/auth.
    app = create_app(settings, verify_tokens=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(products_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=products_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://products") as http:
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
async def sql(products_db: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the module's database, to check what was (not) written."""
    connection = await asyncpg.connect(plain_url(products_db))
    try:
        yield connection
    finally:
        await connection.close()
