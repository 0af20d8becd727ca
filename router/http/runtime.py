"""Engines and telemetry built from `RouterSettings`: the bridge between settings and
`router.engine` / `router.telemetry`."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from router.engine import Engine, EngineConfig
from router.execution.cache_events import CacheEvents
from router.execution.entity_cache import EntityCache
from router.hot_reload import EngineBuilder, ServingEngine
from router.persisted.apq import ApqStore
from router.persisted.documents import OperationDocuments
from router.persisted.manifest import TrustedDocuments
from router.policy.headers import HeaderPolicy
from router.policy.rate_limit import LocalBuckets, RateLimiter
from router.security import SecurityLayer
from router.settings import RouterSettings
from router.shared import SharedState
from router.shared.plans import SharedPlans
from router.supergraph import Supergraph
from router.telemetry import RouterMetrics, RouterTelemetry, Tracing


def engine_config(settings: RouterSettings) -> EngineConfig:
    limits = settings.limits
    return EngineConfig(
        subgraph_urls=dict(settings.subgraph_urls),
        subgraph_timeout=settings.subgraph_timeout,
        traffic_shaping=settings.traffic_shaping,
        demand_control=settings.demand_control,
        deduplicate_requests=settings.deduplicate,
        dedup_ignored_headers=frozenset(
            (settings.correlation_header, *settings.dedup_ignored_headers)
        ),
        persisted_queries=settings.apq.enabled,
        introspection=settings.introspection,
        max_depth=limits.max_depth,
        max_height=limits.max_height,
        max_aliases=limits.max_aliases,
        max_root_fields=limits.max_root_fields,
        parser_max_tokens=limits.parser_max_tokens,
        parser_max_recursion=limits.parser_max_recursion,
        max_selections=limits.max_selections,
        planning_timeout=settings.planning_timeout,
        max_response_bytes=limits.max_response_bytes,
        subgraph_max_response_bytes=limits.subgraph_max_response_bytes,
        subgraph_max_concurrency_per_request=settings.subgraph_max_concurrency_per_request,
        batch_entity_fetches=settings.batch_entity_fetches,
        plan_cache_size=settings.query_planning.cache.in_memory.limit,
        override_labels=frozenset(settings.override_labels),
        subgraph_tls_ca=settings.subgraph_tls_ca,
        subgraph_tls_certfile=settings.subgraph_tls_certfile,
        subgraph_tls_keyfile=settings.subgraph_tls_keyfile,
    )


def telemetry_from_settings(settings: RouterSettings) -> RouterTelemetry:
    """Metrics unless turned off; tracing only with an OTLP endpoint."""
    telemetry = settings.telemetry
    tracing = None
    endpoint = telemetry.otlp_endpoint
    if endpoint:
        common = telemetry.exporters.tracing.common
        tracing = Tracing.otlp(common.service_name, endpoint, sample_ratio=common.sampler)
    metrics = (
        RouterMetrics(multiprocess_dir=settings.metrics_multiprocess_dir)
        if telemetry.metrics_enabled
        else None
    )
    return RouterTelemetry(metrics=metrics, tracing=tracing)


def engine_builder(
    settings: RouterSettings,
    security: SecurityLayer | None = None,
    telemetry: RouterTelemetry | None = None,
    policies: Policies | None = None,
) -> EngineBuilder:
    """Builds and starts a `router.engine.Engine` per supergraph with the settings' config.

    With ``security``, each engine enforces the authorization directives of its own supergraph
    (a hot reload brings a new authorizer with the new engine). With active ``telemetry``,
    engines report plan-cache use, spans and subgraph metrics. With ``policies``, engines
    resolve documents (APQ, trusted documents) and rate-limit subgraph fetches with them."""
    config = engine_config(settings)
    documents = policies.documents if policies is not None else None
    limiter = policies.rate_limiter if policies is not None else None
    cache = policies.entity_cache if policies is not None else None
    plans = policies.plans if policies is not None else None

    async def build(supergraph: Supergraph) -> ServingEngine:
        authorizer = security.authorizer(supergraph) if security is not None else None
        engine: Engine
        if telemetry is not None and telemetry.active:
            from router.telemetry.engine import ObservedEngine

            engine = ObservedEngine(
                supergraph,
                config,
                authorizer=authorizer,
                metrics=telemetry.metrics,
                tracer=telemetry.tracer,
                documents=documents,
                rate_limiter=limiter,
                entity_cache=cache,
                plans=plans,
            )
        else:
            engine = Engine(
                supergraph,
                config,
                authorizer=authorizer,
                documents=documents,
                rate_limiter=limiter,
                entity_cache=cache,
                plans=plans,
            )
        await engine.start()
        return engine

    return build


@dataclass(frozen=True, slots=True)
class Policies:
    """The request policy of one settings version (swapped with the settings on reload)."""

    headers: HeaderPolicy
    documents: OperationDocuments
    rate_limiter: RateLimiter | None
    entity_cache: EntityCache | None = None
    """The process's entity cache when ``entity_cache.enabled`` (entries outlive reloads)."""
    plans: SharedPlans | None = None
    """Plans shared through Redis (``query_planning.cache.redis``), or none."""


class PolicyState:
    """What the policies keep for the whole process: the shared-state Redis, the APQ
    registry, the trusted-document manifest (and its watcher), the local token buckets."""

    def __init__(self, settings: RouterSettings, metrics: RouterMetrics | None = None) -> None:
        self.metrics = metrics
        self.shared = SharedState(settings.redis_url, observer=metrics)
        self.apq = ApqStore(self.shared, settings.apq.cache_size, settings.apq.ttl)
        self.buckets = LocalBuckets()
        self.entity_cache = EntityCache(settings.entity_cache, self.shared, observer=metrics)
        self.cache_events: CacheEvents | None = None
        self.trusted: TrustedDocuments | None = None
        self._watch: asyncio.Task[None] | None = None

    async def configure(self, settings: RouterSettings) -> Policies:
        """The policies of ``settings``; (re)starts the manifest when its source changed."""
        persisted = settings.persisted_queries
        if not persisted.enabled or persisted.manifest is None:
            await self._stop_watch()
            self.trusted = None
        elif (
            self.trusted is None
            or self.trusted.source != persisted.manifest
            or self.trusted.poll_interval != persisted.poll_interval
            or (self._watch is None) == persisted.hot_reload
        ):
            await self._stop_watch()
            self.trusted = TrustedDocuments(
                persisted.manifest, self.shared, poll_interval=persisted.poll_interval
            )
            await self.trusted.start()
            if persisted.hot_reload:
                self._watch = asyncio.create_task(self.trusted.watch())
        self.apq.ttl = settings.apq.ttl
        documents = OperationDocuments(settings.apq, self.apq, persisted, self.trusted)
        limiter = None
        if settings.rate_limit.active:
            limiter = RateLimiter(
                settings.rate_limit,
                self.shared,
                self.buckets,
                on_limited=self.metrics.limited if self.metrics is not None else None,
            )
        headers = HeaderPolicy(
            settings.headers,
            (*settings.propagate_headers, *settings.propagate_headers_extra),
            correlation_header=settings.correlation_header,
        )
        self.entity_cache.configure(settings.entity_cache)
        await self._listen_for_events(settings)
        cache = self.entity_cache if settings.entity_cache.enabled else None
        plans = None
        redis_plans = settings.query_planning.cache.redis
        if redis_plans.enabled and self.shared.configured:
            plans = SharedPlans(self.shared, redis_plans.ttl)
        return Policies(headers, documents, limiter, entity_cache=cache, plans=plans)

    async def _listen_for_events(self, settings: RouterSettings) -> None:
        """(Re)subscribe to the events that invalidate cached entities, as configured."""
        nats = settings.entity_cache.invalidation.nats if settings.entity_cache.enabled else None
        current = self.cache_events
        if current is not None and current.config == nats:
            return
        self.cache_events = None
        if current is not None:
            await current.close()
        if nats is not None:
            self.cache_events = CacheEvents(self.entity_cache, nats)
            await self.cache_events.start()

    async def _stop_watch(self) -> None:
        task, self._watch = self._watch, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        await self._stop_watch()
        if self.cache_events is not None:
            await self.cache_events.close()
            self.cache_events = None
        await self.shared.close()
