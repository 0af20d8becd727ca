"""In-flight deduplication through the HTTP layer: identical concurrent queries share one
subgraph fetch although every request has its own correlation id (and ``x-request-id``, which
is propagated here); requests whose identity differs never share one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest_asyncio

from router.settings import RouterSettings
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer, sample_subgraph

JSON = {"content-type": "application/json"}
SLOW = "{ slow(seconds: 0.3) }"


@pytest_asyncio.fixture
async def servers() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products").start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()


async def post(router: RunningRouter, headers: dict[str, str]) -> dict[str, Any]:
    async with router.session.post(
        router.graphql, data=orjson.dumps({"query": SLOW}), headers={**JSON, **headers}
    ) as response:
        assert response.status == 200
        return dict(orjson.loads(await response.read()))


def test_deduplication_is_on_by_default() -> None:
    settings = RouterSettings()
    assert settings.deduplicate is True
    assert "x-request-id" in settings.dedup_ignored_headers


async def test_per_request_ids_do_not_keep_identical_queries_apart(
    servers: dict[str, SubgraphServer],
) -> None:
    settings = settings_for(servers, propagate_headers_extra=("x-request-id",))
    async with running_router(settings) as router:
        bodies = await asyncio.gather(
            *(
                post(router, {"x-correlation-id": f"c-{i}", "x-request-id": f"r-{i}"})
                for i in range(6)
            )
        )
    assert bodies == [{"data": {"slow": "slept"}}] * 6
    assert len(servers["products"].received) == 1  # one fetch served six requests


async def test_different_callers_never_share_a_fetch(servers: dict[str, SubgraphServer]) -> None:
    async with running_router(settings_for(servers)) as router:
        await asyncio.gather(
            post(router, {"authorization": "Bearer a"}),
            post(router, {"authorization": "Bearer b"}),
            post(router, {"authorization": "Bearer a"}),
        )
    tokens = sorted(r.headers["authorization"] for r in servers["products"].received)
    assert tokens == ["Bearer a", "Bearer b"]


async def test_with_deduplication_off_every_request_fetches(
    servers: dict[str, SubgraphServer],
) -> None:
    async with running_router(settings_for(servers, deduplicate=False)) as router:
        await asyncio.gather(*(post(router, {}) for _ in range(4)))
    assert len(servers["products"].received) == 4


async def test_subgraphs_whose_response_headers_reach_clients_are_not_shared(
    servers: dict[str, SubgraphServer],
) -> None:
    servers["products"].response_headers = [("Set-Cookie", "session=one-client-only")]
    rules = {"subgraphs": {"products": {"response": [{"propagate": {"named": "set-cookie"}}]}}}
    async with running_router(settings_for(servers, headers=rules)) as router:
        await asyncio.gather(*(post(router, {}) for _ in range(3)))
    assert len(servers["products"].received) == 3
