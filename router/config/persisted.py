"""The ``apq`` and ``persisted_queries`` sections, named and shaped as Apollo Router's.

``apq``: automatic persisted queries (a client sends ``extensions.persistedQuery.sha256Hash``;
an unknown hash is answered ``PERSISTED_QUERY_NOT_FOUND`` and the client sends the query with
its hash once, which registers it). On by default, as in Apollo Router.

``persisted_queries``: trusted documents from a manifest the client build produced (Apollo's
``apollo-persisted-query-manifest`` format, or Relay's / Hive's ``{"id": "document"}`` JSON),
read from a file or an http(s) URL and re-read while the router runs. Modes:

* off (``enabled: false``, the default): only APQ and free-form operations;
* log-unknown (``enabled: true``, ``log_unknown: true``): ids from the manifest are served,
  any other operation runs and is logged once as ``persisted_queries.unknown_operation``;
* safelist (``enabled: true``, ``safelist.enabled: true``): only operations of the manifest
  run, by id or by their exact text (``QUERY_NOT_IN_SAFELIST`` otherwise); with
  ``safelist.require_id`` only by id (``PERSISTED_QUERY_ID_REQUIRED``).

Development keeps GraphiQL and the storefront working because the mode is off unless a
deployment turns it on (see ``docs/router.md``).
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

_FROZEN = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ApqConfig(BaseModel):
    """``apq``: automatic persisted queries."""

    model_config = _FROZEN

    enabled: bool = True
    """Register and serve operations by their SHA-256 hash."""
    ttl: float | None = Field(default=None, gt=0)
    """Seconds a registration lives in Redis (shared state); none: until evicted."""
    cache_size: int = Field(default=4096, ge=1)
    """Registrations kept in this process (in front of Redis, or alone without it)."""


class SafelistConfig(BaseModel):
    model_config = _FROZEN

    enabled: bool = False
    """Refuse every operation that is not in the manifest."""
    require_id: bool = False
    """Refuse operation text even when it is in the manifest: clients send ids only."""


class PersistedQueriesConfig(BaseModel):
    """``persisted_queries``: trusted documents (see the module docstring for the modes)."""

    model_config = _FROZEN

    enabled: bool = False
    """Serve the manifest's operations by id."""
    manifest: str | None = None
    """The manifest: a file path or an http(s) URL."""
    hot_reload: bool = True
    """Re-read the manifest while the router runs (a file when it changes, a URL every
    ``poll_interval`` seconds); a manifest that fails to load keeps the one in force."""
    poll_interval: float = Field(default=10.0, gt=0)
    """Seconds between checks of the manifest."""
    log_unknown: bool = False
    """Log each operation that is not in the manifest (once per distinct text)."""
    safelist: SafelistConfig = Field(default_factory=SafelistConfig)

    @model_validator(mode="after")
    def _needs_manifest(self) -> Self:
        if self.enabled and self.manifest is None:
            raise ValueError("persisted_queries.enabled needs persisted_queries.manifest")
        if self.safelist.enabled and not self.enabled:
            raise ValueError("safelist.enabled needs persisted_queries.enabled")
        if self.safelist.require_id and not self.safelist.enabled:
            raise ValueError("safelist.require_id needs safelist.enabled")
        return self
