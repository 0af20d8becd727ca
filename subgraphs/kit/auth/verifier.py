"""The subgraphs' token policy over the platform's `polyshop.runtime.jwt.JwtVerifier`.

A subgraph trusts one issuer (the auth service) for one audience, and asks more of a token
than the router's edge does: a ``kid`` naming the signing key, and ``iat``, ``iss`` and
``aud`` present (the lifetime check then always has ``exp - iat``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from ssl import SSLContext

from polyshop.runtime.jwks import JwksKeySet, KeySource
from polyshop.runtime.jwt import (
    DEFAULT_LEEWAY_SECONDS,
    DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    JwtPolicy,
    JwtVerifier,
)
from subgraphs.kit.auth.settings import TokenSettings

REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")


def token_verifier(
    keys: KeySource,
    *,
    issuer: str,
    audience: str | Iterable[str],
    algorithms: Iterable[str] = ("ES256", "RS256"),
    leeway_seconds: float = DEFAULT_LEEWAY_SECONDS,
    max_lifetime_seconds: float = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    clock: Callable[[], float] = time.time,
) -> JwtVerifier:
    """A verifier of access tokens issued by ``issuer`` for ``audience``."""
    policy = JwtPolicy(
        issuers=(issuer,),
        audiences=(audience,) if isinstance(audience, str) else tuple(audience),
        algorithms=frozenset(algorithms),
        leeway_seconds=leeway_seconds,
        max_token_lifetime_seconds=max_lifetime_seconds,
        required_claims=REQUIRED_CLAIMS,
        require_kid=True,
        clock=clock,
    )
    return JwtVerifier(keys, policy)


def token_verifier_from_settings(
    settings: TokenSettings, *, ssl: SSLContext | None = None
) -> JwtVerifier:
    """A verifier that fetches the auth service's JWKS over HTTP (with ``ssl``, the service's
    outgoing TLS context, when given)."""
    keys = JwksKeySet(
        settings.jwks_url,
        cache_seconds=settings.jwks_cache_seconds,
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
        timeout_seconds=settings.jwks_timeout_seconds,
        ssl=ssl,
    )
    return token_verifier(
        keys,
        issuer=settings.issuer,
        audience=settings.audience,
        algorithms=settings.algorithms,
        leeway_seconds=settings.leeway_seconds,
        max_lifetime_seconds=settings.max_token_lifetime_seconds,
    )
