"""`/metrics`, `/ready` and spans of a router on a real port, scraped over HTTP while it
serves real subgraphs: counters and histograms must move with the traffic."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from router.http import RouterApp
from router.settings import RouterSettings
from router.telemetry import RouterMetrics, RouterTelemetry, Tracing
from tests.support.router_harness import running_router, settings_for
from tests.support.subgraph_server import SubgraphServer
from tests.support.telemetry_harness import serving

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


async def scrape(session: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """``name{labels}`` → value, from the text format served at ``url``."""
    async with session.get(url) as response:
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = await response.text()
    samples: dict[str, float] = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


async def graphql(
    session: aiohttp.ClientSession, url: str, query: str, **headers: str
) -> dict[str, Any]:
    async with session.post(url, json={"query": query}, headers=headers) as response:
        body: dict[str, Any] = await response.json()
        return body


def value(samples: dict[str, float], key: str) -> float:
    return samples.get(key, 0.0)


async def test_metrics_move_with_traffic(subgraphs: dict[str, SubgraphServer]) -> None:
    settings = settings_for(subgraphs, deduplicate=True)
    async with running_router(settings) as router:
        metrics_url = router.url + "/metrics"
        before = await scrape(router.session, metrics_url)
        query = "{ topProducts { id name } }"
        assert "errors" not in await graphql(router.session, router.graphql, query)
        assert "errors" not in await graphql(router.session, router.graphql, query)
        invalid = await graphql(router.session, router.graphql, "{ nope }")
        assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        # Two identical queries in flight at once: the second shares the first's fetch (the
        # correlation id is one of the headers sent on, so it must be the same too).
        slow = "{ slow(seconds: 0.3) }"
        same = {"x-correlation-id": "same-for-both"}
        await asyncio.gather(
            graphql(router.session, router.graphql, slow, **same),
            graphql(router.session, router.graphql, slow, **same),
        )
        after = await scrape(router.session, metrics_url)

    ok = 'polyshop_router_requests_total{operation_type="query",status="200"}'
    assert value(after, ok) - value(before, ok) == 4
    bad = 'polyshop_router_requests_total{operation_type="unknown",status="400"}'
    assert value(after, bad) - value(before, bad) == 1
    code = 'polyshop_router_errors_total{code="GRAPHQL_VALIDATION_FAILED"}'
    assert value(after, code) - value(before, code) == 1
    # topProducts planned once and reused; slow planned once and reused.
    assert value(after, 'polyshop_router_plan_cache_total{result="miss"}') == 2
    assert value(after, 'polyshop_router_plan_cache_total{result="hit"}') == 2
    dedup = 'polyshop_router_deduplicated_fetches_total{subgraph="products"}'
    assert value(after, dedup) == 1
    fetches = 'polyshop_router_subgraph_request_duration_seconds_count{subgraph="products"}'
    assert value(after, fetches) == 3
    total = 'polyshop_router_request_duration_seconds_sum{operation_type="query"}'
    assert value(after, total) >= 0.3  # the slow ones took at least their 0.3 s
    assert value(after, "polyshop_router_requests_in_flight") == 0


async def test_subgraph_failures_are_counted_by_reason() -> None:
    # A subgraph URL where nothing listens: connection refused.
    settings = RouterSettings(
        **{
            **settings_for({}).model_dump(),
            "subgraph_urls": {
                "products": "http://127.0.0.1:1/graphql",
                "reviews": "http://127.0.0.1:1/graphql",
            },
        }
    )
    async with running_router(settings) as router:
        body = await graphql(router.session, router.graphql, "{ topProducts { id } }")
        assert body["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
        after = await scrape(router.session, router.url + "/metrics")
    failed = 'polyshop_router_subgraph_errors_total{reason="connection",subgraph="products"}'
    assert after[failed] == 1
    assert after['polyshop_router_errors_total{code="SUBREQUEST_HTTP_ERROR"}'] == 1


async def test_ready_and_metrics_can_be_turned_off(subgraphs: dict[str, SubgraphServer]) -> None:
    settings = settings_for(
        subgraphs, telemetry={"exporters": {"metrics": {"prometheus": {"enabled": False}}}}
    )
    async with running_router(settings) as router:
        async with router.session.get(router.url + "/ready") as response:
            assert response.status == 200
            assert await response.json() == {"status": "READY"}
        async with router.session.get(router.url + "/metrics") as response:
            assert response.status == 404
        router.app.draining = True  # what SIGTERM does first
        async with router.session.get(router.url + "/ready") as response:
            assert response.status == 503
            assert await response.json() == {"status": "DRAINING"}
        async with router.session.get(router.url + "/health") as response:
            assert response.status == 200


async def test_spans_and_trace_headers(subgraphs: dict[str, SubgraphServer]) -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing.build("router-under-test", processor=SimpleSpanProcessor(exporter))
    telemetry = RouterTelemetry(metrics=RouterMetrics(), tracing=tracing)
    settings = settings_for(subgraphs)
    app = RouterApp(settings, telemetry=telemetry)
    client_trace = "0af7651916cd43dd8448eb211c80319c"
    client_span = "b7ad6b7169203331"
    async with serving(app) as router:
        body = await graphql(
            router.session,
            router.graphql,
            "query Reviews { topProducts(first: 1) { id reviews { body } } }",
            traceparent=f"00-{client_trace}-{client_span}-01",
        )
        assert "errors" not in body, body
    tracing.shutdown()
    spans = exporter.get_finished_spans()
    by_name: dict[str, list[Any]] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    (server,) = by_name["POST /graphql"]
    assert server.kind == SpanKind.SERVER
    # The client's trace is continued.
    assert format(server.context.trace_id, "032x") == client_trace
    assert format(server.parent.span_id, "016x") == client_span
    assert server.attributes["graphql.operation.type"] == "query"
    assert server.attributes["graphql.operation.name"] == "Reviews"
    (planning,) = by_name["query_planning"]
    (execution,) = by_name["execution"]
    assert planning.parent.span_id == server.context.span_id
    assert execution.parent.span_id == server.context.span_id
    fetches = by_name["subgraph_request"]
    assert sorted(f.attributes["subgraph.name"] for f in fetches) == ["products", "reviews"]
    for fetch in fetches:
        assert fetch.kind == SpanKind.CLIENT
        assert fetch.parent.span_id == execution.context.span_id
        assert fetch.context.trace_id == server.context.trace_id
    # Each subgraph received the W3C header of its own fetch span.
    for fetch in fetches:
        received = subgraphs[fetch.attributes["subgraph.name"]].received[-1].headers
        expected = f"00-{client_trace}-{format(fetch.context.span_id, '016x')}-01"
        assert received["traceparent"] == expected
