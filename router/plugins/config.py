"""The ``plugins`` section of ``router.yaml``: the plugins a router runs, in order.

```yaml
plugins:
  - name: request_logging            # an entry point of the polyshop.router.plugins group
  - name: docs.examples.tenant_plugin:TenantPlugin   # or module:Class
    config: {claim: org, header: x-tenant-id}
    optional: false
    timeout: 2.5
```
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PluginEntry(BaseModel):
    """One plugin of the ``plugins`` list."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: str = Field(min_length=1)
    """``module:Class``, or the name of an entry point of the ``polyshop.router.plugins``
    group (an installed package's plugin, or a built-in such as ``request_logging``)."""
    config: dict[str, Any] = Field(default_factory=dict)
    """The plugin's own configuration, validated by the pydantic model its class declares
    (``Config``) at start and on every reload."""
    optional: bool = False
    """When true, a failure or timeout of this plugin is counted and logged and the request
    goes on without it; when false, the request fails with a GraphQL error."""
    timeout: float = Field(default=5.0, gt=0)
    """Seconds one hook call may take before it counts as failed."""
    label: str | None = None
    """The name used in errors, logs and metrics (default: the class's name)."""
