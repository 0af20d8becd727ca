"""The router's Prometheus metrics, in a registry of its own (one per `RouterApp`).

Label values are bounded: status codes, operation types, error codes, subgraph names. The
operation name is deliberately not a label (clients choose it: unbounded cardinality).

With several worker processes (``--workers N``) each worker counts in files of
``multiprocess_dir`` (prometheus_client's multiprocess mode; the launcher makes the directory
and sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start, see `router.cli.run`), and
``/metrics`` on any worker renders the sum over every worker: counters and histograms add up,
``polyshop_router_requests_in_flight`` and ``polyshop_router_workers`` are summed over live
workers, state gauges show the most recent value. See docs/decisions/0029.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
COST_BUCKETS = (0, 1, 5, 10, 50, 100, 500, 1000, 5000, 10000, 100000, 1000000)
"""Cost is not latency: its own scale (as Apollo suggests for ``cost.*`` instruments)."""
CONTENT_TYPE = CONTENT_TYPE_LATEST


class RouterMetrics:
    """Counters and histograms the HTTP layer, the engine hooks and the fetcher update."""

    def __init__(
        self, registry: CollectorRegistry | None = None, *, multiprocess_dir: str | None = None
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self.multiprocess_dir = multiprocess_dir
        r = self.registry
        self.requests = Counter(
            "polyshop_router_requests",
            "GraphQL HTTP requests answered, by status and operation type",
            ["status", "operation_type"],
            registry=r,
        )
        self.request_duration = Histogram(
            "polyshop_router_request_duration_seconds",
            "Time from request to complete answer",
            ["operation_type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "polyshop_router_requests_in_flight",
            "GraphQL requests being served",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.workers = Gauge(
            "polyshop_router_workers",
            "Worker processes serving (summed over the live workers)",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.workers.set(1)
        self.errors = Counter(
            "polyshop_router_errors",
            "GraphQL errors in answers, by extensions.code",
            ["code"],
            registry=r,
        )
        self.fetch_duration = Histogram(
            "polyshop_router_subgraph_request_duration_seconds",
            "Subgraph HTTP requests, by subgraph",
            ["subgraph"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.fetch_errors = Counter(
            "polyshop_router_subgraph_errors",
            "Subgraph requests without a usable answer, by subgraph and reason",
            ["subgraph", "reason"],
            registry=r,
        )
        self.plan_cache = Counter(
            "polyshop_router_plan_cache",
            "Query plan cache lookups, by result: hit (this engine's cache), shared (a plan "
            "another replica made, from Redis) or miss (planned here)",
            ["result"],
            registry=r,
        )
        self.deduplicated = Counter(
            "polyshop_router_deduplicated_fetches",
            "Subgraph requests answered by an identical in-flight request",
            ["subgraph"],
            registry=r,
        )
        self.shared_state_up_gauge = Gauge(
            "polyshop_router_shared_state_up",
            "1 while the shared-state Redis answers, 0 while the router serves with local state",
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.shared_state_fallbacks = Counter(
            "polyshop_router_shared_state_fallbacks",
            "Shared-state operations answered from local state because Redis did not answer",
            ["operation"],
            registry=r,
        )
        self.rate_limited = Counter(
            "polyshop_router_rate_limited",
            "Requests and subgraph fetches refused by a rate limit, by bucket kind",
            ["scope"],
            registry=r,
        )
        self.plugin_failures = Counter(
            "polyshop_router_plugin_failures",
            "Plugin hooks that raised or timed out, by plugin, stage and reason",
            ["plugin", "stage", "reason"],
            registry=r,
        )
        self.retries = Counter(
            "polyshop_router_subgraph_retries",
            "Failed subgraph queries sent again (retried) or not (refused: budget spent)",
            ["subgraph", "result"],
            registry=r,
        )
        self.short_circuited = Counter(
            "polyshop_router_subgraph_short_circuited",
            "Subgraph requests refused unsent because the subgraph's circuit breaker is open",
            ["subgraph"],
            registry=r,
        )
        self.circuit_state = Gauge(
            "polyshop_router_subgraph_circuit_open",
            "Circuit breaker state by subgraph: 0 closed, 1 open, 0.5 half-open (one probe)",
            ["subgraph"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.cost_estimated = Histogram(
            "polyshop_router_cost_estimated",
            "Estimated cost of operations (demand control), by result",
            ["result"],
            buckets=COST_BUCKETS,
            registry=r,
        )
        self.cost_actual = Histogram(
            "polyshop_router_cost_actual",
            "Actual cost of executed operations, computed from their responses",
            buckets=COST_BUCKETS,
            registry=r,
        )
        self.cost_delta = Histogram(
            "polyshop_router_cost_delta",
            "Estimated minus actual cost of executed operations",
            buckets=(-1000, -100, -10, 0, 10, 100, 1000, 10000),
            registry=r,
        )
        self.entity_cache = Counter(
            "polyshop_router_entity_cache",
            "Entity cache lookups (entities and root fields), by subgraph and result",
            ["subgraph", "result"],
            registry=r,
        )
        self.plan_hits = self.plan_cache.labels("hit")
        self.plan_misses = self.plan_cache.labels("miss")
        self.plan_shared = self.plan_cache.labels("shared")
        self._fetch_children: dict[str, Histogram] = {}
        self._request_children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}

    # ``labels()`` costs a lock and a few microseconds per call: children are cached (the
    # label values are bounded, see the module docstring).

    def fetch_histogram(self, subgraph: str) -> Histogram:
        child = self._fetch_children.get(subgraph)
        if child is None:
            child = self._fetch_children[subgraph] = self.fetch_duration.labels(subgraph)
        return child

    def request_done(self, status: int, operation_type: str, seconds: float) -> None:
        key = (str(status), operation_type)
        children = self._request_children.get(key)
        if children is None:
            children = self._request_children[key] = (
                self.requests.labels(*key),
                self.request_duration.labels(operation_type),
            )
        children[0].inc()
        children[1].observe(seconds)

    def shared_state_up(self, up: bool) -> None:
        self.shared_state_up_gauge.set(1 if up else 0)

    def shared_state_fallback(self, operation: str) -> None:
        self.shared_state_fallbacks.labels(operation).inc()

    def entity_cache_lookups(self, subgraph: str, hits: int, misses: int) -> None:
        if hits:
            self.entity_cache.labels(subgraph, "hit").inc(hits)
        if misses:
            self.entity_cache.labels(subgraph, "miss").inc(misses)

    def limited(self, scope: str) -> None:
        self.rate_limited.labels(scope).inc()

    def render(self) -> bytes:
        """The text exposition format (every worker's sum in multiprocess mode)."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
