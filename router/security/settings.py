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
``POLYSHOP_ROUTER_AUTH_HEADER_NAME``           ``authorization``           header of the token
``POLYSHOP_ROUTER_AUTH_HEADER_PREFIX``         ``Bearer``                  its scheme
``POLYSHOP_ROUTER_AUTH_TOKEN_SOURCES``         ``[]``                      more places (JSON:
                                                                           ``[{"type": "cookie",
                                                                           "name": "t"}]``)
=============================================  ==========================  =====================

``router.yaml``'s ``authentication`` section (Apollo Router's ``authentication.router.jwt``)
sets the token-reading ones too; a variable set here wins over it (`with_file_values`, see
`router.config.authentication`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from polyshop.runtime.jwt import (
    ASYMMETRIC_ALGORITHMS,
    DEFAULT_LEEWAY_SECONDS,
    DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
)

from .jwt import TokenSource

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
    token_sources: tuple[TokenSource, ...] = ()
    """Other headers or cookies holding the token, looked at when ``header_name`` is absent."""
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

    def with_file_values(self, values: Mapping[str, Any]) -> SecuritySettings:
        """These settings with ``values`` (from ``router.yaml``'s ``authentication``) for
        every key not set by a variable: the environment wins over the file."""
        keep = self.model_fields_set
        update = {name: value for name, value in values.items() if name not in keep}
        return self.model_copy(update=update) if update else self

    @property
    def service_credentials(self) -> bool:
        """Whether the router authenticates its own subgraph calls (client credentials)."""
        return bool(self.token_url and self.client_id and self.client_secret)
