"""Settings of the router process: one object, read from ``POLYSHOP_ROUTER_*`` variables.

List settings take JSON (``["a", "b"]``) or a comma-separated string (``a,b``); the subgraph
URL map takes JSON (``{"products": "http://..."}``) or ``name=url`` pairs separated by commas.
Header names compare case-insensitively. ``SPEC_JSON_STATUS`` makes ``application/json``
answers to well-formed requests 200 as the GraphQL-over-HTTP spec asks, instead of Apollo
Router's 400 for parse and validation errors.

Limits are on by default with Apollo Router's recommended production values (``limits``:
``max_depth`` 100, ``max_height`` 200, ``max_aliases`` 30, ``max_root_fields`` 20,
``parser_max_tokens`` 15000; nesting is capped at 200 levels by the parser). An empty value
(``POLYSHOP_ROUTER_MAX_DEPTH=``) turns a limit off. ``MAX_SELECTIONS`` bounds the work of
measuring and expanding one operation (fragments are expanded once each; see
`router.planning.normalize.limits`); an operation that needs more is refused. A new plan is
made on a worker thread, and a client waits ``PLANNING_TIMEOUT`` seconds for it at most
(else 503 ``QUERY_PLANNING_TIMEOUT``; the plan is kept when it completes).
``MAX_RESPONSE_BYTES`` counts the subgraph bytes of one request (and caps the answer itself):
past it the answer is ``RESPONSE_SIZE_LIMIT_EXCEEDED``; ``SUBGRAPH_MAX_RESPONSE_BYTES`` is
Apollo's ``http_max_response_size`` (the fetch fails with ``SUBREQUEST_HTTP_ERROR``);
``SUBGRAPH_MAX_CONCURRENCY`` caps the requests in flight to each subgraph, and
``SUBGRAPH_MAX_CONCURRENCY_PER_REQUEST`` those of one client request (its other fetches to
that subgraph queue), so one request cannot take a subgraph's every slot.

``TRUSTED_PROXIES`` lists the networks (CIDR) of the proxies in front of the router: their
``X-Forwarded-For`` is believed (up to the first untrusted hop), anyone else's is replaced by
the peer's address. Subgraphs always get the router's own ``X-Forwarded-For``, client first
(see `router.http.headers`); the auth service throttles logins by it.

| POLYSHOP_ROUTER_...     | default                        | meaning                             |
|-------------------------|--------------------------------|-------------------------------------|
| CONFIG                  | unset                          | router.yaml (see `router.config`)   |
| SUPERGRAPH              | schema/supergraph.graphql      | supergraph file path or http(s) URL |
| HOST, PORT              | 127.0.0.1, 4000                | where to listen                     |
| WORKERS                 | 1                              | worker processes sharing the port   |
| GRAPHQL_PATH            | /graphql                       | GraphQL endpoint (GraphiQL too)     |
| HEALTH_PATH             | /health                        | health check: {"status": "UP"}      |
| SUBGRAPH_URLS           | {}                             | subgraph name -> URL overrides      |
| SUBGRAPH_TIMEOUT        | 30                             | seconds per subgraph request        |
| DEDUPLICATE             | true                           | share identical in-flight fetches   |
| DEDUP_IGNORED_HEADERS   | x-request-id,traceparent,...   | not part of the dedup key           |
| INTROSPECTION           | true                           | answer __schema / __type            |
| GRAPHIQL                | true                           | serve GraphiQL to browsers          |
| DEV_MODE                | false                          | exception detail in 500 answers     |
| MAX_DEPTH               | 100                            | operation depth (MAX_DEPTH_LIMIT)   |
| MAX_HEIGHT              | 200                            | response paths (MAX_HEIGHT_LIMIT)   |
| MAX_ALIASES             | 30                             | aliases (MAX_ALIASES_LIMIT)         |
| MAX_ROOT_FIELDS         | 20                             | root fields (MAX_ROOT_FIELDS_LIMIT) |
| PARSER_MAX_TOKENS       | 15000                          | tokens (GRAPHQL_PARSE_FAILED)       |
| MAX_SELECTIONS          | 100000                         | work budget (MAX_SELECTIONS_LIMIT)  |
| PLANNING_TIMEOUT        | 5.0                            | s to wait for a new plan (else 503) |
| MAX_RESPONSE_BYTES      | 20971520 (20 MiB)              | subgraph bytes per request          |
| SUBGRAPH_MAX_RESPONSE_BYTES | 10485760 (10 MiB)          | one subgraph response body          |
| SUBGRAPH_MAX_CONCURRENCY | 64                            | requests in flight per subgraph     |
| SUBGRAPH_MAX_CONCURRENCY_PER_REQUEST | 8                 | per subgraph and client request     |
| MAX_REQUEST_BYTES       | 2000000                        | body (else 413), query string (414) |
| HTTP_MAX_HEADER_BYTES   | 32768                          | request line + headers (else 431)   |
| HTTP_HEADER_READ_TIMEOUT | 10                            | seconds to send headers (else 408)  |
| HTTP_BODY_READ_TIMEOUT  | 30                             | seconds to send the body (else 408) |
| PLAN_CACHE_SIZE         | 1024                           | operations whose plans are kept     |
| OVERRIDE_LABELS         | []                             | enabled progressive-override labels |
| PROPAGATE_HEADERS       | authorization,x-correlation-id | client headers sent to subgraphs    |
| PROPAGATE_HEADERS_EXTRA | []                             | more client headers sent on         |
| CORRELATION_HEADER      | x-correlation-id               | taken or made, echoed, sent on      |
| TRUSTED_PROXIES         | []                             | CIDRs whose X-Forwarded-For counts  |
| HEADERS                 | no rules                       | header rules (section ``headers``)  |
| APQ                     | enabled                        | automatic persisted queries         |
| PERSISTED_QUERIES       | off                            | trusted documents (manifest)        |
| RATE_LIMIT              | no buckets                     | token-bucket rate limits            |
| REDIS_URL               | unset (also POLYSHOP_REDIS_URL)| state shared by replicas            |
| CSRF_PREVENTION         | true                           | refuse simple requests (Apollo)     |
| CSRF_REQUIRED_HEADERS   | x-apollo-operation-name,       | headers proving a preflight         |
|                         | apollo-require-preflight       |                                     |
| BATCHING                | false                          | accept JSON arrays of operations    |
| MAX_BATCH_SIZE          | 32                             | operations per batch (else 422)     |
| SPEC_JSON_STATUS        | false                          | application/json: 200, not 400      |
| HOT_RELOAD              | true                           | watch the supergraph file or URL    |
| RELOAD_INTERVAL         | 1.0                            | seconds between checks              |
| DRAIN_TIMEOUT           | 30                             | seconds old engines/shutdown wait   |
| GC_THRESHOLD            | 50000                          | gen-0 GC threshold (0: Python's)    |
| GC_FREEZE               | true                           | keep start-up objects out of the GC |
| SHUTDOWN_DELAY          | 0                              | SIGTERM: seconds /ready says 503    |
|                         |                                | before the listener closes          |
| READY_PATH              | /ready                         | readiness: 503 starting/stopping    |
| METRICS                 | true                           | Prometheus metrics                  |
| METRICS_PATH            | /metrics                       | where they are served               |
| OTEL_EXPORTER_OTLP_ENDPOINT | unset (tracing off)        | OTLP/HTTP collector base URL        |
| OTEL_SERVICE_NAME       | polyshop-router                | ``service.name`` of the spans       |
| OTEL_SAMPLE_RATIO       | 1.0                            | share of new traces sampled         |
| LOG_LEVEL               | info                           | log level (router and uvicorn)      |
| LOG_JSON                | true                           | JSON lines (else console format)    |
| TLS_CERTFILE            | unset (plain HTTP)             | serve HTTPS with this PEM chain     |
| TLS_KEYFILE             | unset (key in the chain file)  | its private key                     |
| TLS_CLIENT_CA           | unset                          | require client certs from this CA   |
| SUBGRAPH_TLS_CA         | unset (system roots)           | CA trusted for subgraph HTTPS       |
| SUBGRAPH_TLS_CERTFILE   | unset                          | client cert shown to subgraphs      |
| SUBGRAPH_TLS_KEYFILE    | unset (key in the chain file)  | its private key                     |

Two structured sections have no row: ``TRAFFIC_SHAPING`` (per-subgraph timeout, pool size,
retries, circuit breaker; `router.config.traffic_shaping`) and ``DEMAND_CONTROL`` (operation
cost limits; `router.config.demand_control`), set in ``router.yaml`` or from the environment
as JSON or key by key (``POLYSHOP_ROUTER_TRAFFIC_SHAPING__ALL__TIMEOUT=5s``).

Every setting but ``CONFIG`` and the security ones can also be written in the optional
configuration file ``router.yaml`` (lower-case names, structured sections as in Apollo Router);
arguments and environment variables override the file. See `router.config` and
``docs/router.md``. With ``HOT_RELOAD`` the file is watched like the supergraph.

Security (JWT verification, authorization directives, the router's own client-credentials
token) is the nested ``security`` object, read from ``POLYSHOP_ROUTER_AUTH_*`` variables: see
`router.security.settings`. It is left out of ``model_dump`` (so the CLI never copies secrets
into worker environments: workers inherit the variables themselves).

TLS without a mesh (production relies on one): with ``TLS_CERTFILE`` the router serves HTTPS;
with ``TLS_CLIENT_CA`` as well, a client without a certificate signed by that CA is refused at
the TLS handshake (mTLS). ``SUBGRAPH_TLS_*`` configure the router's client: the CA that signs
the subgraphs' certificates (instead of the system's roots) and the certificate the router
presents to subgraphs that require one. TLS 1.2 is the floor on both sides.

Tracing is on when ``POLYSHOP_ROUTER_OTEL_EXPORTER_OTLP_ENDPOINT`` or the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (``/v1/traces`` is appended); the OTLP exporter's other
standard variables (``OTEL_EXPORTER_OTLP_HEADERS``, ``..._TIMEOUT``, ``..._COMPRESSION``,
certificates) and ``OTEL_RESOURCE_ATTRIBUTES`` are read by the OpenTelemetry SDK itself, and
``OTEL_SERVICE_NAME`` names the service when the ``POLYSHOP_ROUTER_`` one is unset. On SIGTERM
``/ready`` answers 503 at once, the listener closes ``SHUTDOWN_DELAY`` seconds later (let load
balancers see it), and requests in flight get up to ``DRAIN_TIMEOUT`` seconds to finish.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, ClassVar, Self

import orjson
from pydantic import AliasChoices, Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from polyshop.runtime.tls import ServerTLSSettings
from router.config.compression import CompressionConfig
from router.config.cors import CorsConfig
from router.config.demand_control import DemandControlConfig
from router.config.file import CONFIG_KEY, ConfigFileSource
from router.config.headers import HeadersConfig, reserved_reason
from router.config.persisted import ApqConfig, PersistedQueriesConfig
from router.config.rate_limit import RateLimitConfig
from router.config.subscription import SubscriptionConfig
from router.config.traffic_shaping import TrafficShapingConfig
from router.config.uploads import FileUploadsConfig
from router.plugins.config import PluginEntry
from router.plugins.coprocessor.config import CoprocessorConfig
from router.security.settings import SecuritySettings

DEFAULT_PROPAGATED_HEADERS = ("authorization", "x-correlation-id")
DEFAULT_DEDUP_IGNORED = ("x-request-id", "traceparent", "tracestate", "baggage")
"""Per-request headers that never change a subgraph's answer (with the correlation header):
left out of the deduplication key; see docs/decisions/0024-dedup-key-and-default.md."""
DEFAULT_CSRF_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")

HeaderList = Annotated[tuple[str, ...], NoDecode]


def _split_list(value: Any) -> Any:
    """Accept JSON arrays and comma-separated strings from the environment."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return tuple(orjson.loads(text))
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return value


class RouterSettings(ServerTLSSettings):
    """Everything an operator can set on the router; see the module docstring for the table."""

    model_config = SettingsConfigDict(
        env_prefix="POLYSHOP_ROUTER_",
        env_nested_delimiter="__",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )

    RESTART_ONLY: ClassVar[frozenset[str]] = frozenset(
        {
            "host",
            "port",
            "workers",
            "tls_certfile",
            "tls_keyfile",
            "tls_client_ca",
            "log_level",
            "log_json",
            "metrics",
            "otel_exporter_otlp_endpoint",
            "otel_service_name",
            "otel_sample_ratio",
            "gc_threshold",
            "gc_freeze",
            "supergraph",
            "hot_reload",
            "reload_interval",
            "graphiql",
            "shutdown_delay",
            "drain_timeout",
            "redis_url",
        }
    )
    """Settings a running router cannot change; a reloaded file that changes them is logged
    and the change waits for a restart."""

    NOT_IN_FILE: ClassVar[frozenset[str]] = frozenset({CONFIG_KEY, "security"})
    """Settings the configuration file cannot hold: the file's own name, and the secrets of
    ``security`` (``POLYSHOP_ROUTER_AUTH_*`` variables only)."""

    config: str | None = None
    """``router.yaml``: the configuration file (see `router.config`); none by default."""
    _given: dict[str, Any] = PrivateAttr(default_factory=dict)

    supergraph: str = "schema/supergraph.graphql"
    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1)
    graphql_path: str = "/graphql"
    health_path: str = "/health"

    subgraph_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    subgraph_timeout: float = Field(default=30.0, gt=0)
    """Seconds per subgraph request: the default of ``traffic_shaping``'s ``timeout``."""
    traffic_shaping: TrafficShapingConfig = Field(default_factory=TrafficShapingConfig)
    """Per-subgraph timeout, retries, breaker, pool size (`router.config.traffic_shaping`)."""
    demand_control: DemandControlConfig = Field(default_factory=DemandControlConfig)
    """Operation cost limits from ``@cost``/``@listSize`` (`router.config.demand_control`)."""
    deduplicate: bool = True
    """Share identical in-flight subgraph queries (same subgraph, body and headers, minus
    ``dedup_ignored_headers`` and the correlation header)."""
    dedup_ignored_headers: HeaderList = DEFAULT_DEDUP_IGNORED
    """Headers left out of the deduplication key, besides the correlation header."""
    introspection: bool = True
    graphiql: bool = True
    dev_mode: bool = False

    max_depth: int | None = Field(default=100, ge=1)
    max_height: int | None = Field(default=200, ge=1)
    max_aliases: int | None = Field(default=30, ge=0)
    max_root_fields: int | None = Field(default=20, ge=1)
    parser_max_tokens: int | None = Field(default=15_000, ge=1)
    max_selections: int | None = Field(default=100_000, ge=1)
    planning_timeout: float = Field(default=5.0, gt=0)
    max_response_bytes: int | None = Field(default=20 * 1024 * 1024, ge=1)
    subgraph_max_response_bytes: int | None = Field(default=10 * 1024 * 1024, ge=1)
    subgraph_max_concurrency: int | None = Field(default=64, ge=1)
    subgraph_max_concurrency_per_request: int | None = Field(default=8, ge=1)
    batch_entity_fetches: bool = Field(
        default=True,
        description="entity fetches to one subgraph due at the same stage of a plan go out as "
        "one request (`BatchFetch`); false: one request per path",
    )
    max_request_bytes: int = Field(default=2_000_000, ge=1)
    http_max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    http_header_read_timeout: float = Field(default=10.0, gt=0)
    http_body_read_timeout: float = Field(default=30.0, gt=0)
    plan_cache_size: int = Field(default=1024, ge=0)
    override_labels: HeaderList = ()

    propagate_headers: HeaderList = DEFAULT_PROPAGATED_HEADERS
    propagate_headers_extra: HeaderList = ()
    correlation_header: str = "x-correlation-id"
    trusted_proxies: HeaderList = ()

    headers: HeadersConfig = Field(default_factory=HeadersConfig)
    """Header rules (Apollo Router's ``headers`` section); ``propagate_headers`` and
    ``propagate_headers_extra`` are a shorthand for ``propagate: {named: ...}`` rules."""
    apq: ApqConfig = Field(default_factory=ApqConfig)
    """Automatic persisted queries (Apollo Router's ``apq``)."""
    persisted_queries: PersistedQueriesConfig = Field(default_factory=PersistedQueriesConfig)
    """Trusted documents (Apollo Router's ``persisted_queries``)."""
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    """Token-bucket rate limits: router-wide, per client, per subgraph."""
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("POLYSHOP_ROUTER_REDIS_URL", "POLYSHOP_REDIS_URL"),
    )
    """Redis for state shared by replicas (APQ, trusted documents, rate limits); none: each
    process keeps its own. ``POLYSHOP_REDIS_URL`` is read too."""

    csrf_prevention: bool = True
    csrf_required_headers: HeaderList = DEFAULT_CSRF_HEADERS
    batching: bool = False
    max_batch_size: int = Field(default=32, ge=1)
    spec_json_status: bool = False

    hot_reload: bool = True
    reload_interval: float = Field(default=1.0, gt=0)
    drain_timeout: float = Field(default=30.0, ge=0)
    gc_threshold: int = Field(default=50_000, ge=0)
    gc_freeze: bool = True
    shutdown_delay: float = Field(default=0.0, ge=0)
    ready_path: str = "/ready"
    metrics: bool = True
    metrics_path: str = "/metrics"
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "POLYSHOP_ROUTER_OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
    )
    otel_service_name: str = Field(
        default="polyshop-router",
        validation_alias=AliasChoices("POLYSHOP_ROUTER_OTEL_SERVICE_NAME", "OTEL_SERVICE_NAME"),
    )
    otel_sample_ratio: float = Field(default=1.0, ge=0, le=1)
    log_level: str = "info"
    log_json: bool = True

    # tls_certfile, tls_keyfile, tls_client_ca: `polyshop.runtime.tls.ServerTLSSettings`
    subgraph_tls_ca: str | None = None
    """CA bundle trusted for subgraph HTTPS, instead of the system's roots."""
    subgraph_tls_certfile: str | None = None
    """Client certificate chain presented to subgraphs."""
    subgraph_tls_keyfile: str | None = None
    """Its private key, unless the chain file holds it."""

    subscription: SubscriptionConfig = Field(default_factory=SubscriptionConfig)
    """GraphQL subscriptions (WebSocket, multipart HTTP, SSE); see docs/router.md."""
    cors: CorsConfig = Field(default_factory=CorsConfig)
    """Which browser origins may call the router (Apollo Router's ``cors``)."""
    compression: CompressionConfig = Field(default_factory=CompressionConfig)
    """Compressed responses (``Accept-Encoding``) and request bodies (``Content-Encoding``)."""
    file_uploads: FileUploadsConfig = Field(default_factory=FileUploadsConfig)
    """GraphQL multipart requests: ``Upload`` variables streamed to the owning subgraph."""
    plugins: tuple[PluginEntry, ...] = ()
    """Plugins run by the router, in this order (see ``docs/plugins.md``)."""
    coprocessor: CoprocessorConfig | None = None
    """An external coprocessor, configured as in Apollo Router (see ``docs/plugins.md``)."""

    security: SecuritySettings = Field(default_factory=SecuritySettings, exclude=True)
    """``POLYSHOP_ROUTER_AUTH_*``; excluded from dumps (it holds the client secret)."""

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self._given = dict(values)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then ``router.yaml``, then the defaults."""
        file_keys = frozenset(cls.model_fields) - cls.NOT_IN_FILE
        return (init_settings, env_settings, ConfigFileSource(settings_cls, file_keys))

    def __eq__(self, other: object) -> bool:
        """Equal settings have equal values, however they were given."""
        if not isinstance(other, RouterSettings):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = BaseSettings.__hash__

    def given_values(self) -> dict[str, Any]:
        """The values given as arguments (command line, code), above environment and file."""
        return dict(self._given)

    def reloaded(self) -> RouterSettings:
        """These settings read again (environment and configuration file), keeping the values
        that were given as arguments; raises when the file is unreadable or invalid."""
        return type(self)(**self._given)

    def changed_from(self, other: RouterSettings) -> list[str]:
        """Names of the settings whose values differ between ``other`` and these."""
        return sorted(
            name
            for name in type(self).model_fields
            if name != "security" and getattr(self, name) != getattr(other, name)
        )

    @field_validator(
        "override_labels",
        "propagate_headers",
        "propagate_headers_extra",
        "csrf_required_headers",
        "trusted_proxies",
        mode="before",
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator(
        "propagate_headers",
        "propagate_headers_extra",
        "csrf_required_headers",
        "dedup_ignored_headers",
    )
    @classmethod
    def _lowercase(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Header names compare case-insensitively; ASGI gives them lower-cased."""
        return tuple(name.lower() for name in value)

    @field_validator("propagate_headers", "propagate_headers_extra")
    @classmethod
    def _not_reserved(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """A client may never set hop-by-hop or identity headers on subgraph requests."""
        for name in value:
            reason = reserved_reason(name)
            if reason is not None:
                raise ValueError(f"{reason}: it cannot be propagated")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Refuse a malformed network at start-up, not at the first request."""
        for cidr in value:
            ipaddress.ip_network(cidr.strip(), strict=False)
        return value

    @field_validator("correlation_header")
    @classmethod
    def _lower_one(cls, value: str) -> str:
        return value.lower()

    @field_validator(
        "max_depth",
        "max_height",
        "max_aliases",
        "max_root_fields",
        "parser_max_tokens",
        "max_selections",
        "max_response_bytes",
        "subgraph_max_response_bytes",
        "subgraph_max_concurrency",
        "subgraph_max_concurrency_per_request",
        mode="before",
    )
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        """``POLYSHOP_ROUTER_MAX_DEPTH=`` (empty) turns a limit off."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("subgraph_urls", mode="before")
    @classmethod
    def _url_map(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                return orjson.loads(text)
            pairs = (part.split("=", 1) for part in text.split(",") if part.strip())
            return {name.strip(): url.strip() for name, url in pairs}
        return value

    @field_validator("graphql_path", "health_path", "ready_path", "metrics_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("paths must start with '/'")
        return value.rstrip("/") or "/"

    @model_validator(mode="after")
    def _tls_pairs(self) -> Self:
        """A client key without its certificate is a mistake, not a call without one."""
        if self.subgraph_tls_certfile is None and self.subgraph_tls_keyfile:
            raise ValueError("SUBGRAPH_TLS_KEYFILE needs POLYSHOP_ROUTER_SUBGRAPH_TLS_CERTFILE")
        return self

    @property
    def propagated_headers(self) -> frozenset[str]:
        """Lower-cased names of the client headers the shorthand sends on to subgraphs (the
        ``headers`` rules may add more)."""
        return frozenset(self.propagate_headers) | frozenset(self.propagate_headers_extra)
