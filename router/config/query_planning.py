"""``query_planning``: the plan cache, in memory and (optionally) shared through Redis.

.. code-block:: yaml

    query_planning:
      cache:
        in_memory:
          limit: 1024      # operations whose plans each engine keeps (LRU)
        redis:
          enabled: true    # needs redis_url (POLYSHOP_REDIS_URL): plans shared by replicas
          ttl: 48h         # how long a shared plan is kept

Apollo Router puts this under ``supergraph.query_planning.cache``; our ``supergraph`` setting
is the supergraph's path or URL, so the section sits at the top level with Apollo's inner
names. The Redis is the router's one shared-state Redis (``redis_url``, the same that holds
APQ registrations and rate-limit counters; see `router.shared`). The in-memory cache stays in
front of it; a Redis that goes away means local planning, logged and counted, never a failed
request (`router.shared.plans`). Operations narrowed by authorization (fields removed for
this client) are planned and cached per process only. ``in_memory.limit`` replaces the flat
``plan_cache_size`` setting (a deprecated alias now).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from router.config.traffic_shaping import Duration


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class InMemoryPlanCache(_Section):
    limit: int = Field(default=1024, ge=0)
    """Operations, and plan variants (`router.planning.cache.PlanCache`), each engine keeps
    (least recently used go first)."""


class RedisPlanCache(_Section):
    enabled: bool = False
    """Share plans through the router's Redis (``redis_url`` must be set)."""
    ttl: Duration | None = Field(default=48 * 3600.0, gt=0)
    """How long Redis keeps a plan (null: until evicted)."""


class PlanCacheConfig(_Section):
    in_memory: InMemoryPlanCache = Field(default_factory=InMemoryPlanCache)
    redis: RedisPlanCache = Field(default_factory=RedisPlanCache)


class QueryPlanningConfig(_Section):
    """Apollo Router's ``supergraph.query_planning`` (the cache)."""

    cache: PlanCacheConfig = Field(default_factory=PlanCacheConfig)
