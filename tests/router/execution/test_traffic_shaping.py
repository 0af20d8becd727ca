"""Traffic shaping against real HTTP subgraphs that fail or slow down on command.

Every claim is proved by the number of requests the subgraph received: retries (queries only,
never mutations), the retry budget, the circuit breaker (open, fast failure, one half-open
probe), per-subgraph timeouts and pool sizes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from router.config.traffic_shaping import TrafficShapingConfig
from router.engine import Engine, EngineConfig, GraphQLRequest, GraphQLResponse, RequestContext
from router.execution.traffic import RetryBudget
from router.settings import RouterSettings
from router.telemetry import RouterMetrics
from router.telemetry.engine import ObservedEngine
from tests.support.planning_supergraphs import supergraph
from tests.support.subgraph_server import SubgraphCluster, SubgraphServer, SubgraphSpec

BODY = """
type Query @join__type(graph: STOCK) { level(sku: ID!): Int @join__field(graph: STOCK) }
type Mutation @join__type(graph: STOCK) { reserve(sku: ID!): Int @join__field(graph: STOCK) }
"""
SDL = "type Query { level(sku: ID!): Int } type Mutation { reserve(sku: ID!): Int }"
QUERY = '{ level(sku: "a") }'
MUTATION = 'mutation { reserve(sku: "a") }'


def stock_subgraph(**options: Any) -> SubgraphServer:
    """The ``stock`` subgraph; tests fail it with ``fail_first`` (503 to the first N requests)
    or ``http_status`` and watch ``most_in_flight`` and ``request_arrived``."""
    return SubgraphServer(
        SubgraphSpec(
            "stock",
            sdl=SDL,
            resolvers={
                "Query": {"level": lambda _p, _i, sku: 7},
                "Mutation": {"reserve": lambda _p, _i, sku: 1},
            },
            **options,
        )
    )


@asynccontextmanager
async def stock_engine(
    stock: SubgraphServer, traffic: dict[str, Any], **config: Any
) -> AsyncIterator[Engine]:
    async with SubgraphCluster([stock]) as cluster:
        engine = Engine(
            supergraph(["stock"], BODY),
            EngineConfig(
                subgraph_urls=cluster.urls,
                traffic_shaping=TrafficShapingConfig.model_validate(traffic),
                **config,
            ),
        )
        await engine.start()
        try:
            yield engine
        finally:
            await engine.close()


async def run(engine: Engine, query: str) -> GraphQLResponse:
    return await engine.execute(GraphQLRequest(query), RequestContext(headers={}))


def codes(response: GraphQLResponse) -> list[str]:
    return [e["extensions"]["code"] for e in response.body.get("errors", [])]


# -- retries -------------------------------------------------------------------------------------


async def test_a_failed_query_is_retried_and_succeeds() -> None:
    stock = stock_subgraph()
    stock.fail_first = 2
    async with stock_engine(stock, {"all": {"retry": {"attempts": 2}}}) as engine:
        response = await run(engine, QUERY)
    assert response.body == {"data": {"level": 7}}
    assert len(stock.received) == 3


async def test_retries_stop_after_the_configured_attempts() -> None:
    stock = stock_subgraph()
    stock.http_status = 503
    async with stock_engine(stock, {"all": {"retry": {"attempts": 2}}}) as engine:
        response = await run(engine, QUERY)
    assert response.body["data"] == {"level": None}
    assert codes(response) == ["SUBREQUEST_HTTP_ERROR"]
    assert response.body["errors"][0]["extensions"]["http"] == {"status": 503}
    assert len(stock.received) == 3


async def test_a_mutation_is_never_retried() -> None:
    stock = stock_subgraph()
    stock.fail_first = 1
    async with stock_engine(stock, {"all": {"retry": {"attempts": 3}}}) as engine:
        response = await run(engine, MUTATION)
        assert codes(response) == ["SUBREQUEST_HTTP_ERROR"]
        assert len(stock.received) == 1
        # The next mutation goes through (the subgraph recovered): sent exactly once more.
        assert (await run(engine, MUTATION)).body == {"data": {"reserve": 1}}
    assert len(stock.received) == 2


async def test_without_retry_settings_a_failed_query_is_sent_once() -> None:
    stock = stock_subgraph()
    stock.http_status = 503
    async with stock_engine(stock, {}) as engine:
        await run(engine, QUERY)
    assert len(stock.received) == 1


async def test_the_retry_budget_caps_retries_at_a_share_of_requests() -> None:
    """No floor, 50 %: over ten failing queries only five retries are allowed (a retry needs
    retries + 1 <= 0.5 * requests in the window), however many attempts each may make."""
    stock = stock_subgraph()
    stock.http_status = 503
    traffic = {"all": {"retry": {"attempts": 3, "min_per_sec": 0, "retry_percent": 0.5}}}
    async with stock_engine(stock, traffic) as engine:
        for _ in range(10):
            await run(engine, QUERY)
    assert len(stock.received) == 10 + 5


async def test_the_budget_floor_allows_retries_without_traffic() -> None:
    stock = stock_subgraph()
    stock.http_status = 503
    traffic = {"all": {"retry": {"attempts": 5, "min_per_sec": 0.2, "retry_percent": 0, "ttl": 10}}}
    async with stock_engine(stock, traffic) as engine:
        await run(engine, QUERY)
    # A floor of 0.2/s over 10 s: two retries in the window, then the budget is spent.
    assert len(stock.received) == 1 + 2


async def test_a_subgraph_section_overrides_all_key_by_key() -> None:
    stock = stock_subgraph()
    stock.http_status = 503
    traffic = {
        "all": {"retry": {"attempts": 2}, "timeout": 5},
        "subgraphs": {"stock": {"retry": {"attempts": 0}}},
    }
    async with stock_engine(stock, traffic) as engine:
        await run(engine, QUERY)
        policy = engine.fetcher.traffic["stock"].policy
    assert len(stock.received) == 1
    assert (policy.retry_attempts, policy.timeout) == (0, 5.0)


# -- circuit breaker -----------------------------------------------------------------------------

BREAKER = {"all": {"circuit_breaker": {"enabled": True, "failure_threshold": 3, "cool_down": 0.3}}}


async def test_the_breaker_opens_after_consecutive_failures_and_fails_fast() -> None:
    stock = stock_subgraph()
    stock.http_status = 503
    async with stock_engine(stock, BREAKER) as engine:
        for _ in range(3):
            assert codes(await run(engine, QUERY)) == ["SUBREQUEST_HTTP_ERROR"]
        assert len(stock.received) == 3
        for _ in range(5):
            response = await run(engine, QUERY)
            assert codes(response) == ["SUBGRAPH_CIRCUIT_OPEN"]
        # Open: nothing more reached the subgraph.
        assert len(stock.received) == 3
    error = response.body["errors"][0]
    assert error["extensions"]["service"] == "stock"
    assert "circuit breaker open" in error["message"]
    assert response.body["data"] == {"level": None}


async def test_after_the_cool_down_one_probe_closes_the_breaker() -> None:
    stock = stock_subgraph()
    stock.http_status = 503
    async with stock_engine(stock, BREAKER) as engine:
        for _ in range(3):
            await run(engine, QUERY)
        stock.http_status = None
        assert codes(await run(engine, QUERY)) == ["SUBGRAPH_CIRCUIT_OPEN"]
        await asyncio.sleep(0.35)  # the cool-down itself
        assert (await run(engine, QUERY)).body == {"data": {"level": 7}}
        for _ in range(3):
            assert (await run(engine, QUERY)).body == {"data": {"level": 7}}
    assert len(stock.received) == 3 + 1 + 3


async def test_half_open_admits_a_single_probe_and_a_failed_probe_reopens() -> None:
    stock = stock_subgraph(delay=0.2)
    stock.http_status = 503
    async with stock_engine(stock, BREAKER) as engine:
        for _ in range(3):
            await run(engine, QUERY)
        await asyncio.sleep(0.35)
        probe, other = await asyncio.gather(run(engine, QUERY), run(engine, QUERY))
        assert codes(probe) == ["SUBREQUEST_HTTP_ERROR"]  # the probe reached the subgraph
        assert codes(other) == ["SUBGRAPH_CIRCUIT_OPEN"]  # refused while the probe ran
        assert len(stock.received) == 4
        # The probe failed: open again, at once.
        assert codes(await run(engine, QUERY)) == ["SUBGRAPH_CIRCUIT_OPEN"]
    assert len(stock.received) == 4


async def test_client_errors_do_not_open_the_breaker() -> None:
    stock = stock_subgraph(http_status=400)
    async with stock_engine(stock, BREAKER) as engine:
        for _ in range(5):
            await run(engine, QUERY)
    assert len(stock.received) == 5


# -- timeouts and pools --------------------------------------------------------------------------


async def test_timeouts_per_subgraph_over_all_over_the_global_setting() -> None:
    slow = stock_subgraph(delay=0.5)
    async with stock_engine(slow, {"all": {"timeout": "100ms"}}, subgraph_timeout=30) as engine:
        response = await run(engine, QUERY)
    assert response.body["errors"][0]["extensions"]["reason"] == "request timed out"
    slow = stock_subgraph(delay=0.5)
    traffic = {"all": {"timeout": "100ms"}, "subgraphs": {"stock": {"timeout": "5s"}}}
    async with stock_engine(slow, traffic, subgraph_timeout=0.1) as engine:
        assert (await run(engine, QUERY)).body == {"data": {"level": 7}}
    slow = stock_subgraph(delay=0.5)
    async with stock_engine(slow, {}, subgraph_timeout=0.1) as engine:
        assert codes(await run(engine, QUERY)) == ["SUBREQUEST_HTTP_ERROR"]


async def test_a_timed_out_query_is_retried() -> None:
    stock = stock_subgraph(delay=0.3)
    async with stock_engine(stock, {"all": {"timeout": 0.1, "retry": {"attempts": 1}}}) as engine:
        await run(engine, QUERY)
    assert len(stock.received) == 2


async def test_the_pool_size_bounds_concurrent_requests_per_subgraph() -> None:
    stock = stock_subgraph(delay=0.1)
    async with stock_engine(stock, {"subgraphs": {"stock": {"max_connections": 2}}}) as engine:
        responses = await asyncio.gather(*(run(engine, QUERY) for _ in range(8)))
    assert all(r.body == {"data": {"level": 7}} for r in responses)
    assert len(stock.received) == 8
    assert stock.most_in_flight == 2
    wide = stock_subgraph(delay=0.1)
    async with stock_engine(wide, {}) as engine:
        await asyncio.gather(*(run(engine, QUERY) for _ in range(8)))
    assert wide.most_in_flight == 8


# -- configuration -------------------------------------------------------------------------------


def test_the_global_subgraph_timeout_stays_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_SUBGRAPH_TIMEOUT", "7")
    settings = RouterSettings()
    assert settings.traffic_shaping.policy("products", settings.subgraph_timeout).timeout == 7.0
    config = tmp_path / "router.yaml"
    config.write_text(
        "traffic_shaping:\n  all:\n    timeout: 2s\n  subgraphs:\n    products:\n"
        "      timeout: 500ms\n      circuit_breaker: {enabled: true}\n"
    )
    settings = RouterSettings(config=str(config))
    shaping = settings.traffic_shaping
    assert shaping.policy("products", 7.0).timeout == 0.5
    assert shaping.policy("products", 7.0).breaker_enabled
    assert shaping.policy("reviews", 7.0).timeout == 2.0
    assert not shaping.policy("reviews", 7.0).breaker_enabled
    # The environment overrides the file key by key.
    monkeypatch.setenv("POLYSHOP_ROUTER_TRAFFIC_SHAPING__ALL__TIMEOUT", "250ms")
    merged = RouterSettings(config=str(config)).traffic_shaping
    assert merged.policy("reviews", 7.0).timeout == 0.25
    assert merged.policy("products", 7.0).timeout == 0.5


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"all": {"timeout": "soon"}}, "not a duration"),
        ({"all": {"retries": {"attempts": 1}}}, "Extra inputs are not permitted"),
        ({"subgraphs": {"stock": {"retry": {"attempts": -1}}}}, "greater than or equal to 0"),
        ({"all": {"circuit_breaker": {"failure_threshold": "many"}}}, "valid integer"),
        ({"all": {"max_connections": 0}}, "greater than or equal to 1"),
    ],
)
def test_a_bad_section_is_refused_with_the_reason(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TrafficShapingConfig.model_validate(section)


async def test_retries_and_the_breaker_are_metrics() -> None:
    metrics = RouterMetrics(CollectorRegistry())
    stock = stock_subgraph()
    stock.http_status = 503
    traffic = TrafficShapingConfig.model_validate(
        {
            "all": {
                "retry": {"attempts": 1, "min_per_sec": 0, "retry_percent": 0.5},
                "circuit_breaker": {"enabled": True, "failure_threshold": 3, "cool_down": 60},
            }
        }
    )
    async with SubgraphCluster([stock]) as cluster:
        engine = ObservedEngine(
            supergraph(["stock"], BODY),
            EngineConfig(subgraph_urls=cluster.urls, traffic_shaping=traffic),
            metrics=metrics,
        )
        await engine.start()
        try:
            for _ in range(4):
                await run(engine, QUERY)
        finally:
            await engine.close()

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, {"subgraph": "stock", **labels})

    # Request 1: no budget yet (0.5 x 1 < 1), refused; request 2: one retry (breaker now at
    # 3 failures: open); requests 3 and 4 short-circuited.
    assert len(stock.received) == 3
    assert value("polyshop_router_subgraph_retries_total", result="retried") == 1
    assert value("polyshop_router_subgraph_retries_total", result="refused") == 1
    assert value("polyshop_router_subgraph_short_circuited_total") == 2
    assert value("polyshop_router_subgraph_circuit_open") == 1
    assert value("polyshop_router_subgraph_errors_total", reason="circuit_open") == 2


async def test_a_cancelled_probe_lets_the_next_request_probe() -> None:
    stock = stock_subgraph(delay=0.5)
    stock.http_status = 503
    async with stock_engine(stock, BREAKER) as engine:
        for _ in range(3):
            await run(engine, QUERY)  # each waits 0.5 s for its 503
        await asyncio.sleep(0.35)
        stock.request_arrived.clear()
        probe = asyncio.create_task(run(engine, QUERY))
        await stock.request_arrived.wait()  # the probe reached the subgraph
        probe.cancel()
        with pytest.raises(asyncio.CancelledError):
            await probe
        stock.http_status = None
        stock.delay = 0
        assert (await run(engine, QUERY)).body == {"data": {"level": 7}}
    assert len(stock.received) == 5


def test_the_budget_window_slides() -> None:
    """Requests older than ``ttl`` stop funding retries; retries older than it stop counting."""
    now = [100.0]
    budget = RetryBudget(min_per_sec=0, retry_percent=0.5, ttl=10, clock=lambda: now[0])
    for _ in range(4):
        budget.deposit()
    assert [budget.withdraw() for _ in range(3)] == [True, True, False]
    now[0] += 5
    assert not budget.withdraw()  # still inside the window
    now[0] += 6  # the four requests and two retries are older than 10 s
    assert not budget.withdraw()
    budget.deposit()
    budget.deposit()
    assert budget.withdraw()
