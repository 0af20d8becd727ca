"""Settings of one service process, read once from ``POLYSHOP_*`` environment variables.

Operations: tracing is on when ``POLYSHOP_OTEL_EXPORTER_OTLP_ENDPOINT`` or the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (OTLP/HTTP, ``/v1/traces`` appended; the SDK reads the
exporter's other ``OTEL_EXPORTER_OTLP_*`` variables and ``OTEL_RESOURCE_ATTRIBUTES`` itself).
Prometheus metrics are served at ``/metrics`` unless ``POLYSHOP_METRICS=false``. At start the
service waits up to ``DB_STARTUP_TIMEOUT`` seconds for its database (backing off between
attempts). On SIGTERM ``/ready`` answers 503 at once, the listener closes ``SHUTDOWN_DELAY``
seconds later, and requests in flight get up to ``SHUTDOWN_TIMEOUT`` seconds (when uvicorn
was not given its own ``--timeout-graceful-shutdown``) before consumers and relay stop.

TLS without a mesh (`subgraphs.kit.tls`): ``TLS_CERTFILE`` (PEM chain; the key may be in it)
and ``TLS_KEYFILE`` make the service serve HTTPS; ``TLS_CLIENT_CA`` then requires every
caller to present a certificate signed by that CA (mTLS), refused at the handshake otherwise.
For the service's own outgoing calls (other services, token and JWKS endpoints) ``TLS_CA``
is the CA trusted instead of the system's, and ``TLS_CLIENT_CERTFILE``/``TLS_CLIENT_KEYFILE``
the certificate presented.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from polyshop.runtime.tls import ServerTLSSettings
from subgraphs.kit.events.settings import EventSettings

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ServiceSettings(EventSettings, ServerTLSSettings):
    """What every subgraph process needs; a service may subclass it to add its own fields.

    ``dev_mode`` turns on GraphiQL and shows exception details in GraphQL errors, so it
    must stay off in production.
    """

    model_config = SettingsConfigDict(env_prefix="POLYSHOP_", extra="ignore", populate_by_name=True)

    service_name: str = "service"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    dev_mode: bool = False
    log_level: LogLevel = "INFO"
    log_json: bool = True

    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    db_pool_recycle: int = Field(default=1800, ge=-1)
    db_statement_timeout_ms: int = Field(default=15_000, ge=0)
    db_echo: bool = False
    db_startup_timeout: float = Field(default=60.0, ge=0)
    db_startup_backoff_max: float = Field(default=5.0, gt=0)

    metrics: bool = True
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "POLYSHOP_OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
    )
    otel_service_name: str | None = Field(
        default=None,
        validation_alias=AliasChoices("POLYSHOP_OTEL_SERVICE_NAME", "OTEL_SERVICE_NAME"),
    )
    """``service.name`` of the spans; ``service_name`` when unset."""
    otel_sample_ratio: float = Field(default=1.0, ge=0, le=1)

    shutdown_delay: float = Field(default=0.0, ge=0)
    shutdown_timeout: float = Field(default=30.0, ge=0)

    http_max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    """Request line and headers together; larger requests get 431 (see `subgraphs.kit.http`)."""
    http_header_read_timeout: float = Field(default=10.0, gt=0)
    """Seconds a client has to send a request's headers; then 408 and the connection closes."""
    http_body_read_timeout: float = Field(default=30.0, gt=0)
    """Seconds a client has to send a request's body once its headers are in; then 408."""

    page_size_default: int = Field(default=20, ge=1)
    page_size_max: int = Field(default=100, ge=1)

    # tls_certfile, tls_keyfile, tls_client_ca: `polyshop.runtime.tls.ServerTLSSettings`
    tls_ca: str | None = None
    """Outgoing calls trust this CA bundle instead of the system's roots."""
    tls_client_certfile: str | None = None
    """Outgoing calls present this certificate chain (PEM)."""
    tls_client_keyfile: str | None = None
    """Its private key, unless the chain file holds it."""

    @model_validator(mode="after")
    def _tls_pairs(self) -> Self:
        """A client key without its certificate is a mistake, not a call without one."""
        if self.tls_client_certfile is None and self.tls_client_keyfile:
            raise ValueError("POLYSHOP_TLS_CLIENT_KEYFILE needs POLYSHOP_TLS_CLIENT_CERTFILE")
        return self


@lru_cache(maxsize=1)
def get_settings() -> ServiceSettings:
    """The process-wide settings; cached so every import sees the same object."""
    return ServiceSettings()
