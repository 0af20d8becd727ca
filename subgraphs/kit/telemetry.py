"""Traces and metrics of a service process (OpenTelemetry, Prometheus).

Traces (off unless an OTLP endpoint is set, see `ServiceSettings`): a SERVER span per
request continuing the caller's ``traceparent`` (the router's subgraph span), a span per SQL
statement, and spans for events published and consumed (`subgraphs.kit.events.tracing`).
The provider belongs to the app, never the process-global one: a test process runs many apps.

Metrics (on by default) live in a registry of the app's own, served at ``/metrics``: requests
by path and status with their latency, SQL statements sent (so a benchmark can show that a
request's statements do not grow with its list sizes), the database pool, and the event
counters of the relay and consumers (read when scraped, so they cost nothing per event).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from subgraphs.kit.settings import ServiceSettings

TRACES_PATH = "/v1/traces"
KNOWN_PATHS = frozenset({"/graphql", "/health", "/ready", "/metrics"})
UNTRACED_URLS = "/health,/ready,/metrics"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST


def otlp_exporter(endpoint: str) -> SpanExporter:
    """OTLP/HTTP to the collector at ``endpoint`` (its base URL)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    url = endpoint.rstrip("/")
    if not url.endswith(TRACES_PATH):
        url += TRACES_PATH
    return OTLPSpanExporter(endpoint=url)


def tracer_provider(
    service_name: str, processor: SpanProcessor, *, sample_ratio: float = 1.0
) -> TracerProvider:
    """Parent-based ratio sampling: a trace the router sampled is always continued."""
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service_name}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    provider.add_span_processor(processor)
    return provider


class ServiceMetrics:
    """The app's Prometheus registry and the request metrics updated per request."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "polyshop_service_requests",
            "HTTP requests answered, by path and status",
            ["path", "status"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "polyshop_service_request_duration_seconds",
            "Time from request to complete answer, by path",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.sql_statements = Counter(
            "polyshop_sql_statements",
            "SQL statements sent to the database (readiness pings excluded)",
            registry=self.registry,
        )

    def count_statements(self, engine: AsyncEngine) -> None:
        """Count every statement the engine sends, except under ``suppress_instrumentation``
        (the readiness ping), so probes do not blur a per-request figure."""
        increment = self.sql_statements.inc

        def before_cursor_execute(*_args: Any) -> None:
            if is_instrumentation_enabled():
                increment()

        event.listen(engine.sync_engine, "before_cursor_execute", before_cursor_execute)

    def watch(self, app: FastAPI) -> None:
        """Report the app's database pool and event workers when scraped."""
        self.registry.register(_AppStateCollector(app))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _AppStateCollector(Collector):
    """Pool and event figures read from the running app's state at scrape time."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        state = self.app.state
        engine: AsyncEngine | None = getattr(state, "engine", None)
        if engine is not None:
            pool: Any = engine.sync_engine.pool
            for name, doc, read in (
                ("size", "Connections the pool keeps", "size"),
                ("checked_out", "Connections in use", "checkedout"),
                ("checked_in", "Idle connections in the pool", "checkedin"),
                ("overflow", "Connections beyond the pool size", "overflow"),
            ):
                method = getattr(pool, read, None)
                if method is not None:
                    family = GaugeMetricFamily(f"polyshop_service_db_pool_{name}", doc)
                    family.add_metric([], float(method()))
                    yield family
        events = getattr(state, "events", None)
        if events is None:
            return
        relay = events.relay
        if relay is not None:
            published = CounterMetricFamily(
                "polyshop_service_events_published",
                "Events relayed from the outbox to JetStream (duplicate: dropped by JetStream)",
                labels=["result"],
            )
            published.add_metric(["new"], float(relay.published))
            published.add_metric(["duplicate"], float(relay.duplicates))
            yield published
        consumed = CounterMetricFamily(
            "polyshop_service_events_consumed",
            "Event deliveries handled, by consumer and outcome",
            labels=["consumer", "outcome"],
        )
        dead = CounterMetricFamily(
            "polyshop_service_events_dead_lettered",
            "Events sent to the dead-letter stream, by consumer",
            labels=["consumer"],
        )
        for consumer in events.consumers:
            for outcome, value in (
                ("handled", consumer.handled),
                ("duplicate", consumer.skipped),
                ("failed", consumer.failures),
            ):
                consumed.add_metric([consumer.durable, outcome], float(value))
            dead.add_metric([consumer.durable], float(consumer.dead_lettered))
        yield consumed
        yield dead


class MetricsMiddleware:
    """Counts requests and their latency; unknown paths share the label ``other``."""

    def __init__(self, app: ASGIApp, *, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        label = path if path in KNOWN_PATHS else "other"
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.requests.labels(label, str(status)).inc()
            self.metrics.request_duration.labels(label).observe(time.perf_counter() - started)


class ServiceTelemetry:
    """What one service app reports with: a tracer provider and metrics, either optional."""

    def __init__(
        self,
        *,
        provider: TracerProvider | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.provider = provider
        self.metrics = metrics
        self.tracer: Tracer | None = (
            provider.get_tracer("polyshop.service") if provider is not None else None
        )

    @classmethod
    def from_settings(cls, name: str, settings: ServiceSettings) -> ServiceTelemetry:
        provider = None
        if settings.otel_exporter_otlp_endpoint:
            provider = tracer_provider(
                settings.otel_service_name or name,
                BatchSpanProcessor(otlp_exporter(settings.otel_exporter_otlp_endpoint)),
                sample_ratio=settings.otel_sample_ratio,
            )
        return cls(provider=provider, metrics=ServiceMetrics(name) if settings.metrics else None)

    def instrument_app(self, app: FastAPI) -> None:
        """Server spans (continuing ``traceparent``) and request metrics; call before start."""
        if self.metrics is not None:
            self.metrics.watch(app)
            app.add_middleware(MetricsMiddleware, metrics=self.metrics)
        if self.provider is not None:
            from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

            FastAPIInstrumentor.instrument_app(
                app,
                tracer_provider=self.provider,
                meter_provider=NoOpMeterProvider(),
                excluded_urls=UNTRACED_URLS,
                exclude_spans=["receive", "send"],
            )

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """Count SQL statements (with metrics) and a span per statement, child of whatever
        span is current (with tracing)."""
        if self.metrics is not None:
            self.metrics.count_statements(engine)
        if self.tracer is None:
            return
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

        counter = NoOpMeterProvider().get_meter("polyshop").create_up_down_counter("unused")
        EngineTracer(self.tracer, engine.sync_engine, counter)  # type: ignore[no-untyped-call]

    def shutdown(self) -> None:
        """Flush spans still queued for export."""
        if self.provider is not None:
            self.provider.shutdown()
