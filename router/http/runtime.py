"""Engines built from `RouterSettings`: the bridge between settings and `router.engine`."""

from __future__ import annotations

from router.engine import Engine, EngineConfig
from router.hot_reload import EngineBuilder, ServingEngine
from router.security import SecurityLayer
from router.settings import RouterSettings
from router.supergraph import Supergraph


def engine_config(settings: RouterSettings) -> EngineConfig:
    return EngineConfig(
        subgraph_urls=dict(settings.subgraph_urls),
        subgraph_timeout=settings.subgraph_timeout,
        deduplicate_requests=settings.deduplicate,
        introspection=settings.introspection,
        max_depth=settings.max_depth,
        max_height=settings.max_height,
        max_aliases=settings.max_aliases,
        max_root_fields=settings.max_root_fields,
        plan_cache_size=settings.plan_cache_size,
        override_labels=frozenset(settings.override_labels),
    )


def engine_builder(
    settings: RouterSettings, security: SecurityLayer | None = None
) -> EngineBuilder:
    """Builds and starts a `router.engine.Engine` per supergraph with the settings' config.

    With ``security``, each engine enforces the authorization directives of its own supergraph
    (a hot reload brings a new authorizer with the new engine)."""
    config = engine_config(settings)

    async def build(supergraph: Supergraph) -> ServingEngine:
        authorizer = security.authorizer(supergraph) if security is not None else None
        engine = Engine(supergraph, config, authorizer=authorizer)
        await engine.start()
        return engine

    return build
