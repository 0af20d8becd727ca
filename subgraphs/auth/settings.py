"""Settings of the auth service: the kit's, plus tokens, keys, hashing and throttling.

Every field here is ``POLYSHOP_AUTH_*`` in the environment (the ``auth_`` prefix of the
field name after the kit's ``POLYSHOP_``), so issuer and audience are the same variables the
verifying subgraphs read.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from subgraphs.kit.auth.settings import DEFAULT_LEEWAY_SECONDS, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS
from subgraphs.kit.settings import ServiceSettings

DEV_KEY_PASSPHRASE = "polyshop-dev-signing-keys"
"""Encrypts the signing keys in dev mode when no passphrase is set; never outside it."""

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
    auth_leeway_seconds: float = Field(default=DEFAULT_LEEWAY_SECONDS, ge=0)
    auth_max_token_lifetime_seconds: float = Field(default=DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, gt=0)
    """longest accepted exp - iat; the access-token lifetime may not exceed it"""

    auth_gateway_clients: list[str] = Field(default_factory=lambda: ["router"])
    """client ids whose own token authorizes nothing (the router's)"""

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

    @model_validator(mode="after")
    def _lifetime_within_maximum(self) -> AuthSettings:
        if self.auth_access_token_seconds > self.auth_max_token_lifetime_seconds:
            raise ValueError(
                "POLYSHOP_AUTH_ACCESS_TOKEN_SECONDS exceeds "
                "POLYSHOP_AUTH_MAX_TOKEN_LIFETIME_SECONDS: every verifier would refuse the tokens"
            )
        return self

    def key_passphrase(self) -> bytes:
        """What encrypts the signing keys in ``signing_keys`` (PKCS#8, AES-256).

        ``POLYSHOP_AUTH_KEY_PASSPHRASE`` is required outside dev mode; dev mode without one
        uses a well-known passphrase (the keys are still never stored in the clear)."""
        if self.auth_key_passphrase is not None:
            return self.auth_key_passphrase.get_secret_value().encode()
        if self.dev_mode:
            return DEV_KEY_PASSPHRASE.encode()
        raise RuntimeError(
            "POLYSHOP_AUTH_KEY_PASSPHRASE is required outside dev mode: it encrypts the token "
            "signing keys at rest"
        )


@lru_cache(maxsize=1)
def get_auth_settings() -> AuthSettings:
    return AuthSettings()
