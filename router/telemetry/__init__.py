"""Telemetry of the router: OpenTelemetry traces, Prometheus metrics, JSON logs.

Traces (off unless an OTLP endpoint is set): a SERVER span per HTTP request continuing the
caller's ``traceparent``, ``query_planning`` and ``execution`` spans, and a CLIENT
``subgraph_request`` span per subgraph fetch whose context travels to the subgraph as
``traceparent`` (W3C trace context). Metrics (on by default) at ``/metrics``. With both off,
the request path runs no telemetry code at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.trace import Tracer

from polyshop.runtime.logging import add_trace_ids, configure_logging

from .http import RequestTelemetry
from .metrics import RouterMetrics
from .request import RequestObservation, current_request
from .tracing import Tracing


@dataclass(slots=True)
class RouterTelemetry:
    """What one router instance reports with; either part may be absent."""

    metrics: RouterMetrics | None = None
    tracing: Tracing | None = None

    @property
    def tracer(self) -> Tracer | None:
        return self.tracing.tracer if self.tracing is not None else None

    @property
    def active(self) -> bool:
        return self.metrics is not None or self.tracing is not None

    def request_telemetry(self) -> RequestTelemetry:
        return RequestTelemetry(self.metrics, self.tracer)

    def shutdown(self) -> None:
        if self.tracing is not None:
            self.tracing.shutdown()


__all__ = [
    "RequestObservation",
    "RequestTelemetry",
    "RouterMetrics",
    "RouterTelemetry",
    "Tracing",
    "add_trace_ids",
    "configure_logging",
    "current_request",
]
