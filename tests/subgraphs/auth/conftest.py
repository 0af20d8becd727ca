"""Fixtures of the auth tests: a fresh migrated ``auth_db`` per module and the auth app served
by a real uvicorn on a free port (the kit verifier fetches its JWKS over HTTP)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.support.databases import sql_connection

# `tests/subgraphs` has no __init__.py; see tests/subgraphs/products/conftest.py.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

import httpx  # noqa: E402
import pytest  # noqa: E402

from subgraphs.auth.settings import AuthSettings  # noqa: E402
from tests.support.auth_service import (  # noqa: E402
    AuthServer,
    GraphQLClient,
    fast_settings,
    serve_auth,
)

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="module")
async def auth_db(service_database: ServiceDatabaseFactory) -> str:
    return await service_database("auth")


@pytest.fixture(scope="module")
def auth_settings(auth_db: str) -> AuthSettings:
    return fast_settings(auth_db)


@pytest.fixture(scope="module")
async def auth_server(auth_settings: AuthSettings) -> AsyncIterator[AuthServer]:
    async with serve_auth(auth_settings) as server:
        yield server


@pytest.fixture(scope="module")
async def http(auth_server: AuthServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=auth_server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture(scope="module")
async def sql(auth_db: str) -> AsyncIterator[Any]:
    """A direct connection to the module's database, to check what was written."""
    async with sql_connection(auth_db) as connection:
        yield connection
