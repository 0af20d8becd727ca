"""Orders asks products for prices with its own client-credentials token.

Products runs with real token verification against a small issuer served in this test (a
token endpoint and a JWKS, signing real ES256 tokens), so a call without a valid token is
refused by products exactly as in production.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.orders.app import create_app
from tests.support.keys import TestKeys
from tests.support.orders import (
    CLIENT_SECRET,
    PLACE,
    Catalog,
    Customer,
    GraphQL,
    Issuer,
    ServiceDatabaseFactory,
    orders_settings,
    products_server,
)


@pytest.fixture(scope="module")
async def products_url(
    service_database: ServiceDatabaseFactory, issuer: Issuer
) -> AsyncIterator[str]:
    """Products as in production: every call needs a valid token."""
    database = await service_database("products")
    async with products_server(database, issuer.jwks_url, anonymous=False) as url:
        yield url


def token_settings(issuer_url: str, secret: str | None) -> TokenSettings:
    return TokenSettings(
        token_url=f"{issuer_url}/oauth/token",
        client_id="orders" if secret else None,
        client_secret=secret,
    )


@pytest.fixture(scope="module")
async def orders_app(
    orders_db: str,
    nats_url: str,
    products_url: str,
    keys: TestKeys,
    issuer: Issuer,
) -> AsyncIterator[FastAPI]:
    app = create_app(
        orders_settings(orders_db, nats_url, products_url),
        verifier=keys.verifier(),
        token_settings=token_settings(issuer.url, CLIENT_SECRET),
    )
    async with app.router.lifespan_context(app):
        yield app


async def order(gql: GraphQL, customer: Customer, product_id: str) -> dict[str, object]:
    items = [{"productId": product_id, "quantity": 2}]
    return await gql(PLACE, token=customer.token, items=items, currency="USD", key=uuid.uuid4().hex)


async def test_orders_calls_products_with_its_service_token(
    gql: GraphQL, catalog: Catalog, customer: Customer, issuer: Issuer
) -> None:
    product = await catalog.add("7.25")
    first = await order(gql, customer, product)
    assert "errors" not in first, first
    second = await order(gql, customer, product)
    assert "errors" not in second, second
    assert issuer.issued == 1  # the token is reused until it nears expiry


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
async def test_without_a_valid_token_products_refuses_and_nothing_is_written(
    orders_db: str,
    nats_url: str,
    products_url: str,
    keys: TestKeys,
    issuer: Issuer,
    catalog: Catalog,
    sql: asyncpg.Connection,
    secret: str | None,
) -> None:
    product = await catalog.add("1.00")
    app = create_app(
        orders_settings(orders_db, nats_url, products_url),
        verifier=keys.verifier(),
        token_settings=token_settings(issuer.url, secret),
    )
    user = str(uuid.uuid4())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as http:
            response = await http.post(
                "/graphql",
                json={
                    "query": PLACE,
                    "variables": {
                        "items": [{"productId": product, "quantity": 1}],
                        "currency": "USD",
                        "key": "k",
                    },
                },
                headers={"Authorization": f"Bearer {keys.user_token(user)}"},
            )
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    written = await sql.fetchval("SELECT count(*) FROM orders WHERE user_id = $1", uuid.UUID(user))
    assert written == 0
