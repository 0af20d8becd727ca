"""Fixtures of the event tests: a fresh database with the event tables per test, the
session's real NATS server, a service name of its own per test (so its streams are too)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from polyshop.devstack.postgres import create_database, database_url, drop_database
from subgraphs.kit.events import EventBus, EventSettings
from tests.support.databases import nats_client
from tests.support.events import fast_settings, metadata


@pytest.fixture
def service() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(nats_url: str) -> EventSettings:
    return fast_settings(nats_url)


async def make_database(pg_server_url: str) -> str:
    name = f"events_{uuid.uuid4().hex[:10]}"
    await create_database(pg_server_url, name)
    url = database_url(pg_server_url, name)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()
    return name


@pytest.fixture
async def engine(pg_server_url: str) -> AsyncIterator[AsyncEngine]:
    """A fresh database with ``outbox``, ``inbox`` and ``effects``."""
    name = await make_database(pg_server_url)
    engine = create_async_engine(database_url(pg_server_url, name))
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop_database(pg_server_url, name)


@pytest.fixture
async def other_engine(pg_server_url: str) -> AsyncIterator[AsyncEngine]:
    """A second service's database, like `engine`."""
    name = await make_database(pg_server_url)
    engine = create_async_engine(database_url(pg_server_url, name))
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop_database(pg_server_url, name)


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
async def bus(settings: EventSettings, service: str) -> AsyncIterator[EventBus]:
    bus = EventBus(settings, name=service)
    try:
        yield bus
    finally:
        await bus.close()


@pytest.fixture
async def nc(nats_url: str, service: str) -> AsyncIterator[Client]:
    """The test's own NATS connection, to look at streams; removes the test's stream after."""
    async with nats_client(nats_url, drop_streams=(service,)) as client:
        yield client


@pytest.fixture
def js(nc: Client) -> JetStreamContext:
    return nc.jetstream()
