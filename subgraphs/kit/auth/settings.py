"""How a subgraph verifies tokens and how it obtains its own (``POLYSHOP_AUTH_*``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from polyshop.runtime.jwt import DEFAULT_LEEWAY_SECONDS, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS


class TokenSettings(BaseSettings):
    """Read once per process. ``allow_anonymous`` unset means "only in dev mode".

    Issuer, audience, leeway and maximum lifetime must match what the auth service puts in its
    tokens: ``POLYSHOP_AUTH_ISSUER``/``_AUDIENCE``/``_LEEWAY_SECONDS``/
    ``_MAX_TOKEN_LIFETIME_SECONDS`` are read by the auth service, every subgraph and the router.

    ``gateway_clients`` are the client ids whose own token proves only that a request came
    through the router: such a token never authorizes anything by itself (its scopes are
    ignored); the request acts as the user whose token the router forwards, or as nobody.
    """

    model_config = SettingsConfigDict(env_prefix="POLYSHOP_AUTH_", extra="ignore")

    jwks_url: str = "http://127.0.0.1:4001/.well-known/jwks.json"
    issuer: str = "polyshop-auth"
    audience: str = "polyshop"
    algorithms: list[str] = Field(default_factory=lambda: ["ES256", "RS256"])
    leeway_seconds: float = Field(default=DEFAULT_LEEWAY_SECONDS, ge=0)
    max_token_lifetime_seconds: float = Field(default=DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, gt=0)
    """longest accepted exp - iat (the router reads it too)"""
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)
    jwks_timeout_seconds: float = Field(default=5.0, gt=0)
    allow_anonymous: bool | None = None
    gateway_clients: list[str] = Field(default_factory=lambda: ["router"])
    """client ids whose own token authorizes nothing (the router's)"""

    token_url: str = "http://127.0.0.1:4001/oauth/token"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    client_scope: str | None = None

    def anonymous_allowed(self, dev_mode: bool) -> bool:
        return dev_mode if self.allow_anonymous is None else self.allow_anonymous


__all__ = ["DEFAULT_LEEWAY_SECONDS", "DEFAULT_MAX_TOKEN_LIFETIME_SECONDS", "TokenSettings"]
