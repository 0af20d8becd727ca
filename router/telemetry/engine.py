"""An `Engine` that reports plan-cache hits and misses, operation types and spans.

It hooks the engine's planning step (``_plan_for``) and its executor; a call that made no
plan (`router.engine.PlanStats`) is a hit, one that took a plan from the shared cache is
``shared``, one that planned is a miss. A public hook in `router.engine` would
be sturdier than overriding a private method; until then this is the one place that knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import Tracer
from prometheus_client import Histogram

from router.demand_control import CostObserver
from router.engine import Engine, EngineConfig, _CachedPlan, _Prepared
from router.execution.entity_cache import EntityCache
from router.execution.executor import (
    ExecutionState,
    Executor,
    OperationLabel,
    SubgraphLimiter,
)
from router.execution.fetcher import SubgraphFetcher
from router.execution.traffic import BreakerState
from router.operation.normalize import NormalizedOperation
from router.persisted.documents import OperationDocuments
from router.planning.nodes import QueryPlan
from router.plugins.pipeline import PluginRun
from router.policy.rate_limit import RateLimiter
from router.security.authorization import AuthorizationResult, Authorizer
from router.shared.plans import SharedPlans
from router.supergraph.model import Supergraph

from .fetch import TelemetryFetchObserver
from .metrics import RouterMetrics
from .request import current_request

BREAKER_GAUGE = {BreakerState.CLOSED: 0.0, BreakerState.OPEN: 1.0, BreakerState.HALF_OPEN: 0.5}


class MetricsCostObserver(CostObserver):
    """Demand control's costs as histograms (estimated by result, actual, delta)."""

    def __init__(self, metrics: RouterMetrics) -> None:
        self.metrics = metrics
        self._estimated: dict[str, Histogram] = {}

    def estimated(self, cost: float, result: str) -> None:
        child = self._estimated.get(result)
        if child is None:
            child = self._estimated[result] = self.metrics.cost_estimated.labels(result)
        child.observe(cost)

    def actual(self, estimated: float, actual: float) -> None:
        self.metrics.cost_actual.observe(actual)
        self.metrics.cost_delta.observe(estimated - actual)


class TracedExecutor(Executor):
    """The plan's execution as one ``execution`` span (fetch spans are its children)."""

    def __init__(
        self,
        fetcher: SubgraphFetcher,
        tracer: Tracer,
        max_response_bytes: int | None = None,
        max_concurrency_per_subgraph: int | None = None,
        *,
        limiter: SubgraphLimiter | None = None,
        entity_cache: EntityCache | None = None,
    ) -> None:
        super().__init__(
            fetcher,
            max_response_bytes,
            max_concurrency_per_subgraph,
            limiter=limiter,
            entity_cache=entity_cache,
        )
        self.tracer = tracer

    async def execute(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
        operation: OperationLabel | None = None,
        *,
        plugins: PluginRun | None = None,
        by_subgraph: Mapping[str, Mapping[str, str]] | None = None,
        claims: Mapping[str, Any] | None = None,
        client_headers: Mapping[str, str] | None = None,
    ) -> ExecutionState:
        with self.tracer.start_as_current_span("execution"):
            return await super().execute(
                plan,
                variables,
                headers,
                operation,
                plugins=plugins,
                by_subgraph=by_subgraph,
                claims=claims,
                client_headers=client_headers,
            )


class ObservedEngine(Engine):
    """`Engine` plus metrics and spans (see the module docstring)."""

    def __init__(
        self,
        supergraph: Supergraph,
        config: EngineConfig | None = None,
        *,
        authorizer: Authorizer | None = None,
        metrics: RouterMetrics | None = None,
        tracer: Tracer | None = None,
        documents: OperationDocuments | None = None,
        rate_limiter: RateLimiter | None = None,
        entity_cache: EntityCache | None = None,
        plans: SharedPlans | None = None,
    ) -> None:
        super().__init__(
            supergraph,
            config,
            authorizer=authorizer,
            documents=documents,
            rate_limiter=rate_limiter,
            entity_cache=entity_cache,
            plans=plans,
        )
        self.metrics = metrics
        self.tracer = tracer
        if tracer is not None:
            self.executor = TracedExecutor(
                self.fetcher,
                tracer,
                self.config.max_response_bytes,
                self.config.subgraph_max_concurrency_per_request,
                limiter=self.executor.limiter,
                entity_cache=self.executor.cache,
            )
        self.fetcher.observer = TelemetryFetchObserver(metrics, tracer)
        if metrics is not None and self.demand is not None:
            self.demand.observer = MetricsCostObserver(metrics)
        if metrics is not None:
            for name, traffic in self.fetcher.traffic.items():
                if traffic.breaker is not None:
                    gauge = metrics.circuit_state.labels(name)
                    gauge.set(0)
                    traffic.breaker.on_change = lambda state, g=gauge: g.set(BREAKER_GAUGE[state])

    def _plan_for(
        self,
        prepared: _Prepared,
        coerced: Mapping[str, Any],
        labels: frozenset[str],
        authorization: AuthorizationResult | None = None,
        original: NormalizedOperation | None = None,
        shared: bytes | None = None,
        sink: list[bytes] | None = None,
    ) -> _CachedPlan:
        observation = current_request.get()
        operation = original or prepared.operation
        if observation is not None and operation is not None:
            observation.operation_type = operation.kind
            observation.operation_name = observation.operation_name or operation.name
        stats = self.plan_stats
        built, from_shared = stats.built, stats.shared
        args = (prepared, coerced, labels, authorization, original, shared, sink)
        if self.tracer is None:
            cached = super()._plan_for(*args)
        else:
            with self.tracer.start_as_current_span("query_planning") as span:
                cached = super()._plan_for(*args)
                span.set_attribute("cache.hit", stats.built == built)
        if self.metrics is not None:
            if stats.built != built:
                self.metrics.plan_misses.inc()
            elif stats.shared != from_shared:
                self.metrics.plan_shared.inc()
            else:
                self.metrics.plan_hits.inc()
        return cached
