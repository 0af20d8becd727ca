"""Tracing switched on by setting alone: the router exports its spans over OTLP/HTTP to a
collector (a real HTTP receiver in the test decoding the protobuf the SDK sends)."""

from __future__ import annotations

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from router.http import RouterApp
from tests.support.router_harness import settings_for
from tests.support.subgraph_server import SubgraphServer
from tests.support.telemetry_harness import serving


async def test_spans_reach_an_otlp_collector(subgraphs: dict[str, SubgraphServer]) -> None:
    received: list[ExportTraceServiceRequest] = []

    async def collect(request: web.Request) -> web.Response:
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.read())
        received.append(message)
        return web.Response(status=200, content_type="application/x-protobuf", body=b"")

    collector = web.Application()
    collector.router.add_post("/v1/traces", collect)
    runner = web.AppRunner(collector)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        settings = settings_for(
            subgraphs,
            otel_exporter_otlp_endpoint=f"http://127.0.0.1:{port}",
            otel_service_name="router-otlp-test",
        )
        app = RouterApp(settings)
        async with (
            serving(app) as router,
            router.session.post(
                router.graphql, json={"query": "{ topProducts(first: 1) { id } }"}
            ) as response,
        ):
            assert response.status == 200
        # The app's shutdown flushed the batch processor to the collector.
    finally:
        await runner.cleanup()

    names: list[str] = []
    services: set[str] = set()
    for message in received:
        for resource_spans in message.resource_spans:
            for attribute in resource_spans.resource.attributes:
                if attribute.key == "service.name":
                    services.add(attribute.value.string_value)
            for scope_spans in resource_spans.scope_spans:
                names.extend(span.name for span in scope_spans.spans)
    assert services == {"router-otlp-test"}
    assert sorted(names) == sorted(
        ["POST /graphql", "query_planning", "execution", "subgraph_request"]
    )
