"""Traces and metrics of a kit app with events, against a real PostgreSQL and NATS.

A mutation writes an event to the outbox; the app's relay publishes it and the app's own
consumer handles it. The spans must form one trace: request → SQL, request → relay's
PRODUCER span → consumer's CONSUMER span → the handler's SQL, with ``traceparent`` in the
NATS headers. ``/metrics`` (scraped through the app) must count the requests, the event
published, the event consumed and the one dead-lettered.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest
import strawberry
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from subgraphs.kit import ServiceContext, ServiceSettings, build_schema, create_service_app
from subgraphs.kit.events import ConsumerSpec, Envelope, add_event, add_event_tables, new_envelope
from subgraphs.kit.events.tracing import TRACE_KEY
from subgraphs.kit.telemetry import ServiceMetrics, ServiceTelemetry, tracer_provider
from tests.support.eventually import eventually

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture
def service() -> str:
    return f"tel{uuid.uuid4().hex[:8]}"


def make_schema(service: str) -> Any:
    @strawberry.type
    class Query:
        @strawberry.field
        def ok(self) -> bool:
            return True

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        async def emit(self, info: strawberry.Info, kind: str) -> str:
            context: ServiceContext[None, None] = info.context
            async with context.db() as session:
                envelope = new_envelope(service, kind, {"note": kind})
                await add_event(session, envelope)
            return str(envelope.id)

    return build_schema(query=Query, mutation=Mutation)


class Handled:
    """What the consumer's handlers saw."""

    def __init__(self) -> None:
        self.events: list[tuple[Envelope, int]] = []

    async def record(self, session: AsyncSession, envelope: Envelope) -> None:
        await session.execute(text("SELECT 1 AS handled"))
        span_id = trace.get_current_span().get_span_context().span_id
        self.events.append((envelope, span_id))

    async def fail(self, _session: AsyncSession, _envelope: Envelope) -> None:
        raise RuntimeError("this handler always fails")


def samples(text_format: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in text_format.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$", line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


@pytest.fixture
async def database(service_database: ServiceDatabaseFactory) -> str:
    url = await service_database("kit")
    engine = create_async_engine(url)
    metadata = MetaData()
    add_event_tables(metadata)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()
    return url


@pytest.fixture
async def running(
    database: str, nats_url: str, service: str
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI, InMemorySpanExporter, Handled]]:
    exporter = InMemorySpanExporter()
    telemetry = ServiceTelemetry(
        provider=tracer_provider(service, SimpleSpanProcessor(exporter)),
        metrics=ServiceMetrics(service),
    )
    handled = Handled()
    settings = ServiceSettings(
        database_url=database,
        nats_url=nats_url,
        log_level="WARNING",
        nats_reconnect_wait=1,
        events_relay_poll_interval=0.2,
        events_publish_timeout=2.0,
        events_retry_backoff_initial=0.05,
        events_retry_backoff_max=0.5,
        events_consumer_max_deliveries=1,
        events_consumer_fetch_timeout=0.5,
    )
    app = create_service_app(
        service,
        make_schema(service),
        settings,
        loaders_factory=lambda _c: None,
        verify_tokens=False,
        publishes_events=True,
        event_consumers=[
            ConsumerSpec(
                "self", service, {"thing.happened": handled.record, "thing.broke": handled.fail}
            )
        ],
        telemetry=telemetry,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kit") as http:
            yield http, app, exporter, handled


def parent(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_an_event_continues_the_request_trace(
    running: tuple[httpx.AsyncClient, FastAPI, InMemorySpanExporter, Handled], service: str
) -> None:
    http, app, exporter, handled = running
    emit = 'mutation { emit(kind: "thing.happened") }'
    response = await http.post("/graphql", json={"query": emit})
    assert response.status_code == 200, response.text
    event_id = response.json()["data"]["emit"]
    await eventually(lambda: len(handled.events) == 1, "the event to be handled")
    envelope, handler_span_id = handled.events[0]
    assert str(envelope.id) == event_id
    assert TRACE_KEY not in envelope.data  # the carrier never reaches consumers
    assert envelope.data == {"note": "thing.happened"}

    await eventually(
        lambda: any(s.kind == SpanKind.CONSUMER for s in exporter.get_finished_spans()),
        "the consumer's span to end (after the ack)",
    )
    spans = {s.context.span_id: s for s in exporter.get_finished_spans()}
    request = next(s for s in spans.values() if s.kind == SpanKind.SERVER)
    insert = next(
        s for s in spans.values() if "INSERT INTO outbox" in str(s.attributes.get("db.statement"))
    )
    publish = next(s for s in spans.values() if s.kind == SpanKind.PRODUCER)
    consume = next(s for s in spans.values() if s.kind == SpanKind.CONSUMER)
    assert publish.name == f"polyshop.{service}.thing.happened publish"
    assert publish.attributes["messaging.message.id"] == event_id
    trace_id = request.context.trace_id
    for span in (insert, publish, consume):
        assert span.context.trace_id == trace_id, span.name
    # request → ... → INSERT; request → publish → consume → handler's SQL.
    assert parent(publish) == request.context.span_id
    assert parent(consume) == publish.context.span_id
    assert handler_span_id == consume.context.span_id
    handler_sql = next(
        s for s in spans.values() if "handled" in str(s.attributes.get("db.statement"))
    )
    assert parent(handler_sql) == consume.context.span_id
    # No trace per outbox poll or readiness ping: every span belongs to the request's trace.
    assert {s.context.trace_id for s in spans.values()} == {trace_id}

    events = app.state.events
    assert events.relay.published == 1


async def test_metrics_count_requests_pool_and_events(
    running: tuple[httpx.AsyncClient, FastAPI, InMemorySpanExporter, Handled], service: str
) -> None:
    http, app, _exporter, handled = running
    before = samples((await http.get("/metrics")).text)
    assert (await http.post("/graphql", json={"query": "{ ok }"})).status_code == 200
    for kind in ("thing.happened", "thing.broke"):
        emit = f'mutation {{ emit(kind: "{kind}") }}'
        assert (await http.post("/graphql", json={"query": emit})).status_code == 200
    consumer = app.state.events.consumers[0]
    await eventually(lambda: consumer.handled == 1 and consumer.dead_lettered == 1, "both events")
    response = await http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    graphql_ok = 'polyshop_service_requests_total{path="/graphql",status="200"}'
    assert after[graphql_ok] - before.get(graphql_ok, 0) == 3
    assert after['polyshop_service_requests_total{path="/metrics",status="200"}'] >= 1
    assert after['polyshop_service_request_duration_seconds_count{path="/graphql"}'] >= 3
    assert after['polyshop_service_events_published_total{result="new"}'] == 2
    durable = consumer.durable
    assert (
        after[f'polyshop_service_events_consumed_total{{consumer="{durable}",outcome="handled"}}']
        == 1
    )
    assert (
        after[f'polyshop_service_events_consumed_total{{consumer="{durable}",outcome="failed"}}']
        == 1
    )
    assert after[f'polyshop_service_events_dead_lettered_total{{consumer="{durable}"}}'] == 1
    assert after["polyshop_service_db_pool_size"] == 5
    assert after["polyshop_service_db_pool_checked_out"] == 0
    assert len(handled.events) == 1


async def test_request_log_lines_carry_trace_and_correlation_ids(
    database: str, service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exporter = InMemorySpanExporter()
    telemetry = ServiceTelemetry(provider=tracer_provider(service, SimpleSpanProcessor(exporter)))
    settings = ServiceSettings(database_url=database, log_level="INFO")
    app = create_service_app(
        service,
        make_schema(service),
        settings,
        loaders_factory=lambda _c: None,
        verify_tokens=False,
        telemetry=telemetry,
    )
    traceparent = "00-5bf92f3577b34da6a3ce929d0e0e4736-10f067aa0ba902b7-01"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kit") as http:
            response = await http.post(
                "/graphql",
                json={"query": "{ ok }"},
                headers={"traceparent": traceparent, "x-correlation-id": "corr-42"},
            )
            assert response.status_code == 200
            assert (await http.get("/metrics")).status_code == 404  # metrics off here
    lines = [
        orjson.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    (access,) = [
        line for line in lines if line["event"] == "request" and line["path"] == "/graphql"
    ]
    server = next(s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER)
    assert access["correlation_id"] == "corr-42"
    assert access["trace_id"] == "5bf92f3577b34da6a3ce929d0e0e4736"
    assert access["span_id"] == format(server.context.span_id, "016x")
