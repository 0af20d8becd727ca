"""How a subgraph verifies tokens and how it obtains its own (``POLYSHOP_AUTH_*``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TokenSettings(BaseSettings):
    """Read once per process. ``allow_anonymous`` unset means "only in dev mode".

    Issuer and audience must match what the auth service puts in its tokens
    (``POLYSHOP_AUTH_ISSUER``/``POLYSHOP_AUTH_AUDIENCE`` are read by both sides).
    """

    model_config = SettingsConfigDict(env_prefix="POLYSHOP_AUTH_", extra="ignore")

    jwks_url: str = "http://127.0.0.1:4001/.well-known/jwks.json"
    issuer: str = "polyshop-auth"
    audience: str = "polyshop"
    algorithms: list[str] = Field(default_factory=lambda: ["ES256", "RS256"])
    leeway_seconds: float = Field(default=30.0, ge=0)
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)
    jwks_timeout_seconds: float = Field(default=5.0, gt=0)
    allow_anonymous: bool | None = None

    token_url: str = "http://127.0.0.1:4001/oauth/token"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    client_scope: str | None = None

    def anonymous_allowed(self, dev_mode: bool) -> bool:
        return dev_mode if self.allow_anonymous is None else self.allow_anonymous
