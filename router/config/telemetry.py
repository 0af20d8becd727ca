"""``telemetry``: metrics, tracing and logging of the router, in Apollo Router's layout.

.. code-block:: yaml

    telemetry:
      exporters:
        metrics:
          prometheus:
            enabled: true        # served by the router itself
            path: /metrics
        tracing:
          common:
            service_name: polyshop-router
            sampler: 1.0         # share of new traces sampled (parents' decisions are kept)
          otlp:
            enabled: true
            endpoint: http://collector:4318   # OTLP/HTTP base URL; /v1/traces is appended
        logging:
          level: info            # Apollo Router takes it on the command line (--log)
          stdout:
            format: json         # or text (console lines)

Tracing is on when ``otlp.endpoint`` is set and ``otlp.enabled`` is not false. The standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` and ``OTEL_SERVICE_NAME`` variables are read when ours are
unset; the OTLP exporter's other standard variables (headers, timeout, compression,
certificates) and ``OTEL_RESOURCE_ATTRIBUTES`` are read by the OpenTelemetry SDK itself.
Every key here is read when the process starts: a reloaded file that changes one is logged
as waiting for a restart. The flat settings these keys replace (``METRICS``,
``METRICS_PATH``, ``OTEL_*``, ``LOG_LEVEL``, ``LOG_JSON``) are deprecated aliases
(`router.config.moved`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class PrometheusConfig(_Section):
    enabled: bool = True
    """Serve Prometheus metrics."""
    path: str = "/metrics"
    """Where, on the router's own listener."""

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("paths must start with '/'")
        return value.rstrip("/") or "/"


class MetricsExporters(_Section):
    prometheus: PrometheusConfig = Field(default_factory=PrometheusConfig)


class TracingCommon(_Section):
    service_name: str = "polyshop-router"
    """``service.name`` of the spans."""
    sampler: float = Field(default=1.0, ge=0, le=1)
    """Share of new traces sampled (a parent's sampling decision is kept)."""


class OtlpConfig(_Section):
    enabled: bool = True
    """With an ``endpoint``: export spans."""
    endpoint: str | None = None
    """OTLP/HTTP collector base URL (``/v1/traces`` is appended); none: tracing off."""


class TracingExporters(_Section):
    common: TracingCommon = Field(default_factory=TracingCommon)
    otlp: OtlpConfig = Field(default_factory=OtlpConfig)


class StdoutLogging(_Section):
    format: Literal["json", "text"] = "json"
    """JSON lines, or console lines for people."""


class LoggingExporters(_Section):
    level: str = "info"
    """Log level of the router and uvicorn (debug, info, warning, error)."""
    stdout: StdoutLogging = Field(default_factory=StdoutLogging)


class TelemetryExporters(_Section):
    metrics: MetricsExporters = Field(default_factory=MetricsExporters)
    tracing: TracingExporters = Field(default_factory=TracingExporters)
    logging: LoggingExporters = Field(default_factory=LoggingExporters)


class TelemetryConfig(_Section):
    """Apollo Router's ``telemetry`` (the exporters we have)."""

    exporters: TelemetryExporters = Field(default_factory=TelemetryExporters)

    @property
    def metrics_enabled(self) -> bool:
        return self.exporters.metrics.prometheus.enabled

    @property
    def metrics_path(self) -> str:
        return self.exporters.metrics.prometheus.path

    @property
    def otlp_endpoint(self) -> str | None:
        """The collector spans go to; None: tracing off."""
        otlp = self.exporters.tracing.otlp
        return otlp.endpoint if otlp.enabled and otlp.endpoint else None

    @property
    def log_level(self) -> str:
        return self.exporters.logging.level

    @property
    def log_json(self) -> bool:
        return self.exporters.logging.stdout.format == "json"
