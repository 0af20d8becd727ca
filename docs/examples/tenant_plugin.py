"""Example router plugin: the caller's tenant, from a verified JWT claim, as a subgraph header.

Listed in ``router.yaml`` as::

    plugins:
      - name: docs.examples.tenant_plugin:TenantPlugin
        config: {claim: org, header: x-tenant-id, required: true}

At the supergraph stage it reads the claim from the verified token (the router's JWT
authentication puts the claims in the context before any plugin runs) and keeps it in its
per-request state; at the subgraph stage it sets the header on every subgraph request, after
removing whatever value a client may have sent under that name: only the token decides the
tenant. With ``required``, an operation without the claim is refused before planning
(403 ``TENANT_REQUIRED``). The answer echoes the tenant in the same header.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from router.plugins import (
    JWT_CLAIMS,
    Plugin,
    Response,
    SubgraphRequest,
    SupergraphRequest,
    SupergraphResponse,
)


class TenantConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    claim: str = "tenant"
    """The JWT claim naming the tenant."""
    header: str = Field(default="x-tenant-id", pattern=r"^[a-z0-9-]+$")
    """The header (lower case) sent to subgraphs and echoed to the client."""
    required: bool = False
    """Refuse operations whose caller has no tenant claim (403 TENANT_REQUIRED)."""


class TenantPlugin(Plugin[TenantConfig]):
    Config = TenantConfig

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        claims = request.context.entries.get(JWT_CLAIMS) or {}
        tenant = claims.get(self.config.claim)
        if isinstance(tenant, str | int) and str(tenant):
            request.context.state(self)["tenant"] = str(tenant)
        elif self.config.required:
            return Response.error(
                f"This operation needs a token with a '{self.config.claim}' claim",
                "TENANT_REQUIRED",
                403,
            )
        return None

    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        request.headers.pop(self.config.header, None)
        tenant = request.context.state(self).get("tenant")
        if tenant is not None:
            request.headers[self.config.header] = tenant
        return None

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        tenant = response.context.state(self).get("tenant")
        if tenant is not None:
            response.headers[self.config.header] = tenant
        return None
