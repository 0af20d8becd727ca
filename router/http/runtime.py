"""Engines and telemetry built from `RouterSettings`: the bridge between settings and
`router.engine` / `router.telemetry`."""

from __future__ import annotations

from router.engine import Engine, EngineConfig
from router.hot_reload import EngineBuilder, ServingEngine
from router.security import SecurityLayer
from router.settings import RouterSettings
from router.supergraph import Supergraph
from router.telemetry import RouterMetrics, RouterTelemetry, Tracing


def engine_config(settings: RouterSettings) -> EngineConfig:
    return EngineConfig(
        subgraph_urls=dict(settings.subgraph_urls),
        subgraph_timeout=settings.subgraph_timeout,
        traffic_shaping=settings.traffic_shaping,
        demand_control=settings.demand_control,
        deduplicate_requests=settings.deduplicate,
        introspection=settings.introspection,
        max_depth=settings.max_depth,
        max_height=settings.max_height,
        max_aliases=settings.max_aliases,
        max_root_fields=settings.max_root_fields,
        parser_max_tokens=settings.parser_max_tokens,
        max_selections=settings.max_selections,
        planning_timeout=settings.planning_timeout,
        max_response_bytes=settings.max_response_bytes,
        subgraph_max_response_bytes=settings.subgraph_max_response_bytes,
        subgraph_max_concurrency=settings.subgraph_max_concurrency,
        subgraph_max_concurrency_per_request=settings.subgraph_max_concurrency_per_request,
        batch_entity_fetches=settings.batch_entity_fetches,
        plan_cache_size=settings.plan_cache_size,
        override_labels=frozenset(settings.override_labels),
        subgraph_tls_ca=settings.subgraph_tls_ca,
        subgraph_tls_certfile=settings.subgraph_tls_certfile,
        subgraph_tls_keyfile=settings.subgraph_tls_keyfile,
    )


def telemetry_from_settings(settings: RouterSettings) -> RouterTelemetry:
    """Metrics unless turned off; tracing only with an OTLP endpoint."""
    tracing = None
    if settings.otel_exporter_otlp_endpoint:
        tracing = Tracing.otlp(
            settings.otel_service_name,
            settings.otel_exporter_otlp_endpoint,
            sample_ratio=settings.otel_sample_ratio,
        )
    return RouterTelemetry(metrics=RouterMetrics() if settings.metrics else None, tracing=tracing)


def engine_builder(
    settings: RouterSettings,
    security: SecurityLayer | None = None,
    telemetry: RouterTelemetry | None = None,
) -> EngineBuilder:
    """Builds and starts a `router.engine.Engine` per supergraph with the settings' config.

    With ``security``, each engine enforces the authorization directives of its own supergraph
    (a hot reload brings a new authorizer with the new engine). With active ``telemetry``,
    engines report plan-cache use, spans and subgraph metrics."""
    config = engine_config(settings)

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
            )
        else:
            engine = Engine(supergraph, config, authorizer=authorizer)
        await engine.start()
        return engine

    return build
