"""OpenTelemetry tracing for the router: a tracer of our own provider, or none at all.

The router never touches the global tracer provider: tests run many routers in one process,
and a process embedding the router keeps its own tracing. With no exporter configured there
is no tracer, and the hot path skips span code entirely (not even no-op spans).
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Tracer

TRACES_PATH = "/v1/traces"


def otlp_exporter(endpoint: str) -> SpanExporter:
    """OTLP/HTTP (protobuf) to ``endpoint`` (the collector's base URL, ``/v1/traces`` added).

    Headers, timeout, compression and certificates come from the standard
    ``OTEL_EXPORTER_OTLP_*`` variables, which the SDK reads itself."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    url = endpoint.rstrip("/")
    if not url.endswith(TRACES_PATH):
        url += TRACES_PATH
    return OTLPSpanExporter(endpoint=url)


class Tracing:
    """A tracer provider owned by one router (or service) and the tracer it hands out."""

    def __init__(self, provider: TracerProvider, name: str) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer(name)

    @classmethod
    def build(
        cls,
        service_name: str,
        *,
        processor: SpanProcessor,
        sample_ratio: float = 1.0,
        attributes: Mapping[str, str] | None = None,
        instrumentation: str = "polyshop.router",
    ) -> Tracing:
        """Parent-based ratio sampling: a sampled caller's trace is always continued."""
        resource = Resource.create({SERVICE_NAME: service_name, **(attributes or {})})
        provider = TracerProvider(
            resource=resource, sampler=ParentBased(TraceIdRatioBased(sample_ratio))
        )
        provider.add_span_processor(processor)
        return cls(provider, instrumentation)

    @classmethod
    def otlp(cls, service_name: str, endpoint: str, *, sample_ratio: float = 1.0) -> Tracing:
        return cls.build(
            service_name,
            processor=BatchSpanProcessor(otlp_exporter(endpoint)),
            sample_ratio=sample_ratio,
        )

    def shutdown(self) -> None:
        """Flush pending spans and stop the export thread."""
        self.provider.shutdown()
