"""Demand control in the engine, against a real HTTP subgraph that counts its requests.

``enforce`` refuses an operation over the maximum before it is planned or sent (the plan
cache records no miss, the subgraph no request); ``measure`` runs it and records the cost;
the actual cost is computed from the response; costs are Prometheus metrics and, when asked,
``extensions.cost``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CollectorRegistry

from router.config.demand_control import DemandControlConfig
from router.engine import EngineConfig, GraphQLRequest, GraphQLResponse, RequestContext
from router.telemetry import RouterMetrics
from router.telemetry.engine import ObservedEngine
from tests.support.demand_control_shop import SHOP_TYPES, shop_supergraph
from tests.support.subgraph_server import SubgraphCluster, SubgraphServer, SubgraphSpec

SUPERGRAPH = shop_supergraph()
BOOKS: list[dict[str, Any]] = [
    {"id": str(i), "title": f"Book {i}", "tags": ["a", "b"]} for i in range(1, 4)
]
BOOKS[0]["authors"] = [{"name": f"Author {i}"} for i in range(12)]


def shop_subgraph() -> SubgraphSpec:
    return SubgraphSpec(
        "shop",
        sdl=SHOP_TYPES,
        resolvers={
            "Query": {
                # The subgraph returns at most two books, whatever is asked.
                "books": lambda _p, _i, first=5, filter=None: BOOKS[: min(first, 2)],
                "book": lambda _p, _i, id: next((b for b in BOOKS if b["id"] == id), None),
            }
        },
    )


@asynccontextmanager
async def shop_engine(
    **demand: Any,
) -> AsyncIterator[tuple[ObservedEngine, SubgraphServer, RouterMetrics]]:
    metrics = RouterMetrics(CollectorRegistry())
    async with SubgraphCluster([shop_subgraph()]) as cluster:
        engine = ObservedEngine(
            SUPERGRAPH,
            EngineConfig(
                subgraph_urls=cluster.urls,
                demand_control=DemandControlConfig.model_validate({"enabled": True, **demand}),
            ),
            metrics=metrics,
        )
        await engine.start()
        try:
            yield engine, cluster["shop"], metrics
        finally:
            await engine.close()


async def run(engine: ObservedEngine, query: str, variables: Any = None) -> GraphQLResponse:
    return await engine.execute(GraphQLRequest(query, variables=variables), RequestContext({}))


def sample(metrics: RouterMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


ENFORCE = {"mode": "enforce", "strategy": {"static_estimated": {"max": 100, "list_size": 10}}}
EXPENSIVE = "{ books(first: 100000) { id title } }"  # 100000 x (4 + 3)


async def test_enforce_refuses_an_expensive_operation_before_planning_or_sending() -> None:
    async with shop_engine(**ENFORCE) as (engine, shop, metrics):
        response = await run(engine, EXPENSIVE)
    assert response.status == 400
    assert "data" not in response.body
    (error,) = response.body["errors"]
    assert error == {
        "message": "query estimated cost 700000 exceeded configured maximum 100",
        "extensions": {
            "cost.estimated": 700000.0,
            "cost.max": 100.0,
            "code": "COST_ESTIMATED_TOO_EXPENSIVE",
        },
    }
    assert shop.received == []
    assert sample(metrics, "polyshop_router_plan_cache_total", result="miss") == 0
    assert (
        sample(
            metrics, "polyshop_router_cost_estimated_count", result="COST_ESTIMATED_TOO_EXPENSIVE"
        )
        == 1
    )
    assert (
        sample(metrics, "polyshop_router_cost_estimated_sum", result="COST_ESTIMATED_TOO_EXPENSIVE")
        == 700000
    )


async def test_enforce_runs_an_operation_within_the_maximum() -> None:
    async with shop_engine(**ENFORCE) as (engine, shop, metrics):
        response = await run(engine, "{ books(first: 2) { id title } }")
    assert response.status == 200
    assert response.body == {
        "data": {"books": [{"id": "1", "title": "Book 1"}, {"id": "2", "title": "Book 2"}]}
    }
    assert len(shop.received) == 1
    assert sample(metrics, "polyshop_router_cost_estimated_sum", result="COST_OK") == 14
    # Actual: two books of 4 + title 3.
    assert sample(metrics, "polyshop_router_cost_actual_sum") == 14
    assert sample(metrics, "polyshop_router_cost_delta_bucket", le="0.0") == 1
    assert sample(metrics, "polyshop_router_cost_delta_bucket", le="-10.0") == 0


async def test_measure_runs_the_operation_and_records_its_cost() -> None:
    measure = {**ENFORCE, "mode": "measure", "expose_cost": True}
    async with shop_engine(**measure) as (engine, shop, metrics):
        response = await run(engine, EXPENSIVE)
    assert response.status == 200
    assert len(response.body["data"]["books"]) == 2
    assert len(shop.received) == 1
    assert response.body["extensions"] == {
        "cost": {
            "estimated": 700000.0,
            "actual": 14.0,
            "max": 100.0,
            "result": "COST_ESTIMATED_TOO_EXPENSIVE",
            "strategy": "static_estimated",
        }
    }
    assert (
        sample(
            metrics, "polyshop_router_cost_estimated_count", result="COST_ESTIMATED_TOO_EXPENSIVE"
        )
        == 1
    )
    text = metrics.render().decode()
    bucket = (
        'polyshop_router_cost_estimated_bucket{le="1e+06",result="COST_ESTIMATED_TOO_EXPENSIVE"}'
    )
    assert f"{bucket} 1.0" in text
    assert "polyshop_router_cost_actual_count 1.0" in text


async def test_expose_cost_shows_estimate_and_actual_and_refusals_carry_it() -> None:
    async with shop_engine(**ENFORCE, expose_cost=True) as (engine, shop, _metrics):
        ok = await run(engine, "query($n: Int) { books(first: $n) { id title tags } }", {"n": 3})
        refused = await run(engine, EXPENSIVE)
    # Estimated 3 x (4 + 3 + 10 x 0); the subgraph returned two books: 2 x 7.
    assert ok.body["extensions"]["cost"] == {
        "estimated": 21.0,
        "actual": 14.0,
        "max": 100.0,
        "result": "COST_OK",
        "strategy": "static_estimated",
    }
    assert refused.body["extensions"]["cost"]["result"] == "COST_ESTIMATED_TOO_EXPENSIVE"
    assert "actual" not in refused.body["extensions"]["cost"]
    assert len(shop.received) == 1


async def test_an_actual_cost_over_the_maximum_is_reported_not_refused() -> None:
    """Estimated 4 + 10 authors (list_size) = 14 fits under 15; the subgraph returns 12
    authors, so the actual cost is 16: reported (the data is fetched already), not refused."""
    tight = {"mode": "enforce", "strategy": {"static_estimated": {"max": 15}}, "expose_cost": True}
    async with shop_engine(**tight) as (engine, _shop, metrics):
        response = await run(engine, '{ book(id: "1") { authors { name } } }')
    assert len(response.body["data"]["book"]["authors"]) == 12
    assert "errors" not in response.body
    assert response.body["extensions"]["cost"] == {
        "estimated": 14.0,
        "actual": 16.0,
        "max": 15.0,
        "result": "COST_ACTUAL_TOO_EXPENSIVE",
        "strategy": "static_estimated",
    }
    # Estimated minus actual: -2 (a histogram with negative buckets exports no _sum).
    assert sample(metrics, "polyshop_router_cost_delta_bucket", le="-10.0") == 0
    assert sample(metrics, "polyshop_router_cost_delta_bucket", le="0.0") == 1


async def test_an_operation_that_cannot_be_costed_is_refused_in_enforce_mode_only() -> None:
    query = "{ page { total } }"  # @listSize(requireOneSlicingArgument) without first/last
    async with shop_engine(**ENFORCE) as (engine, shop, _metrics):
        response = await run(engine, query)
        assert response.status == 400
        (error,) = response.body["errors"]
        assert error["extensions"]["code"] == "COST_QUERY_PARSE_FAILURE"
        assert "Exactly one slicing argument is required, but found 0" in error["message"]
        assert shop.received == []
    async with shop_engine(mode="measure") as (engine, shop, _metrics):
        response = await run(engine, query)
        assert response.status == 200
        assert len(shop.received) == 1


async def test_estimates_without_variables_are_cached_with_the_operation() -> None:
    async with shop_engine(**ENFORCE) as (engine, _shop, _metrics):
        await run(engine, "{ books(first: 2) { id } }")
        await run(engine, "query($n: Int) { books(first: $n) { id } }", {"n": 2})
        assert engine._prepare("{ books(first: 2) { id } }", None).cost == 8
        assert engine._prepare("query($n: Int) { books(first: $n) { id } }", None).cost is None


async def test_disabled_demand_control_adds_nothing() -> None:
    async with shop_engine(enabled=False, mode="enforce") as (engine, shop, metrics):
        response = await run(engine, EXPENSIVE)
    assert engine.demand is None
    assert "extensions" not in response.body
    assert len(shop.received) == 1
    assert sample(metrics, "polyshop_router_cost_estimated_count", result="COST_OK") == 0
