"""The entity cache with the real products and inventory services: cached, and never stale.

The router (entity cache on, in memory) runs in front of the real products and inventory
subgraphs on their own migrated databases. Reads are served from the cache under the TTL
the services' ``Cache-Control`` gives (catalogue 30 s, stock 5 s); a write through the
router (a price, a stock level) is visible to the very next query, because the service's
answer names what it changed (``extensions.invalidation``) and the router drops it before
it answers the mutation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from router.security import SecuritySettings
from router.settings import RouterSettings
from subgraphs.inventory.app import InventorySettings
from subgraphs.inventory.app import create_app as create_inventory_app
from tests.support.keys import AUDIENCE, ISSUER, TestKeys
from tests.support.orders import Issuer, ServiceDatabaseFactory, serve
from tests.support.router_harness import RunningRouter, running_router

REPO_ROOT = Path(__file__).resolve().parents[2]
FETCHES = "polyshop_router_subgraph_request_duration_seconds"
PRODUCT = """
query Product($id: ID!) { product(id: $id) { id name price stock { available } } }
"""
LISTING = "query Listing { products(first: 10) { edges { node { id price } } } }"


@asynccontextmanager
async def inventory_server(database_url: str, jwks_url: str) -> AsyncIterator[str]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POLYSHOP_AUTH_JWKS_URL", jwks_url)
        env.setenv("POLYSHOP_AUTH_ALLOW_ANONYMOUS", "true")
        app = create_inventory_app(
            InventorySettings(database_url=database_url, log_level="WARNING"), events=False
        )
    async with serve(app) as base:
        yield f"{base}/graphql"


@pytest.fixture(scope="module")
async def inventory_url(
    service_database: ServiceDatabaseFactory, issuer: Issuer
) -> AsyncIterator[str]:
    async with inventory_server(await service_database("inventory"), issuer.jwks_url) as url:
        yield url


@pytest.fixture
async def router(
    products_url: str, inventory_url: str, issuer: Issuer
) -> AsyncIterator[RunningRouter]:
    settings = RouterSettings(
        supergraph=str(REPO_ROOT / "schema" / "supergraph.graphql"),
        port=0,
        hot_reload=False,
        subgraph_urls={"products": products_url, "inventory": inventory_url},
        entity_cache={"enabled": True},
        security=SecuritySettings(
            jwks_urls=(issuer.jwks_url,), issuers=(ISSUER,), audiences=(AUDIENCE,)
        ),
    )
    async with running_router(settings) as running:
        yield running


async def call(
    router: RunningRouter, query: str, token: str | None = None, **variables: Any
) -> tuple[dict[str, Any], str | None]:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    async with router.session.post(
        router.graphql, json={"query": query, "variables": variables}, headers=headers
    ) as response:
        body: dict[str, Any] = await response.json()
        assert response.status == 200, body
        assert "errors" not in body, body
        return body, response.headers.get("cache-control")


async def fetches(router: RunningRouter) -> dict[str, float]:
    """Subgraph requests the router sent so far, by subgraph."""
    async with router.session.get(router.url + "/metrics") as response:
        text = await response.text()
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == FETCHES:
            for sample in family.samples:
                if sample.name == FETCHES + "_count":
                    counts[sample.labels["subgraph"]] = sample.value
    return counts


async def test_the_services_say_what_may_be_cached(
    products_url: str, inventory_url: str, keys: TestKeys
) -> None:
    async with aiohttp.ClientSession() as http:
        read = {"query": "{ categories { id } }"}
        async with http.post(products_url, json=read) as response:
            assert response.headers["cache-control"] == "public, max-age=30"
        entities = {
            "query": "query($r: [_Any!]!) { _entities(representations: $r) "
            "{ ... on Product { stock { available } } } }",
            "variables": {"r": [{"__typename": "Product", "id": "1"}]},
        }
        async with http.post(inventory_url, json=entities) as response:
            assert response.headers["cache-control"] == "public, max-age=5"
        write = {"query": 'mutation { createCategory(input: {name: "x"}) { id } }'}
        token = keys.user_token("admin-1", roles=("admin",))
        async with http.post(
            products_url, json=write, headers={"authorization": f"Bearer {token}"}
        ) as response:
            assert response.headers["cache-control"] == "no-store"
            body = await response.json()
            assert body["extensions"]["invalidation"] == [
                {"kind": "type", "type": "Category"},
                {"kind": "type", "type": "Product"},
            ]


async def test_never_a_stale_price_or_stock_after_an_update(
    router: RunningRouter, keys: TestKeys
) -> None:
    admin = keys.user_token("admin-1", roles=("admin",))
    category, _ = await call(
        router, 'mutation { createCategory(input: {name: "Teas"}) { id } }', admin
    )
    created, header = await call(
        router,
        "mutation($input: CreateProductInput!) { createProduct(input: $input) { id version } }",
        admin,
        input={
            "name": "Sencha",
            "price": "12.00",
            "categoryId": category["data"]["createCategory"]["id"],
        },
    )
    assert header == "no-store"
    product_id = created["data"]["createProduct"]["id"]
    await call(
        router,
        "mutation($id: ID!) { setStock(productId: $id, available: 7) { id } }",
        admin,
        id=product_id,
    )

    first, header = await call(router, PRODUCT, id=product_id)
    assert first["data"]["product"]["price"] == "12.00"
    assert first["data"]["product"]["stock"] == {"available": 7}
    assert header == "max-age=5, public"  # the smaller of the catalogue's 30 s and stock's 5 s
    before = await fetches(router)
    again, _ = await call(router, PRODUCT, id=product_id)
    assert again == first
    assert await fetches(router) == before  # both parts from the cache
    listing, _ = await call(router, LISTING)
    assert {"id": product_id, "price": "12.00"} in [
        e["node"] for e in listing["data"]["products"]["edges"]
    ]

    await call(
        router,
        "mutation($id: ID!, $v: Int!) { updateProduct(id: $id, expectedVersion: $v, "
        'input: {price: "9.50"}) { id } }',
        admin,
        id=product_id,
        v=created["data"]["createProduct"]["version"],
    )
    updated, _ = await call(router, PRODUCT, id=product_id)
    assert updated["data"]["product"]["price"] == "9.50"
    assert updated["data"]["product"]["stock"] == {"available": 7}
    listing, _ = await call(router, LISTING)
    assert {"id": product_id, "price": "9.50"} in [
        e["node"] for e in listing["data"]["products"]["edges"]
    ]

    await call(
        router,
        "mutation($id: ID!) { setStock(productId: $id, available: 3) { id } }",
        admin,
        id=product_id,
    )
    restocked, _ = await call(router, PRODUCT, id=product_id)
    assert restocked["data"]["product"]["stock"] == {"available": 3}
    assert restocked["data"]["product"]["price"] == "9.50"
    settled = await fetches(router)
    await call(router, PRODUCT, id=product_id)
    assert await fetches(router) == settled  # and cached again
