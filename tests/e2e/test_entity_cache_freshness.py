"""The entity cache with the real products and inventory services: cached, and never stale.

The router (entity cache on, in memory) runs in front of the real products and inventory
subgraphs on their own migrated databases. Reads are served from the cache under the TTL
the services' ``Cache-Control`` gives (catalogue 30 s, stock 5 s); a write through the
router (a price, a stock level) is visible to the very next query, because the service's
answer names what it changed (``extensions.invalidation``) and the router drops it before
it answers the mutation. A write that does not pass through the router (a tool calling the
products subgraph itself) is announced by the service's event instead (``product.updated``,
from its outbox through NATS), and the router drops the product when the event arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from router.execution.cache_events import CacheEvents
from router.security import SecuritySettings
from router.settings import RouterSettings
from subgraphs.inventory.app import InventorySettings
from subgraphs.inventory.app import create_app as create_inventory_app
from tests.support.keys import AUDIENCE, ISSUER, TestKeys
from tests.support.orders import Issuer, ServiceDatabaseFactory, products_server, serve
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


@pytest.fixture
async def relayed_products_url(
    service_database: ServiceDatabaseFactory, issuer: Issuer, nats_url: str
) -> AsyncIterator[str]:
    """A products subgraph of its own that relays its outbox to NATS."""
    async with products_server(
        await service_database("products"), issuer.jwks_url, anonymous=True, nats_url=nats_url
    ) as url:
        yield url


@pytest.fixture
async def listening_router(
    relayed_products_url: str, inventory_url: str, issuer: Issuer, nats_url: str
) -> AsyncIterator[RunningRouter]:
    """The router with its entity cache listening to our events (the default rules)."""
    settings = RouterSettings(
        supergraph=str(REPO_ROOT / "schema" / "supergraph.graphql"),
        port=0,
        hot_reload=False,
        subgraph_urls={"products": relayed_products_url, "inventory": inventory_url},
        entity_cache={"enabled": True, "invalidation": {"nats": {"url": nats_url}}},
        security=SecuritySettings(
            jwks_urls=(issuer.jwks_url,), issuers=(ISSUER,), audiences=(AUDIENCE,)
        ),
    )
    async with running_router(settings) as running:
        yield running


def cache_events(router: RunningRouter) -> CacheEvents:
    state = router.app.policy_state
    assert state is not None
    assert state.cache_events is not None
    return state.cache_events


async def applied(events: CacheEvents, count: int) -> None:
    """Wait until the router has applied ``count`` events in all (10 s at most)."""
    async with asyncio.timeout(10):
        while events.applied < count:
            events.invalidated.clear()
            if events.applied < count:
                await events.invalidated.wait()


async def test_a_price_changed_past_the_router_is_seen_once_its_event_arrives(
    listening_router: RunningRouter, relayed_products_url: str, keys: TestKeys
) -> None:
    router = listening_router
    events = cache_events(router)
    await asyncio.wait_for(events.ready.wait(), 10)
    admin = keys.user_token("admin-1", roles=("admin",))
    category, _ = await call(
        router, 'mutation { createCategory(input: {name: "Coffees"}) { id } }', admin
    )
    created, _ = await call(
        router,
        "mutation($input: CreateProductInput!) { createProduct(input: $input) { id version } }",
        admin,
        input={
            "name": "Mocha",
            "price": "18.00",
            "categoryId": category["data"]["createCategory"]["id"],
        },
    )
    product_id = created["data"]["createProduct"]["id"]
    await applied(events, 1)  # product.created: nothing of it was cached yet

    first, _ = await call(router, PRODUCT, id=product_id)
    assert first["data"]["product"]["price"] == "18.00"
    listing, _ = await call(router, LISTING)
    assert {"id": product_id, "price": "18.00"} in [
        e["node"] for e in listing["data"]["products"]["edges"]
    ]
    cached = await fetches(router)
    await call(router, PRODUCT, id=product_id)
    await call(router, LISTING)
    assert await fetches(router) == cached  # both answers come from the cache

    # A catalogue tool writes to the products subgraph itself: the router never sees the
    # mutation's answer (nor its ``extensions.invalidation``), only the event it commits.
    update = {
        "query": "mutation($id: ID!, $v: Int!) { updateProduct(id: $id, "
        'expectedVersion: $v, input: {price: "14.25"}) { price } }',
        "variables": {"id": product_id, "v": created["data"]["createProduct"]["version"]},
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            relayed_products_url, json=update, headers={"authorization": f"Bearer {admin}"}
        ) as response,
    ):
        body = await response.json()
    assert body["data"]["updateProduct"]["price"] == "14.25", body
    await applied(events, 2)  # product.updated

    updated, _ = await call(router, PRODUCT, id=product_id)
    assert updated["data"]["product"]["price"] == "14.25"
    listing, _ = await call(router, LISTING)
    assert {"id": product_id, "price": "14.25"} in [
        e["node"] for e in listing["data"]["products"]["edges"]
    ]
    refetched = await fetches(router)
    assert refetched["products"] == cached["products"] + 2  # the product and the listing
    assert refetched.get("inventory") == cached.get("inventory")  # its stock stayed cached
