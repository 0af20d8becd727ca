"""What the router logs at warning level: planning failures and subgraphs that refuse the
router's request (HTTP 4xx), each with the client's operation name and the operation's hash,
so an operator can find the operation that hit a planner gap or a subgraph mismatch."""

from __future__ import annotations

import hashlib
from pathlib import Path

import structlog

from router.engine import Engine, EngineConfig, GraphQLRequest, RequestContext
from router.supergraph import read_supergraph
from tests.router.scenarios.failure_pair import products, reviews
from tests.support.subgraph_server import SubgraphCluster, SubgraphSpec

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def _failure_pair(status: int) -> list[SubgraphSpec]:
    """Scenario 41's subgraphs, reviews answering ``status``."""
    specs = [products(), reviews(http_status=status)]
    for spec in specs:
        spec.sdl = (SCENARIOS / "41_subgraph_http_500" / f"{spec.name}.graphql").read_text()
    return specs


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_planning_failure_is_logged_with_name_and_hash() -> None:
    sdl = (SCENARIOS / "07_requires_simple" / "supergraph.graphql").read_text()
    sdl = sdl.replace(
        '@join__type(graph: SHIPPING, key: "id")',
        '@join__type(graph: SHIPPING, key: "id", resolvable: false)',
    )
    engine = Engine(read_supergraph(sdl), EngineConfig())
    query = "query Costs { products { shippingCost } }"
    with structlog.testing.capture_logs() as logs:
        response = await engine.execute(
            GraphQLRequest(query=query, operation_name="Costs"), RequestContext(headers={})
        )
    assert response.body["data"] is None
    (error,) = response.body["errors"]
    assert error["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    assert "Product.shippingCost" in error["message"]
    (entry,) = [e for e in logs if e["event"] == "router.planning_failed"]
    assert entry["log_level"] == "warning"
    assert entry["operation_name"] == "Costs"
    assert entry["operation_hash"] == _sha(query)
    assert "Product.shippingCost" in entry["error"]


async def test_subgraph_4xx_is_logged_with_name_and_hash() -> None:
    sdl = (SCENARIOS / "41_subgraph_http_500" / "supergraph.graphql").read_text()
    query = "query Reviews { topProducts { name reviews { body } } }"
    async with SubgraphCluster(_failure_pair(400)) as cluster:
        engine = Engine(read_supergraph(sdl), EngineConfig(subgraph_urls=cluster.urls))
        await engine.start()
        try:
            with structlog.testing.capture_logs() as logs:
                response = await engine.execute(
                    GraphQLRequest(query=query), RequestContext(headers={})
                )
        finally:
            await engine.close()
    assert response.body["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    (entry,) = [e for e in logs if e["event"] == "router.subgraph_rejected_request"]
    assert entry["log_level"] == "warning"
    assert entry["service"] == "reviews"
    assert entry["status"] == 400
    # No operationName in the request: the operation's own name is logged.
    assert entry["operation_name"] == "Reviews"
    assert entry["operation_hash"] == _sha(query)


async def test_a_subgraph_5xx_is_not_a_warning_about_the_request() -> None:
    sdl = (SCENARIOS / "41_subgraph_http_500" / "supergraph.graphql").read_text()
    async with SubgraphCluster(_failure_pair(500)) as cluster:
        engine = Engine(read_supergraph(sdl), EngineConfig(subgraph_urls=cluster.urls))
        await engine.start()
        try:
            with structlog.testing.capture_logs() as logs:
                await engine.execute(
                    GraphQLRequest(query="{ topProducts { reviews { body } } }"),
                    RequestContext(headers={}),
                )
        finally:
            await engine.close()
    assert not [e for e in logs if e["event"] == "router.subgraph_rejected_request"]
