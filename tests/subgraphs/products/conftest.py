"""Fixtures of the products subgraph tests: a fresh migrated database per module, the app
with its lifespan running and real token verification (keys made by the test), and an HTTP
client talking to it in process. `gql` calls as an administrator; `call` as anyone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from subgraphs.kit.auth import install_token_auth
from subgraphs.products.app import create_app
from subgraphs.products.settings import ProductsSettings
from tests.support.databases import sql_connection
from tests.support.keys import TestKeys

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
GraphQL = Callable[..., Awaitable[dict[str, Any]]]
Call = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture(scope="module")
async def products_db(service_database: ServiceDatabaseFactory) -> str:
    """A fresh, migrated product database for this test module."""
    return await service_database("products")


@pytest.fixture(scope="module")
def keys() -> TestKeys:
    return TestKeys()


@pytest.fixture(scope="module")
async def products_app(products_db: str, keys: TestKeys) -> AsyncIterator[FastAPI]:
    settings = ProductsSettings(database_url=products_db, log_level="WARNING", dev_mode=False)
    # The kit's verifier with the test's key instead of the auth service's JWKS.
    app = create_app(settings, verify_tokens=False, events=False)
    install_token_auth(app, dev_mode=False, verifier=keys.verifier())
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(products_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=products_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://products") as http:
        yield http


@pytest.fixture(scope="module")
def call(client: httpx.AsyncClient) -> Call:
    """``await call(query, token=..., headers=..., **variables)`` → the raw response."""

    async def run(
        query: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **variables: Any,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        payload = {"query": query, "variables": variables}
        return await client.post("/graphql", json=payload, headers=sent)

    return run


@pytest.fixture(scope="module")
def admin_token(keys: TestKeys) -> str:
    return keys.user_token(roles=["admin"], scope="")


@pytest.fixture(scope="module")
def gql(call: Call, admin_token: str) -> GraphQL:
    """``await gql(query, **variables)`` → the JSON body of a POST /graphql (status 200), sent
    with an administrator's token (catalogue writes need one)."""

    async def run(query: str, **variables: Any) -> dict[str, Any]:
        response = await call(query, token=admin_token, **variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


@pytest.fixture(scope="module")
async def sql(products_db: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the module's database, to check what was (not) written."""
    async with sql_connection(products_db) as connection:
        yield connection
