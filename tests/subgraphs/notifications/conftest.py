"""Fixtures of the notifications tests: a fresh database per module, the session's NATS, a
real SMTP server (aiosmtpd), and the app with its consumers and dispatcher running."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from nats.aio.client import Client
from nats.js import JetStreamContext

from polyshop.devstack.ports import free_port
from subgraphs.notifications.app import create_app
from subgraphs.notifications.settings import NotificationsSettings
from tests.support.databases import nats_client, sql_connection
from tests.support.notifications import PHONE_USER, SmtpServer, WithTestIdentity

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
async def notifications_db(service_database: ServiceDatabaseFactory) -> str:
    return await service_database("notifications")


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def settings(notifications_db: str, nats_url: str, smtp: SmtpServer) -> NotificationsSettings:
    return NotificationsSettings(
        database_url=notifications_db,
        nats_url=nats_url,
        log_level="WARNING",
        smtp_port=smtp.port,
        smtp_timeout=2.0,
        mail_from="PolyShop Test <shop@polyshop.test>",
        recipient_email_pattern="{user_id}@customers.test",
        recipient_phones={PHONE_USER: "+15550001"},
        delivery_poll_interval=0.2,
        delivery_backoff_initial=0.2,
        delivery_backoff_max=0.5,
        delivery_max_attempts=100,
        nats_reconnect_wait=1,
        events_publish_timeout=1.0,
        events_retry_backoff_initial=0.05,
        events_retry_backoff_max=0.5,
        events_consumer_backoff_initial=0.2,
        events_consumer_backoff_max=1.0,
        events_consumer_max_deliveries=20,
        events_consumer_fetch_timeout=0.5,
    )


@pytest.fixture(scope="module")
async def notifications_app(settings: NotificationsSettings) -> AsyncIterator[FastAPI]:
    app = create_app(settings, verify_tokens=False)
    async with app.router.lifespan_context(app):
        for consumer in app.state.events.consumers:
            await consumer.ready.wait()
        yield app


@pytest.fixture(scope="module")
async def client(notifications_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=WithTestIdentity(notifications_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://notifications") as http:
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
async def sql(notifications_db: str) -> AsyncIterator[asyncpg.Connection]:
    async with sql_connection(notifications_db) as connection:
        yield connection


@pytest.fixture(scope="module")
async def nc(nats_url: str) -> AsyncIterator[Client]:
    async with nats_client(nats_url) as client:
        yield client


@pytest.fixture(scope="module")
def js(nc: Client) -> JetStreamContext:
    return nc.jetstream()
