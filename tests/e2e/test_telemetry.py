"""One trace through the real system: client → router → subgraph (kit app) → SQL.

The router and a small kit subgraph run in this process on free ports, with a real
PostgreSQL database; each has its own tracer provider with an in-memory exporter. The client's
``traceparent`` must be continued by the router, the router's fetch span must be the parent
of the subgraph's server span (W3C ``traceparent`` over HTTP), and the SQL statement spans
must hang below the subgraph's request. Both ``/metrics`` endpoints are scraped over HTTP.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import strawberry
import uvicorn
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text

from polyshop.devstack.postgres import plain_url
from router.composition import SubgraphSource, compose
from router.http import RouterApp
from router.settings import RouterSettings
from router.telemetry import RouterMetrics, RouterTelemetry, Tracing
from subgraphs.kit import ServiceContext, ServiceSettings, build_schema, create_service_app
from subgraphs.kit.schema import print_sdl
from subgraphs.kit.telemetry import ServiceMetrics, ServiceTelemetry, tracer_provider

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@strawberry.type
class Query:
    @strawberry.field
    async def item_count(self, info: strawberry.Info) -> int:
        context: ServiceContext[None, None] = info.context
        async with context.db() as session:
            return int(await session.scalar(text("SELECT count(*) FROM traced_items")) or 0)


schema = build_schema(query=Query)


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """``app`` on uvicorn on a free port (lifespan on); yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def samples(text_format: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in text_format.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$", line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def only(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    matching = [s for s in spans if s.name == name]
    assert len(matching) == 1, [s.name for s in spans]
    return matching[0]


def parent_id(span: ReadableSpan) -> int:
    assert span.parent is not None, span.name
    return span.parent.span_id


async def test_one_trace_from_client_to_sql(
    service_database: ServiceDatabaseFactory, tmp_path: Path
) -> None:
    url = await service_database("kit")
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute(
            "CREATE TABLE traced_items (name text); INSERT INTO traced_items VALUES ('a')"
        )
    finally:
        await conn.close()

    service_spans = InMemorySpanExporter()
    service_telemetry = ServiceTelemetry(
        provider=tracer_provider("kit-under-test", SimpleSpanProcessor(service_spans)),
        metrics=ServiceMetrics("kit"),
    )
    service = create_service_app(
        "kit",
        schema,
        ServiceSettings(database_url=url, log_level="WARNING"),
        loaders_factory=lambda _c: None,
        verify_tokens=False,
        telemetry=service_telemetry,
    )
    router_spans = InMemorySpanExporter()
    router_telemetry = RouterTelemetry(
        metrics=RouterMetrics(),
        tracing=Tracing.build("router-under-test", processor=SimpleSpanProcessor(router_spans)),
    )
    async with serving(service) as service_url:
        composed = compose([SubgraphSource("kit", f"{service_url}/graphql", print_sdl(schema))])
        assert composed.ok, composed.errors
        supergraph = tmp_path / "supergraph.graphql"
        supergraph.write_text(composed.supergraph_sdl or "")
        settings = RouterSettings(supergraph=str(supergraph), port=0, hot_reload=False)
        router = RouterApp(settings, telemetry=router_telemetry)
        async with serving(router) as router_url, httpx.AsyncClient() as http:
            response = await http.post(
                f"{router_url}/graphql",
                json={"query": "query Count { itemCount }"},
                headers={"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"},
            )
            assert response.json() == {"data": {"itemCount": 1}}
            router_metrics = samples((await http.get(f"{router_url}/metrics")).text)
            service_metrics = samples((await http.get(f"{service_url}/metrics")).text)

    at_router = list(router_spans.get_finished_spans())
    spans = [*at_router, *service_spans.get_finished_spans()]
    assert {format(s.context.trace_id, "032x") for s in spans} == {CLIENT_TRACE}
    edge = only(at_router, "POST /graphql")
    assert edge.kind == SpanKind.SERVER
    assert format(parent_id(edge), "016x") == CLIENT_SPAN
    execution = only(spans, "execution")
    assert parent_id(execution) == edge.context.span_id
    fetch = only(spans, "subgraph_request")
    assert parent_id(fetch) == execution.context.span_id
    # The subgraph's server span continues the router's fetch span (W3C traceparent).
    served = [s for s in spans if s.kind == SpanKind.SERVER and s is not edge]
    assert len(served) == 1, [s.name for s in spans]
    assert parent_id(served[0]) == fetch.context.span_id
    assert served[0].resource.attributes["service.name"] == "kit-under-test"
    # SQL below the subgraph's request span.
    ids = {s.context.span_id: s for s in spans}
    statements = [s for s in spans if s.kind == SpanKind.CLIENT and s is not fetch]
    assert statements, [s.name for s in spans]
    count = [s for s in statements if "traced_items" in str(s.attributes.get("db.statement", ""))]
    assert len(count) == 1, [dict(s.attributes or {}) for s in statements]
    ancestor = ids.get(parent_id(count[0]))
    while ancestor is not None and ancestor is not served[0]:
        ancestor = ids.get(parent_id(ancestor)) if ancestor.parent else None
    assert ancestor is served[0], "the SQL span is not below the subgraph's request span"

    assert (
        router_metrics['polyshop_router_requests_total{operation_type="query",status="200"}'] == 1
    )
    assert (
        router_metrics['polyshop_router_subgraph_request_duration_seconds_count{subgraph="kit"}']
        == 1
    )
    assert service_metrics['polyshop_service_requests_total{path="/graphql",status="200"}'] == 1
    assert service_metrics["polyshop_service_db_pool_size"] >= 1
