"""Who the router is, and for whom it calls, on every subgraph request.

The router authenticates its own calls with a client-credentials token (RFC 6749 §4.4,
`polyshop.runtime.tokens`) from the auth service, sent as ``Authorization: Bearer``. The
user's identity travels in agreed headers: ``X-PolyShop-User-Token`` carries the user's
original JWT (subgraphs verify it themselves against the JWKS) and ``X-PolyShop-User-Id`` its
subject, for logs and convenience. A client can never set these: every ``X-PolyShop-*``
header it sends is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

from polyshop.runtime.principal import Principal
from polyshop.runtime.tokens import ClientCredentialsTokenClient

IDENTITY_PREFIX = "x-polyshop-"
USER_TOKEN_HEADER = "x-polyshop-user-token"
USER_ID_HEADER = "x-polyshop-user-id"


def subgraph_headers(
    propagated: Mapping[str, str], principal: Principal | None, service_token: str | None
) -> dict[str, str]:
    """The headers of a subgraph call, from the client headers the HTTP layer propagates.

    Client ``X-PolyShop-*`` headers are removed; with a service token the client's
    ``Authorization`` is replaced by the router's own (the user's token moves to
    ``X-PolyShop-User-Token``); without one (development) it is passed on unchanged.
    """
    headers = {
        name: value
        for name, value in propagated.items()
        if not name.lower().startswith(IDENTITY_PREFIX)
        and not (service_token is not None and name.lower() == "authorization")
    }
    if service_token is not None:
        headers["authorization"] = f"Bearer {service_token}"
    if principal is not None:
        if principal.token:
            headers[USER_TOKEN_HEADER] = principal.token
        if principal.subject:
            headers[USER_ID_HEADER] = principal.subject
    return headers


class SubgraphIdentity:
    """Builds subgraph call headers; fetches the service token when one is configured."""

    def __init__(self, service_tokens: ClientCredentialsTokenClient | None = None) -> None:
        self.service_tokens = service_tokens

    async def headers(
        self, propagated: Mapping[str, str], principal: Principal | None
    ) -> dict[str, str]:
        """Raises `TokenRequestError` when the router cannot obtain its own token."""
        token = await self.service_tokens.token() if self.service_tokens is not None else None
        return subgraph_headers(propagated, principal, token)

    async def aclose(self) -> None:
        if self.service_tokens is not None:
            await self.service_tokens.aclose()
