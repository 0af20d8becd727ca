"""``headers``: the ``headers`` section of ``router.yaml`` (header rules), as a plugin.

Written only on the public plugin API, as any user's plugin would be, and enabled by the router
itself whenever ``headers`` has rules (the configuration is unchanged for users; see
docs/router.md):

- at the **subgraph request** stage it runs the request rules (``propagate`` / ``insert`` /
  ``remove``, ``all`` first, then the subgraph's own, with the ``propagate_headers`` shorthand
  placed before them) over `SubgraphRequest.client_headers`, the client's headers as the
  supergraph stage left them, and the caller's verified claims (`Context.principal`). The
  router's own headers already on the request (correlation id, ``x-forwarded-for``, identity,
  service token) win over what the rules produce, as they did when the HTTP layer applied the
  rules: no rule can replace them. The rules run once per request and subgraph called (per
  client header map, `HeaderPolicy.for_subgraph`) and the result is kept in the plugin's
  per-request state, so each further fetch only merges two dicts;
- at the **subgraph response** stage it passes the response headers its ``response`` rules
  select to the client with `Context.add_response_header` (every ``set-cookie`` kept, other
  names last-wins), and marks the requests of those subgraphs ``deduplicate = False`` so no
  client ever receives another's cookies.

The compiled rules (`router.policy.headers`) are the same code the subscription transports
use (plugins do not run on streams).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from router.config.headers import HeadersConfig
from router.plugins.api import Plugin, Response, SubgraphRequest, SubgraphResponse
from router.policy.headers import HeaderPolicy, ResponseHeaderRules


class HeaderRulesConfig(BaseModel):
    """The plugin's configuration, made by the router from its settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    rules: HeadersConfig = Field(default_factory=HeadersConfig)
    """The ``headers`` section."""
    propagate: tuple[str, ...] = ()
    """The ``propagate_headers`` / ``propagate_headers_extra`` shorthand (``propagate:
    {named: ...}`` rules run before ``all``)."""
    correlation_header: str = "x-correlation-id"
    """Always the router's own value, never a rule's."""


class HeaderRules(Plugin[HeaderRulesConfig]):
    """Header rules at the subgraph stage (see the module docstring)."""

    Config = HeaderRulesConfig

    def __init__(self, config: HeaderRulesConfig, name: str = "headers") -> None:
        super().__init__(config, name)
        self.policy = HeaderPolicy(
            config.rules, config.propagate, correlation_header=config.correlation_header
        )
        self.responses = ResponseHeaderRules(config.rules)

    def stages(self) -> Sequence[str]:
        """The response stage only when some rule passes response headers on."""
        if self.responses:
            return ("subgraph_request", "subgraph_response")
        return ("subgraph_request",)

    def _rules_for(self, request: SubgraphRequest) -> dict[str, str]:
        """The rules' headers for this request's subgraph, worked out once per request (per
        client header map) and subgraph, kept in the plugin's per-request state."""
        client = request.client_headers
        service = request.service_name
        state: dict[Any, Any] = request.context.state(self)
        memo: dict[str, dict[str, str]] | None = state.get(id(client))
        if memo is None:
            memo = state[id(client)] = {}
        found = memo.get(service)
        if found is None:
            found = self.policy.for_subgraph(client, request.context.principal, service)
            memo[service] = found
        return found

    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        headers = dict(self._rules_for(request))
        headers.update(request.sent_headers())  # the router's own win (no copy of them)
        request.headers = headers
        if self.responses and self.responses.covers(request.service_name):
            request.deduplicate = False
        return None

    async def subgraph_response(self, response: SubgraphResponse) -> Response | None:
        service = response.service_name
        if self.responses.covers(service):
            add = response.context.add_response_header
            for name, value in self.responses.select(service, response.header_items()):
                add(name, value)
        return None
