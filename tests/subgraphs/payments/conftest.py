"""Fixtures of the payments tests: a fresh migrated database per module, the app with its
lifespan (relay and consumer on the session's real NATS), real ES256 tokens, and event
sources of its own per module so that its streams are its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from subgraphs.kit.auth import TokenSettings, install_token_auth, token_verifier
from subgraphs.payments.app import create_app
from subgraphs.payments.settings import PaymentsSettings
from tests.support.databases import nats_client, sql_connection
from tests.support.keys import AUDIENCE, ISSUER, TestKeys
from tests.support.payments import FAST_EVENTS, ServiceDatabaseFactory

GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
def sources() -> tuple[str, str]:
    """(payments source, orders source) names for this module's events."""
    suffix = uuid.uuid4().hex[:8]
    return f"pay{suffix}", f"ord{suffix}"


@pytest.fixture(scope="module")
async def payments_db(service_database: ServiceDatabaseFactory) -> str:
    return await service_database("payments")


@pytest.fixture(scope="module")
def keys() -> TestKeys:
    return TestKeys()


@pytest.fixture(scope="module")
def settings(payments_db: str, nats_url: str, sources: tuple[str, str]) -> PaymentsSettings:
    payments_source, orders_source = sources
    return PaymentsSettings.model_validate(
        {
            "database_url": payments_db,
            "nats_url": nats_url,
            "log_level": "WARNING",
            "payments_event_source": payments_source,
            "payments_orders_source": orders_source,
            # Tests run reconciliation themselves; the background round is tested on its own.
            "payments_reconcile_interval": 3600,
            "payments_provider_timeout": 0.5,
            "payments_reconcile_after": 1,
            **FAST_EVENTS,
        }
    )


@pytest.fixture(scope="module")
async def payments_app(
    settings: PaymentsSettings, keys: TestKeys, nc: Client
) -> AsyncIterator[FastAPI]:
    """Depends on ``nc`` so that the streams are removed only after the app has stopped."""
    app = create_app(settings, verify_tokens=False)
    # Real verification with this run's key instead of the auth service's JWKS.
    install_token_auth(
        app,
        dev_mode=False,
        settings=TokenSettings(allow_anonymous=False),
        verifier=token_verifier(keys, issuer=ISSUER, audience=AUDIENCE, algorithms=["ES256"]),
    )
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(payments_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=payments_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://payments") as http:
        yield http


@pytest.fixture(scope="module")
def gql(client: httpx.AsyncClient) -> GraphQL:
    """``await gql(query, token, **variables)`` → the JSON body of a POST /graphql (200)."""

    async def run(query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


@pytest.fixture(scope="module")
async def engine(payments_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(payments_db)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture(scope="module")
async def sql(payments_db: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the module's database, to check what was (not) written."""
    async with sql_connection(payments_db) as connection:
        yield connection


@pytest.fixture(scope="module")
async def nc(nats_url: str, sources: tuple[str, str]) -> AsyncIterator[Client]:
    """The test's own NATS connection; removes the module's streams afterwards."""
    async with nats_client(nats_url, drop_streams=sources) as client:
        yield client


@pytest.fixture(scope="module")
def js(nc: Client) -> JetStreamContext:
    return nc.jetstream()
