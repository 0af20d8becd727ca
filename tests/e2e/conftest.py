"""Fixtures the saga fault tests share: a token issuer with test keys, and a products
subgraph (anonymous reads) that orders asks for prices."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.keys import TestKeys
from tests.support.orders import Issuer, ServiceDatabaseFactory, products_server, serve


@pytest.fixture(scope="module")
def keys() -> TestKeys:
    return TestKeys()


@pytest.fixture(scope="module")
async def issuer(keys: TestKeys) -> AsyncIterator[Issuer]:
    issuer = Issuer(keys)
    async with serve(issuer.app) as url:
        issuer.url = url
        yield issuer


@pytest.fixture(scope="module")
async def products_url(
    service_database: ServiceDatabaseFactory, issuer: Issuer
) -> AsyncIterator[str]:
    async with products_server(
        await service_database("products"), issuer.jwks_url, anonymous=True
    ) as url:
        yield url
