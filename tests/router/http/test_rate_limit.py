"""``rate_limit`` through the router against real subgraphs: the router-wide bucket, buckets
per client (IP, JWT ``sub``, header), refill, per-subgraph buckets, metrics, bad settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import pytest_asyncio
from pydantic import ValidationError

from router.config.rate_limit import Bucket
from router.policy.rate_limit import LocalBuckets
from router.security import SecuritySettings
from router.settings import RouterSettings
from tests.support.keys import TestKeys
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.router_security import JwksServer
from tests.support.subgraph_server import SubgraphServer, sample_subgraph

JSON = {"content-type": "application/json"}
QUERY = "{ topProducts(first: 1) { name reviews { body } } }"


@pytest_asyncio.fixture
async def servers() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products").start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()


async def post(
    router: RunningRouter, headers: dict[str, str] | None = None, query: str = QUERY
) -> tuple[int, Any, dict[str, Any]]:
    async with router.session.post(
        router.graphql, data=orjson.dumps({"query": query}), headers={**JSON, **(headers or {})}
    ) as response:
        return response.status, response.headers, orjson.loads(await response.read())


async def test_router_bucket_answers_429_with_retry_after(
    servers: dict[str, SubgraphServer],
) -> None:
    settings = settings_for(servers, rate_limit={"router": {"capacity": 2, "interval": "1m"}})
    async with running_router(settings) as router:
        assert (await post(router))[0] == 200
        assert (await post(router))[0] == 200
        status, headers, body = await post(router)
        async with router.session.get(router.url + "/metrics") as response:
            metrics = await response.text()
    assert status == 429
    assert 1 <= int(headers["retry-after"]) <= 30  # one token per 30 s
    assert body == {
        "errors": [
            {
                "message": "Your request has been rate limited",
                "extensions": {"code": "REQUEST_RATE_LIMITED"},
            }
        ]
    }
    assert len(servers["products"].received) == 2  # the refused request never reached it
    assert 'polyshop_router_rate_limited_total{scope="router"} 1.0' in metrics


async def test_buckets_refill(servers: dict[str, SubgraphServer]) -> None:
    settings = settings_for(servers, rate_limit={"router": {"capacity": 1, "interval": "200ms"}})
    async with running_router(settings) as router:
        assert (await post(router))[0] == 200
        assert (await post(router))[0] == 429
        await asyncio.sleep(0.25)
        assert (await post(router))[0] == 200


async def test_per_client_by_header_keeps_clients_apart(
    servers: dict[str, SubgraphServer],
) -> None:
    limit = {"per_client": {"capacity": 1, "interval": 60, "key": "header", "header": "X-Api-Key"}}
    async with running_router(settings_for(servers, rate_limit=limit)) as router:
        assert (await post(router, {"x-api-key": "a"}))[0] == 200
        assert (await post(router, {"x-api-key": "a"}))[0] == 429
        assert (await post(router, {"x-api-key": "b"}))[0] == 200
        # without the header the client is its IP address, a bucket of its own
        assert (await post(router))[0] == 200
        assert (await post(router))[0] == 429


async def test_per_client_by_ip(servers: dict[str, SubgraphServer]) -> None:
    limit = {"per_client": {"capacity": 2, "interval": 60}}
    async with running_router(settings_for(servers, rate_limit=limit)) as router:
        statuses = [(await post(router, {"x-api-key": str(i)}))[0] for i in range(3)]
    assert statuses == [200, 200, 429]  # the header does not matter with key: ip


async def test_per_client_by_jwt_subject(servers: dict[str, SubgraphServer]) -> None:
    key = TestKeys.ec("k1")
    jwks = await JwksServer(key).start()
    try:
        settings = settings_for(
            servers,
            rate_limit={"per_client": {"capacity": 1, "interval": 60, "key": "sub"}},
            security=SecuritySettings(
                jwks_urls=(jwks.url,), issuers=("polyshop-auth",), audiences=("polyshop",)
            ),
        )
        alice = {"authorization": f"Bearer {key.sign(sub='alice')}"}
        bob = {"authorization": f"Bearer {key.sign(sub='bob')}"}
        async with running_router(settings) as router:
            assert (await post(router, alice))[0] == 200
            assert (await post(router, alice))[0] == 429
            assert (await post(router, bob))[0] == 200
    finally:
        await jwks.close()


async def test_per_subgraph_bucket_fails_that_fetch_only(
    servers: dict[str, SubgraphServer],
) -> None:
    limit = {"subgraphs": {"reviews": {"capacity": 1, "interval": 60}}}
    two = '{ topProducts(first: 1) { name } product(id: "p1") { reviews { body } } }'
    async with running_router(settings_for(servers, rate_limit=limit)) as router:
        status, _, first = await post(router, query=two)
        assert first["data"]["product"]["reviews"]
        status, _, second = await post(router, query=two)
        async with router.session.get(router.url + "/metrics") as response:
            metrics = await response.text()
    assert status == 200
    assert second["data"] == {"topProducts": [{"name": "Table"}], "product": None}
    (error,) = second["errors"]
    assert error["extensions"]["code"] == "REQUEST_RATE_LIMITED"
    assert error["extensions"]["service"] == "reviews"
    assert len(servers["reviews"].received) == 1
    assert len(servers["products"].received) == 2
    assert 'polyshop_router_rate_limited_total{scope="subgraph"} 1.0' in metrics


async def test_all_applies_to_every_subgraph_without_its_own(
    servers: dict[str, SubgraphServer],
) -> None:
    limit = {
        "all": {"capacity": 1, "interval": 60},
        "subgraphs": {"reviews": {"capacity": 5, "interval": 60}},
    }
    async with running_router(settings_for(servers, rate_limit=limit)) as router:
        await post(router)
        _, _, body = await post(router)
    assert body["data"] is None  # topProducts is non-null
    assert body["errors"][0]["extensions"]["service"] == "products"


def test_local_bucket_numbers() -> None:
    now = [0.0]
    buckets = LocalBuckets(clock=lambda: now[0])
    bucket = Bucket(capacity=3, interval=3)
    assert [buckets.take("k", bucket).allowed for _ in range(4)] == [True, True, True, False]
    refused = buckets.take("k", bucket)
    assert refused.retry_after == pytest.approx(1.0)
    assert refused.retry_after_header == "1"
    now[0] = 1.0
    assert buckets.take("k", bucket).allowed
    assert not buckets.take("k", bucket).allowed


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ({"router": {"capacity": 0, "interval": 1}}, "greater than or equal to 1"),
        ({"router": {"capacity": 1, "interval": "fast"}}, "not a duration"),
        ({"per_client": {"capacity": 1, "interval": 1, "key": "header"}}, "'header' is required"),
        ({"per_client": {"capacity": 1, "interval": 1, "key": "cookie"}}, "key"),
        ({"routr": {"capacity": 1, "interval": 1}}, "routr"),
    ],
)
def test_bad_rate_limits_are_refused(limit: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RouterSettings(rate_limit=limit)


def test_rate_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_RATE_LIMIT__ROUTER", '{"capacity": 5, "interval": "1s"}')
    assert RouterSettings().rate_limit.router == Bucket(capacity=5, interval=1.0)
