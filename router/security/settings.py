"""Security settings of the router, read from ``POLYSHOP_ROUTER_AUTH_*`` variables.

Leeway and maximum token lifetime are the variables every subgraph and the auth service read
(``POLYSHOP_AUTH_*``), so that the edge and the subgraphs never disagree on a token.

The router's own client-credentials token proves only that a call comes through the router:
subgraphs never authorize on it (docs/decisions/0011), so its client needs no scope.

List settings take JSON (``["a", "b"]``) or a comma-separated string (``a,b``).

=============================================  ==========================  =====================
variable                                       default                     meaning
=============================================  ==========================  =====================
``POLYSHOP_ROUTER_AUTH_JWKS_URLS``             ``[]``                      JWKS URLs; empty:
                                                                           tokens are not read
``POLYSHOP_ROUTER_AUTH_ISSUERS``               ``[]``                      accepted ``iss``
``POLYSHOP_ROUTER_AUTH_AUDIENCES``             ``[]``                      accepted ``aud``
``POLYSHOP_ROUTER_AUTH_ALGORITHMS``            asymmetric ones             allowed ``alg``
``POLYSHOP_AUTH_LEEWAY_SECONDS``               ``5``                       clock skew on exp/nbf
                                                                           (shared with subgraphs)
``POLYSHOP_AUTH_MAX_TOKEN_LIFETIME_SECONDS``   ``3600``                    longest exp - iat
                                                                           (shared with subgraphs)
``POLYSHOP_ROUTER_AUTH_JWKS_CACHE_SECONDS``    ``300``                     JWKS refresh period
``POLYSHOP_ROUTER_AUTH_JWKS_MIN_REFRESH_SECONDS``  ``10``                  early refresh limit
``POLYSHOP_ROUTER_AUTH_JWKS_TIMEOUT_SECONDS``  ``5``                       JWKS fetch timeout
``POLYSHOP_ROUTER_AUTH_REQUIRE_AUTHENTICATION``  ``false``                 401 without a token
``POLYSHOP_ROUTER_AUTH_DIRECTIVES``            ``true``                    enforce @authenticated,
                                                                           @requiresScopes, @policy
``POLYSHOP_ROUTER_AUTH_REJECT_UNAUTHORIZED``   ``false``                   fail the whole request
``POLYSHOP_ROUTER_AUTH_POLICY_CLAIMS``         ``roles,policies``          claims granting policies
``POLYSHOP_ROUTER_AUTH_TOKEN_URL``             unset                       router's OAuth2 token
                                                                           endpoint
``POLYSHOP_ROUTER_AUTH_CLIENT_ID``             unset                       router's client id
``POLYSHOP_ROUTER_AUTH_CLIENT_SECRET``         unset                       router's client secret
``POLYSHOP_ROUTER_AUTH_CLIENT_SCOPE``          unset                       scope to ask for
                                                                           (none is needed)
``POLYSHOP_ROUTER_AUTH_TOKEN_REFRESH_MARGIN_SECONDS``  ``30``              renew before expiry
=============================================  ==========================  =====================
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from polyshop.runtime.jwt import (
    ASYMMETRIC_ALGORITHMS,
    DEFAULT_LEEWAY_SECONDS,
    DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
)

StringList = Annotated[tuple[str, ...], NoDecode]


class SecuritySettings(BaseSettings):
    """Everything an operator sets about tokens and authorization (see the table above)."""

    model_config = SettingsConfigDict(
        env_prefix="POLYSHOP_ROUTER_AUTH_", extra="ignore", frozen=True, populate_by_name=True
    )

    jwks_urls: StringList = ()
    issuers: StringList = ()
    audiences: StringList = ()
    algorithms: StringList = tuple(sorted(ASYMMETRIC_ALGORITHMS))
    leeway_seconds: float = Field(
        default=DEFAULT_LEEWAY_SECONDS,
        ge=0,
        validation_alias="POLYSHOP_AUTH_LEEWAY_SECONDS",
    )
    max_token_lifetime_seconds: float = Field(
        default=DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
        gt=0,
        validation_alias="POLYSHOP_AUTH_MAX_TOKEN_LIFETIME_SECONDS",
    )
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)
    jwks_timeout_seconds: float = Field(default=5.0, gt=0)
    header_name: str = "authorization"
    header_prefix: str = "Bearer"
    require_authentication: bool = False

    directives: bool = True
    reject_unauthorized: bool = False
    policy_claims: StringList = ("roles", "policies")

    token_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    client_scope: str | None = None
    token_refresh_margin_seconds: float = Field(default=30.0, ge=0)
    token_timeout_seconds: float = Field(default=5.0, gt=0)

    @field_validator(
        "jwks_urls", "issuers", "audiences", "algorithms", "policy_claims", mode="before"
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return tuple(orjson.loads(text))
            return tuple(part.strip() for part in text.split(",") if part.strip())
        return value

    @property
    def service_credentials(self) -> bool:
        """Whether the router authenticates its own subgraph calls (client credentials)."""
        return bool(self.token_url and self.client_id and self.client_secret)
