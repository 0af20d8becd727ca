"""Settings of the auth service: the kit's, plus tokens, keys, hashing and throttling.

Every field here is ``POLYSHOP_AUTH_*`` in the environment (the ``auth_`` prefix of the
field name after the kit's ``POLYSHOP_``), so issuer and audience are the same variables the
verifying subgraphs read.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr

from subgraphs.kit.settings import ServiceSettings

DEFAULT_ROLE_SCOPES: dict[str, list[str]] = {
    "customer": ["profile", "orders:read", "orders:write", "payments:write"],
    "admin": [
        "profile",
        "users:read",
        "users:write",
        "products:write",
        "inventory:write",
        "orders:read",
        "orders:write",
        "payments:write",
        "analytics:read",
    ],
}


class AuthSettings(ServiceSettings):
    service_name: str = "auth"
    port: int = Field(default=4001, ge=1, le=65535)

    auth_issuer: str = "polyshop-auth"
    auth_audience: str = "polyshop"
    auth_access_token_seconds: int = Field(default=900, ge=30)
    auth_refresh_token_days: float = Field(default=30.0, gt=0)
    auth_leeway_seconds: int = Field(default=30, ge=0)

    auth_signing_algorithm: Literal["ES256", "RS256"] = "ES256"
    auth_rsa_key_bits: int = Field(default=3072, ge=2048)
    auth_signing_key_max_age_days: float = Field(default=30.0, gt=0)
    auth_key_reload_seconds: float = Field(default=60.0, gt=0)
    auth_key_passphrase: SecretStr | None = None
    auth_jwks_max_age_seconds: int = Field(default=300, ge=0)

    # argon2id parameters (RFC 9106 second recommendation: 64 MiB, t=3, p=4).
    auth_argon2_time_cost: int = Field(default=3, ge=1)
    auth_argon2_memory_kib: int = Field(default=65536, ge=8)
    auth_argon2_parallelism: int = Field(default=4, ge=1)

    auth_password_min_length: int = Field(default=8, ge=1)
    auth_password_max_length: int = Field(default=256, ge=8)

    auth_throttle_window_seconds: int = Field(default=900, ge=1)
    # Budgets per (account, address) and per address: see subgraphs.auth.throttle.
    auth_throttle_max_failures_per_account_address: int = Field(default=5, ge=1)
    auth_throttle_max_failures_per_address: int = Field(default=20, ge=1)
    auth_router_client_id: str = "router"

    auth_role_scopes: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_ROLE_SCOPES.items()}
    )
    auth_default_role: str = "customer"
    auth_admin_role: str = "admin"

    auth_demo_password: SecretStr = SecretStr("polyshop-demo")
    auth_demo_client_secret: SecretStr | None = None


@lru_cache(maxsize=1)
def get_auth_settings() -> AuthSettings:
    return AuthSettings()
