"""Fixtures of the analytics tests: a fresh database per module, the session's NATS, and the
app with its consumers running."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext

from subgraphs.analytics.app import create_app
from subgraphs.analytics.settings import AnalyticsSettings
from tests.support.analytics import WithTestIdentity
from tests.support.databases import nats_client, sql_connection

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
GraphQL = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="module")
async def analytics_db(service_database: ServiceDatabaseFactory) -> str:
    return await service_database("analytics")


@pytest.fixture(scope="module")
def settings(analytics_db: str, nats_url: str) -> AnalyticsSettings:
    return AnalyticsSettings(
        database_url=analytics_db,
        nats_url=nats_url,
        log_level="WARNING",
        nats_reconnect_wait=1,
        events_publish_timeout=1.0,
        events_retry_backoff_initial=0.05,
        events_retry_backoff_max=0.5,
        events_consumer_backoff_initial=0.2,
        events_consumer_backoff_max=1.0,
        events_consumer_fetch_timeout=0.5,
    )


@pytest.fixture(scope="module")
async def analytics_app(settings: AnalyticsSettings) -> AsyncIterator[FastAPI]:
    app = create_app(settings, verify_tokens=False)
    async with app.router.lifespan_context(app):
        for consumer in app.state.events.consumers:
            await consumer.ready.wait()
        yield app


@pytest.fixture(scope="module")
async def client(analytics_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=WithTestIdentity(analytics_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as http:
        yield http


@pytest.fixture(scope="module")
def gql(client: httpx.AsyncClient) -> GraphQL:
    """``await gql(query, headers=..., **variables)`` → the JSON body (status 200)."""

    async def run(query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
        )
        assert response.status_code == 200, response.text
        return response.json()

    return run


@pytest.fixture(scope="module")
async def sql(analytics_db: str) -> AsyncIterator[asyncpg.Connection]:
    async with sql_connection(analytics_db) as connection:
        yield connection


@pytest.fixture(scope="module")
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    async with nats_client(nats_url) as client:
        yield client.jetstream()
