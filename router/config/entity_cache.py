"""``entity_cache``: Apollo Router's entity cache (``preview_entity_cache``), our layout.

.. code-block:: yaml

    entity_cache:
      enabled: true
      max_entries: 100000        # this process's LRU (without Redis, or in front of nothing)
      subgraph:
        all:
          enabled: true
          ttl: 30s               # when a subgraph response has no max-age
          private_id: sub        # the claim that keys `private` responses per user
        subgraphs:
          orders:
            enabled: false
          products:
            ttl: 60s
      invalidation:
        enabled: true
        path: /invalidation      # POST, Apollo's invalidation request format
        shared_key: ${env.POLYSHOP_INVALIDATION_KEY}
        nats:
          url: nats://localhost:4222
          rules: [...]           # default: products' product.* and inventory's
                                 # stock.changed drop the Product they name

With Redis configured (``POLYSHOP_REDIS_URL``) the entries live there, so every replica shares
them; without it (or while Redis does not answer) each process keeps its own bounded LRU.
What is cached, for how long and for whom is decided by the subgraph's ``Cache-Control``
(see `router.execution.entity_cache`).
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from router.config.traffic_shaping import Duration

_FROZEN = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

DEFAULT_TTL = 30.0
STOCK_CHANGED = "polyshop.inventory.stock.changed"
PRODUCT_EVENTS = tuple(
    f"polyshop.products.product.{change}"
    for change in ("created", "updated", "deleted", "restored")
)


class SubgraphCacheConfig(BaseModel):
    """One subgraph's entity cache settings (``all`` or ``subgraphs.<name>``); a key left
    out of ``subgraphs.<name>`` falls back to ``all``."""

    model_config = _FROZEN

    enabled: bool | None = None
    """Cache this subgraph's entities and root fields (default true)."""
    ttl: Duration | None = Field(default=None, gt=0)
    """Seconds an entry lives when the response's ``Cache-Control`` gives no ``max-age``
    (default 30)."""
    private_id: str | None = None
    """Claim of the verified token that keys ``private`` responses (default ``sub``); a
    private response to a request without a token is not cached."""


class SubgraphCacheSection(BaseModel):
    model_config = _FROZEN

    all: SubgraphCacheConfig = Field(default_factory=SubgraphCacheConfig)
    subgraphs: dict[str, SubgraphCacheConfig] = Field(default_factory=dict)


class NatsInvalidationRule(BaseModel):
    """Events on ``subject`` drop the entities of ``type`` in ``subgraph`` (every subgraph
    when none is named) whose key field ``key_field`` is one of the ids in the event's data
    under ``ids_field`` (a single id or a list)."""

    model_config = _FROZEN

    subject: str
    type: str
    key_field: str = "id"
    ids_field: str
    subgraph: str | None = None


DEFAULT_RULES = (
    *(
        NatsInvalidationRule(subject=subject, type="Product", ids_field="product_id")
        for subject in PRODUCT_EVENTS
    ),
    NatsInvalidationRule(subject=STOCK_CHANGED, type="Product", ids_field="product_ids"),
)
"""Our own events that drop cached entries, each in the subgraph that published it (the
envelope's ``source``), with that subgraph's cached root fields:

- a catalogue write (``polyshop.products.product.{created,updated,deleted,restored}``,
  ``{"product_id": "7", ...}``, written by products in the write's transaction) drops
  products' entries of that product and its lists: a change made past the router (a tool
  calling the subgraph, a script) is not served stale either;
- a product's stock changed (``polyshop.inventory.stock.changed``, ``{"product_ids": [...]}``,
  from inventory's outbox) drops inventory's entries of those products.

A write through the router needs neither: its answer already names what it changed
(`subgraphs.kit.cache`), and the router drops it before answering; the event then drops
nothing more (or what a query cached in between: harmless)."""


class NatsInvalidationConfig(BaseModel):
    model_config = _FROZEN

    url: str
    """The NATS server the services publish their events to."""
    rules: tuple[NatsInvalidationRule, ...] = DEFAULT_RULES


class InvalidationConfig(BaseModel):
    model_config = _FROZEN

    enabled: bool = False
    """Serve the invalidation endpoint."""
    path: str = "/invalidation"
    shared_key: SecretStr | None = None
    """The value the request's ``Authorization`` header must carry (Apollo's shared key)."""
    nats: NatsInvalidationConfig | None = None
    """Drop entries when our own events say the data changed."""

    @model_validator(mode="after")
    def _key_needed(self) -> Self:
        if self.enabled and not (self.shared_key and self.shared_key.get_secret_value()):
            raise ValueError("entity_cache.invalidation.enabled needs a shared_key")
        if not self.path.startswith("/"):
            raise ValueError("entity_cache.invalidation.path must start with '/'")
        return self


class EntityCacheConfig(BaseModel):
    """``entity_cache`` (see the module docstring)."""

    model_config = _FROZEN

    enabled: bool = False
    max_entries: int = Field(default=100_000, ge=1)
    """Entries kept in this process when Redis is not configured or does not answer."""
    subgraph: SubgraphCacheSection = Field(default_factory=SubgraphCacheSection)
    invalidation: InvalidationConfig = Field(default_factory=InvalidationConfig)

    def for_subgraph(self, name: str) -> tuple[bool, float, str]:
        """(enabled, default ttl, private id claim) of subgraph ``name``."""
        own = self.subgraph.subgraphs.get(name, SubgraphCacheConfig())
        every = self.subgraph.all

        enabled = own.enabled if own.enabled is not None else every.enabled
        ttl = own.ttl if own.ttl is not None else every.ttl
        private_id = own.private_id if own.private_id is not None else every.private_id
        return (
            self.enabled and enabled is not False,
            ttl if ttl is not None else DEFAULT_TTL,
            private_id if private_id is not None else "sub",
        )
