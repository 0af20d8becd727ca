"""Settings of the router process: one object, read from ``POLYSHOP_ROUTER_*`` variables.

List settings take JSON (``["a", "b"]``) or a comma-separated string (``a,b``); the subgraph
URL map takes JSON (``{"products": "http://..."}``) or ``name=url`` pairs separated by commas.
Header names compare case-insensitively. ``SPEC_JSON_STATUS`` makes ``application/json``
answers to well-formed requests 200 as the GraphQL-over-HTTP spec asks, instead of Apollo
Router's 400 for parse and validation errors.

Limits are on by default with Apollo Router's recommended production values, in the
``limits`` section (`router.config.limits`: ``max_depth``, ``max_height``, ``max_aliases``,
``max_root_fields``, ``parser_max_tokens``, ``parser_max_recursion``,
``http_max_request_bytes``, ``http1_max_request_buf_size``, and our ``max_selections``,
``max_response_bytes``, ``subgraph_max_response_bytes``). A new plan is made on a worker
thread, and a client waits ``PLANNING_TIMEOUT`` seconds for it at most (else 503
``QUERY_PLANNING_TIMEOUT``; the plan is kept when it completes). ``traffic_shaping``'s
``max_connections`` caps the requests in flight to each subgraph, and
``SUBGRAPH_MAX_CONCURRENCY_PER_REQUEST`` those of one client request (its other fetches to
that subgraph queue), so one request cannot take a subgraph's every slot.

Settings that moved into a section keep their old flat names as deprecated aliases
(``POLYSHOP_ROUTER_MAX_DEPTH`` → ``limits.max_depth``, ``SUBGRAPH_MAX_CONCURRENCY`` →
``traffic_shaping.all.max_connections``, ``PLAN_CACHE_SIZE`` →
``query_planning.cache.in_memory.limit``, ``METRICS``/``OTEL_*``/``LOG_*`` → ``telemetry``):
see `router.config.moved` for the list; each use logs ``config.deprecated_setting``.

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
| METRICS_MULTIPROCESS_DIR | unset (also PROMETHEUS_MULTIPROC_DIR) | workers' metric files (set by |
|                         |                                | the launcher with WORKERS > 1)      |
| GRAPHQL_PATH            | /graphql                       | GraphQL endpoint (GraphiQL too)     |
| HEALTH_PATH             | /health                        | health check: {"status": "UP"}      |
| SUBGRAPH_URLS           | {}                             | subgraph name -> URL overrides      |
| SUBGRAPH_TIMEOUT        | 30                             | seconds per subgraph request        |
| DEDUPLICATE             | true                           | share identical in-flight fetches   |
| DEDUP_IGNORED_HEADERS   | x-request-id,traceparent,...   | not part of the dedup key           |
| INTROSPECTION           | true                           | answer __schema / __type            |
| GRAPHIQL                | true                           | serve GraphiQL to browsers          |
| DEV_MODE                | false                          | exception detail in 500 answers     |
| LIMITS                  | Apollo's recommended values    | operation, parser, HTTP limits      |
| PLANNING_TIMEOUT        | 5.0                            | s to wait for a new plan (else 503) |
| SUBGRAPH_MAX_CONCURRENCY_PER_REQUEST | 8                 | per subgraph and client request     |
| HTTP_HEADER_READ_TIMEOUT | 10                            | seconds to send headers (else 408)  |
| HTTP_BODY_READ_TIMEOUT  | 30                             | seconds to send the body (else 408) |
| OVERRIDE_LABELS         | []                             | enabled progressive-override labels |
| PROPAGATE_HEADERS       | authorization,x-correlation-id | client headers sent to subgraphs    |
| PROPAGATE_HEADERS_EXTRA | []                             | more client headers sent on         |
| CORRELATION_HEADER      | x-correlation-id               | taken or made, echoed, sent on      |
| TRUSTED_PROXIES         | []                             | CIDRs whose X-Forwarded-For counts  |
| HEADERS                 | no rules                       | header rules (section ``headers``)  |
| APQ                     | enabled                        | automatic persisted queries         |
| PERSISTED_QUERIES       | off                            | trusted documents (manifest)        |
| RATE_LIMIT              | no buckets                     | token-bucket rate limits            |
| ENTITY_CACHE            | off                            | subgraph answers cached (Apollo's   |
|                         |                                | entity cache; docs/router.md)       |
| REDIS_URL               | unset (also POLYSHOP_REDIS_URL)| state shared by replicas            |
| QUERY_PLANNING          | 1024 in memory, no Redis       | plan cache (section)                |
| AUTHENTICATION          | over the AUTH_* variables      | JWT reading (section)               |
| TELEMETRY               | metrics on, no tracing         | metrics, tracing, logs (section)    |
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
`router.security.settings`; the file's ``authentication`` section sets the token-reading
ones below those variables (`security_settings`). It is left out of ``model_dump`` (so the
CLI never copies secrets into worker environments: workers inherit the variables themselves).

TLS without a mesh (production relies on one): with ``TLS_CERTFILE`` the router serves HTTPS;
with ``TLS_CLIENT_CA`` as well, a client without a certificate signed by that CA is refused at
the TLS handshake (mTLS). ``SUBGRAPH_TLS_*`` configure the router's client: the CA that signs
the subgraphs' certificates (instead of the system's roots) and the certificate the router
presents to subgraphs that require one. TLS 1.2 is the floor on both sides.

Tracing is on when ``telemetry.exporters.tracing.otlp.endpoint`` or the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (see `router.config.telemetry`). On SIGTERM
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
from router.config.authentication import AuthenticationConfig
from router.config.compression import CompressionConfig
from router.config.cors import CorsConfig
from router.config.demand_control import DemandControlConfig
from router.config.entity_cache import EntityCacheConfig
from router.config.file import CONFIG_KEY, ConfigFileSource
from router.config.headers import HeadersConfig, reserved_reason
from router.config.limits import LimitsConfig
from router.config.moved import MOVED_BY_OLD, MovedEnvSource, MovedInitSource, nest_moved
from router.config.persisted import ApqConfig, PersistedQueriesConfig
from router.config.query_planning import QueryPlanningConfig
from router.config.rate_limit import RateLimitConfig
from router.config.subscription import SubscriptionConfig
from router.config.telemetry import TelemetryConfig
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
            "telemetry",
            "authentication",
            "limits.http1_max_request_buf_size",
            "gc_threshold",
            "gc_freeze",
            "supergraph",
            "hot_reload",
            "reload_interval",
            "graphiql",
            "shutdown_delay",
            "drain_timeout",
            "redis_url",
            "metrics_multiprocess_dir",
        }
    )
    """Settings a running router cannot change (a section's key as ``section.key``); a
    reloaded file that changes them is logged and the change waits for a restart."""

    BY_KEY: ClassVar[frozenset[str]] = frozenset({"limits"})
    """Sections whose changes `changed_from` names key by key (``limits.max_depth``)."""

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
    metrics_multiprocess_dir: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "POLYSHOP_ROUTER_METRICS_MULTIPROCESS_DIR", "PROMETHEUS_MULTIPROC_DIR"
        ),
    )
    """Where worker processes keep their metrics so that ``/metrics`` sums them (Prometheus
    multiprocess mode); `router.cli.run` makes a temporary one for ``workers > 1``."""
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

    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    """Operation, parser and HTTP limits (Apollo Router's ``limits``; `router.config.limits`)."""
    authentication: AuthenticationConfig = Field(default_factory=AuthenticationConfig)
    """How client tokens are read (Apollo Router's ``authentication.router.jwt``), over the
    ``POLYSHOP_ROUTER_AUTH_*`` variables (`router.config.authentication`)."""
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    """Metrics, tracing and logging (Apollo Router's ``telemetry``; `router.config.telemetry`)."""
    planning_timeout: float = Field(default=5.0, gt=0)
    subgraph_max_concurrency_per_request: int | None = Field(default=8, ge=1)
    batch_entity_fetches: bool = Field(
        default=True,
        description="entity fetches to one subgraph due at the same stage of a plan go out as "
        "one request (`BatchFetch`); false: one request per path",
    )
    http_header_read_timeout: float = Field(default=10.0, gt=0)
    http_body_read_timeout: float = Field(default=30.0, gt=0)
    query_planning: QueryPlanningConfig = Field(default_factory=QueryPlanningConfig)
    """The plan cache, in memory and shared through Redis (`router.config.query_planning`)."""
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
    entity_cache: EntityCacheConfig = Field(default_factory=EntityCacheConfig)
    """Subgraph answers cached by entity and root field (`router.config.entity_cache`)."""
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
        self._given = nest_moved(values, "argument", warn=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment (the new layout above the moved flat names, see
        `router.config.moved`), then ``router.yaml``, then the defaults."""
        file_keys = (frozenset(cls.model_fields) - cls.NOT_IN_FILE) | frozenset(MOVED_BY_OLD)
        return (
            MovedInitSource(settings_cls, init_settings),
            env_settings,
            MovedEnvSource(settings_cls),
            ConfigFileSource(settings_cls, file_keys),
        )

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
        """Names of the settings whose values differ between ``other`` and these (in the
        ``BY_KEY`` sections, ``section.key``)."""
        changed: list[str] = []
        for name in type(self).model_fields:
            mine, theirs = getattr(self, name), getattr(other, name)
            if name == "security" or mine == theirs:
                continue
            if name in self.BY_KEY:
                changed.extend(
                    f"{name}.{key}"
                    for key in type(mine).model_fields
                    if getattr(mine, key) != getattr(theirs, key)
                )
            else:
                changed.append(name)
        return sorted(changed)

    @property
    def security_settings(self) -> SecuritySettings:
        """``security`` (the ``POLYSHOP_ROUTER_AUTH_*`` variables) with the file's
        ``authentication`` section under it: what the security layer is built from."""
        return self.security.with_file_values(self.authentication.security_values())

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

    @field_validator("subgraph_max_concurrency_per_request", mode="before")
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        """``POLYSHOP_ROUTER_SUBGRAPH_MAX_CONCURRENCY_PER_REQUEST=`` (empty) turns it off."""
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

    @field_validator("graphql_path", "health_path", "ready_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("paths must start with '/'")
        return value.rstrip("/") or "/"

    @model_validator(mode="after")
    def _shared_plans_need_redis(self) -> Self:
        if self.query_planning.cache.redis.enabled and self.redis_url is None:
            raise ValueError(
                "query_planning.cache.redis.enabled needs redis_url "
                "(POLYSHOP_ROUTER_REDIS_URL or POLYSHOP_REDIS_URL)"
            )
        return self

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
