"""Fixtures of the orders tests: a real products subgraph served over HTTP with a few
products created through its GraphQL API, a fresh migrated order database per module, the
orders app with its lifespan (outbox relay and consumers on the session's real NATS), and
tokens signed by a real key the app's verifier trusts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from nats.aio.client import Client
from nats.js import JetStreamContext

from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.orders.app import create_app
from tests.support.databases import nats_client, sql_connection
from tests.support.keys import TestKeys
from tests.support.orders import (
    Catalog,
    Customer,
    GraphQL,
    Issuer,
    ServiceDatabaseFactory,
    catalog_writer,
    orders_settings,
    products_server,
    serve,
)


@pytest.fixture(scope="module")
def keys() -> TestKeys:
    return TestKeys()


@pytest.fixture(scope="module")
async def issuer(keys: TestKeys) -> AsyncIterator[Issuer]:
    """Stands in for the auth service: the key that signs the tests' tokens, and a token
    endpoint for orders' client credentials."""
    issuer = Issuer(keys)
    async with serve(issuer.app) as url:
        issuer.url = url
        yield issuer


@pytest.fixture(scope="module")
async def products_url(
    service_database: ServiceDatabaseFactory, issuer: Issuer
) -> AsyncIterator[str]:
    """Products as in development: tokens verified when sent, anonymous reads allowed."""
    database = await service_database("products")
    async with products_server(database, issuer.jwks_url, anonymous=True) as url:
        yield url


@pytest.fixture(scope="module")
async def catalog(products_url: str, keys: TestKeys) -> AsyncIterator[Catalog]:
    async with httpx.AsyncClient(timeout=10, headers=catalog_writer(keys)) as http:
        yield Catalog(http, products_url)


@pytest.fixture(scope="module")
async def orders_db(service_database: ServiceDatabaseFactory) -> str:
    return await service_database("orders")


@pytest.fixture(scope="module")
async def orders_app(
    orders_db: str, nats_url: str, products_url: str, keys: TestKeys
) -> AsyncIterator[FastAPI]:
    app = create_app(
        orders_settings(orders_db, nats_url, products_url),
        verifier=keys.verifier(),
        token_settings=TokenSettings(client_id=None, client_secret=None),
    )
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(orders_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=orders_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orders") as http:
        yield http


@pytest.fixture
def customer(keys: TestKeys) -> Customer:
    """A fresh user for each test, so tests never see each other's orders."""
    user_id = str(uuid.uuid4())
    return Customer(user_id, keys.user_token(user_id))


@pytest.fixture(scope="module")
def gql(client: httpx.AsyncClient) -> GraphQL:
    """``await gql(query, token=..., **variables)`` → the JSON body of a POST /graphql."""

    async def run(query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


@pytest.fixture(scope="module")
async def sql(orders_db: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the module's order database, to check what was (not) written."""
    async with sql_connection(orders_db) as connection:
        yield connection


@pytest.fixture(scope="module")
async def nc(nats_url: str) -> AsyncIterator[Client]:
    async with nats_client(nats_url) as client:
        yield client


@pytest.fixture(scope="module")
def js(nc: Client) -> JetStreamContext:
    return nc.jetstream()
