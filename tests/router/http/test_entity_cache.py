"""The entity cache through the real router app and real HTTP subgraphs (products, reviews).

Hits and misses are counted by what the subgraphs received: a hit sends nothing, a partial
hit sends only the representations that missed. Redis is a real embedded one; the events
come through a real NATS server.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import nats
import orjson
import pytest

from router.execution.entity_cache import EntityCache
from router.security import SecuritySettings
from tests.support.keys import TestKeys
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.router_security import JwksServer
from tests.support.subgraph_server import SubgraphServer, sample_subgraph

JSON_HEADERS = {"content-type": "application/json"}
PUBLIC = [("cache-control", "public, max-age=60")]
TOP = "{ topProducts { id name reviews { body } } }"
TOP_PRICES = "{ topProducts { id name price } }"
ONE = 'query { product(id: "p1") { id name reviews { body } } }'
KEY = "let-me-in"


def cache_config(**extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "invalidation": {"enabled": True, "shared_key": KEY},
        **extra,
    }


@asynccontextmanager
async def graph(
    products_headers: list[tuple[str, str]] = PUBLIC,
    reviews_headers: list[tuple[str, str]] = PUBLIC,
) -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": sample_subgraph("products", response_headers=list(products_headers)),
        "reviews": sample_subgraph("reviews", response_headers=list(reviews_headers)),
    }
    for server in servers.values():
        await server.start()
    try:
        yield servers
    finally:
        for server in servers.values():
            await server.close()


async def query(
    router: RunningRouter, text: str, headers: dict[str, str] | None = None
) -> tuple[dict[str, Any], str | None]:
    async with router.session.post(
        router.graphql, json={"query": text}, headers={**JSON_HEADERS, **(headers or {})}
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json(), response.headers.get("cache-control")


def counts(servers: dict[str, SubgraphServer]) -> tuple[int, int]:
    return len(servers["products"].received), len(servers["reviews"].received)


def representations(server: SubgraphServer) -> list[str]:
    """The ids of the representations of the last request ``server`` received."""
    variables = server.received[-1].body["variables"]
    return [rep["id"] for rep in variables["representations"]]


def cache_of(router: RunningRouter) -> EntityCache:
    state = router.app.policy_state
    assert state is not None
    return state.entity_cache


async def test_a_repeated_query_is_answered_from_the_cache() -> None:
    async with (
        graph() as servers,
        running_router(settings_for(servers, entity_cache=cache_config())) as router,
    ):
        first, first_header = await query(router, TOP)
        assert counts(servers) == (1, 1)
        second, second_header = await query(router, TOP)
        assert counts(servers) == (1, 1)
        assert second == first
        assert first["data"]["topProducts"][0]["reviews"] == [{"body": "Solid"}, {"body": "Wobbly"}]
        assert first_header == "max-age=60, public"
        assert second_header is not None
        assert second_header.endswith(", public")
        assert 55 <= int(second_header.split("=")[1].split(",")[0]) <= 60
        stats = cache_of(router).stats
        assert (stats.hits, stats.misses) == (4, 4)  # 1 root + 3 entities, twice


async def test_without_the_section_nothing_is_cached_and_no_header_is_added() -> None:
    async with graph() as servers, running_router(settings_for(servers)) as router:
        await query(router, TOP)
        _, header = await query(router, TOP)
        assert counts(servers) == (2, 2)
        assert header is None


async def test_a_partial_hit_sends_only_the_missing_representations() -> None:
    async with (
        graph() as servers,
        running_router(settings_for(servers, entity_cache=cache_config())) as router,
    ):
        await query(router, ONE)
        assert representations(servers["reviews"]) == ["p1"]
        body, _ = await query(router, TOP)
        assert counts(servers) == (2, 2)
        assert representations(servers["reviews"]) == ["p2", "p3"]
        assert [len(p["reviews"]) for p in body["data"]["topProducts"]] == [2, 0, 1]


async def test_no_store_is_never_cached_and_the_client_is_told() -> None:
    async with (
        graph(reviews_headers=[("cache-control", "no-store")]) as servers,
        running_router(settings_for(servers, entity_cache=cache_config())) as router,
    ):
        for _ in range(3):
            _, header = await query(router, TOP)
            assert header == "no-store"
        assert counts(servers) == (1, 3)


async def test_the_smallest_max_age_and_private_reach_the_client() -> None:
    key = TestKeys.ec("k1")
    jwks = JwksServer(key)
    await jwks.start()
    async with graph(reviews_headers=[("cache-control", "private, max-age=20")]) as servers:
        security = SecuritySettings(
            jwks_urls=(jwks.url,), issuers=("polyshop-auth",), audiences=("polyshop",)
        )
        settings = settings_for(servers, entity_cache=cache_config(), security=security)
        async with running_router(settings) as router:
            alice = {"authorization": f"Bearer {key.sign(sub='alice')}"}
            bob = {"authorization": f"Bearer {key.sign(sub='bob')}"}
            _, header = await query(router, TOP, alice)
            assert header == "max-age=20, private"
            await query(router, TOP, alice)
            assert counts(servers) == (1, 1)  # alice's own entries
            await query(router, TOP, bob)
            assert counts(servers) == (1, 2)  # bob's are his: the private answer is not shared
            await query(router, TOP, bob)
            assert counts(servers) == (1, 2)
            await query(router, TOP)  # anonymous: a private answer is never stored for nobody
            await query(router, TOP)
            assert counts(servers) == (1, 4)


async def test_the_invalidation_endpoint_needs_the_key_and_drops_entries() -> None:
    async with (
        graph() as servers,
        running_router(settings_for(servers, entity_cache=cache_config())) as router,
    ):
        await query(router, TOP)
        url = router.url + "/invalidation"
        request = [
            {"kind": "entity", "subgraph": "reviews", "type": "Product", "key": {"id": "p2"}}
        ]
        for wrong in ({}, {"authorization": "nope"}):
            async with router.session.post(url, json=request, headers=wrong) as response:
                assert response.status == 401
                assert (await response.json())["errors"][0]["extensions"]["code"] == (
                    "UNAUTHENTICATED"
                )
        await query(router, TOP)
        assert counts(servers) == (1, 1)
        async with router.session.post(url, json=request, headers={"authorization": KEY}) as got:
            assert got.status == 202
            assert (await got.json())["count"] == 1
        await query(router, TOP)
        assert counts(servers) == (1, 2)
        assert representations(servers["reviews"]) == ["p2"]
        by_type = {"kind": "type", "subgraph": "products", "type": "Product"}
        async with router.session.post(url, json=by_type, headers={"authorization": KEY}) as got:
            assert got.status == 202
        await query(router, TOP)
        assert counts(servers) == (2, 2)  # the root field of products went with its type
        whole = {"kind": "subgraph", "subgraph": "reviews"}
        async with router.session.post(url, json=whole, headers={"authorization": KEY}) as got:
            assert (await got.json())["count"] == 3
        bad = [{"kind": "entity", "subgraph": "reviews", "type": "Product"}]
        async with router.session.post(url, json=bad, headers={"authorization": KEY}) as got:
            assert got.status == 400
            error = (await got.json())["errors"][0]
            assert error["extensions"]["code"] == "INVALID_INVALIDATION_REQUEST"
            assert "'key'" in error["message"]


async def test_a_mutation_answer_invalidates_before_the_client_sees_it() -> None:
    async with (
        graph() as servers,
        running_router(settings_for(servers, entity_cache=cache_config())) as router,
    ):
        before, _ = await query(router, TOP_PRICES)
        assert before["data"]["topProducts"][0]["name"] == "Table"
        servers["products"].extensions = {
            "invalidation": [{"kind": "entity", "type": "Product", "key": {"id": "p1"}}]
        }
        renamed, header = await query(
            router, 'mutation { renameProduct(id: "p1", name: "Desk") { id name } }'
        )
        servers["products"].extensions = None
        assert renamed["data"]["renameProduct"]["name"] == "Desk"
        assert header == "no-store"
        after, _ = await query(router, TOP_PRICES)
        assert after["data"]["topProducts"][0]["name"] == "Desk"
        assert len(servers["products"].received) == 3


async def test_replicas_share_entries_through_redis(redis_url: str) -> None:
    async with graph() as servers:
        settings = settings_for(servers, entity_cache=cache_config(), redis_url=redis_url)
        async with running_router(settings) as one, running_router(settings) as two:
            await query(one, TOP)
            await query(two, TOP)
            assert counts(servers) == (1, 1)
            assert len(cache_of(two).memory) == 0  # nothing kept locally: Redis has it
            async with two.session.post(
                two.url + "/invalidation",
                json={
                    "kind": "entity",
                    "subgraph": "reviews",
                    "type": "Product",
                    "key": {"id": "p3"},
                },
                headers={"authorization": KEY},
            ) as got:
                assert (await got.json())["count"] == 1
            await query(one, TOP)
            assert counts(servers) == (1, 2)
            assert representations(servers["reviews"]) == ["p3"]


@pytest.mark.parametrize("subject", ["polyshop.inventory.stock.changed"])
async def test_an_event_drops_the_entities_it_names(nats_url: str, subject: str) -> None:
    config = cache_config(
        invalidation={
            "enabled": True,
            "shared_key": KEY,
            "nats": {
                "url": nats_url,
                "rules": [
                    {
                        "subject": subject,
                        "type": "Product",
                        "ids_field": "product_ids",
                        "subgraph": "reviews",
                    }
                ],
            },
        }
    )
    async with (
        graph() as servers,
        running_router(settings_for(servers, entity_cache=config)) as router,
    ):
        state = router.app.policy_state
        assert state is not None
        assert state.cache_events is not None
        await asyncio.wait_for(state.cache_events.ready.wait(), 10)
        await query(router, TOP)
        client = await nats.connect(nats_url)
        try:
            envelope = {
                "id": str(uuid.uuid4()),
                "type": "stock.changed",
                "occurred_at": "2026-12-07T22:00:00+00:00",
                "source": "inventory",
                "correlation_id": "c1",
                "data": {"product_ids": ["p1", "p3"], "cause": "test"},
            }
            await client.publish(subject, orjson.dumps(envelope))
            await client.flush()
        finally:
            await client.close()
        await asyncio.wait_for(state.cache_events.invalidated.wait(), 10)
        assert state.cache_events.applied == 1
        await query(router, TOP)
        assert counts(servers) == (1, 2)
        assert representations(servers["reviews"]) == ["p1", "p3"]


async def test_an_answer_in_flight_across_an_invalidation_is_not_stored() -> None:
    """A query that read the old value before a change committed, and answers after the
    change's invalidation, must not put the old value back."""
    async with (
        graph() as servers,
        running_router(settings_for(servers, entity_cache=cache_config())) as router,
    ):
        products = servers["products"]
        slow = asyncio.create_task(query(router, "{ slow(seconds: 0.5) }"))
        await asyncio.wait_for(products.request_arrived.wait(), 10)
        async with router.session.post(
            router.url + "/invalidation",
            json={"kind": "entity", "subgraph": "products", "type": "Product", "key": {"id": "p1"}},
            headers={"authorization": KEY},
        ) as got:
            assert got.status == 202
        await slow
        await query(router, "{ slow(seconds: 0.5) }")
        assert len(products.received) == 2  # the first answer was not kept
        await query(router, "{ slow(seconds: 0.5) }")
        assert len(products.received) == 2  # the second one was
