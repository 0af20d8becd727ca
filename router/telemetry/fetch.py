"""Spans, W3C trace headers and metrics around each subgraph request."""

from __future__ import annotations

import time
from collections.abc import Mapping

from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from router.execution.fetcher import FetchFailure, Send, SubgraphResponse
from router.execution.traffic import CIRCUIT_OPEN

from .metrics import RouterMetrics

SUBGRAPH_NAME = "subgraph.name"


def failure_reason(failure: FetchFailure) -> str:
    """A bounded label: the HTTP status, ``timeout``, ``circuit_open`` or ``connection``."""
    if failure.code == CIRCUIT_OPEN:
        return "circuit_open"
    if failure.status is not None:
        return str(failure.status)
    if "timed out" in failure.reason:
        return "timeout"
    return "connection"


class TelemetryFetchObserver:
    """The fetcher's observer: a CLIENT span per request (its context sent as
    ``traceparent``), latency and errors per subgraph, deduplicated requests."""

    def __init__(self, metrics: RouterMetrics | None, tracer: Tracer | None) -> None:
        self.metrics = metrics
        self.tracer = tracer

    def deduplicated(self, service: str) -> None:
        if self.metrics is not None:
            self.metrics.deduplicated.labels(service).inc()

    def retried(self, service: str) -> None:
        if self.metrics is not None:
            self.metrics.retries.labels(service, "retried").inc()

    def retry_refused(self, service: str) -> None:
        if self.metrics is not None:
            self.metrics.retries.labels(service, "refused").inc()

    def short_circuited(self, service: str) -> None:
        if self.metrics is not None:
            self.metrics.short_circuited.labels(service).inc()

    async def observe(
        self, service: str, body: bytes, headers: Mapping[str, str], send: Send
    ) -> SubgraphResponse:
        tracer = self.tracer
        if tracer is None:
            return await self._timed(service, body, headers, send)
        with tracer.start_as_current_span(
            "subgraph_request",
            kind=SpanKind.CLIENT,
            attributes={SUBGRAPH_NAME: service, "http.request.method": "POST"},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            carrier = dict(headers)
            propagate.inject(carrier)
            try:
                response = await self._timed(service, body, carrier, send)
            except FetchFailure as failure:
                if failure.status is not None:
                    span.set_attribute("http.response.status_code", failure.status)
                span.set_status(Status(StatusCode.ERROR, failure.detail))
                raise
            span.set_attribute("http.response.status_code", response.status)
            return response

    async def _timed(
        self, service: str, body: bytes, headers: Mapping[str, str], send: Send
    ) -> SubgraphResponse:
        metrics = self.metrics
        if metrics is None:
            return await send(service, body, headers)
        started = time.perf_counter()
        try:
            return await send(service, body, headers)
        except FetchFailure as failure:
            metrics.fetch_errors.labels(service, failure_reason(failure)).inc()
            raise
        finally:
            metrics.fetch_histogram(service).observe(time.perf_counter() - started)
