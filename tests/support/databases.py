"""Fixture factories for a service's database and NATS: what a ``sql``/``nc`` fixture yields.

A conftest keeps its own fixture (its scope and the database fixture it depends on) and gets
the connection from here, so the opening and the clean-up are written once::

    @pytest.fixture(scope="module")
    async def sql(orders_db: str) -> AsyncIterator[asyncpg.Connection]:
        async with sql_connection(orders_db) as connection:
            yield connection
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import asyncpg
import nats
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from polyshop.devstack.postgres import plain_url
from subgraphs.kit.events import stream_name


@asynccontextmanager
async def sql_connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct asyncpg connection to a service's database (a SQLAlchemy URL is accepted), to
    set up rows and check what was (not) written."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def nats_client(nats_url: str, *, drop_streams: Iterable[str] = ()) -> AsyncIterator[Client]:
    """The test's own NATS connection; afterwards the event streams of ``drop_streams`` (service
    names) are deleted, so that the next module starts from empty streams."""
    client = await nats.connect(nats_url)
    try:
        yield client
    finally:
        for source in drop_streams:
            with contextlib.suppress(NotFoundError):
                await client.jetstream().delete_stream(stream_name(source))
        with contextlib.suppress(Exception):
            await client.close()
