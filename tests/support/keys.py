"""Real access tokens without the auth service: an ES256 key pair made per instance, tokens
signed with PyJWT and checked by the kit's own `token_verifier`, exactly as in production.

`TestKeys` is also the `KeySource` a subgraph's verifier reads (``keys.verifier()`` or
``token_verifier(keys, issuer=ISSUER, audience=AUDIENCE)``), and its ``public_jwk`` is what a
fake issuer publishes at its JWKS URL (`tests.support.orders.Issuer`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt import PyJWK
from jwt.algorithms import ECAlgorithm

from subgraphs.kit.auth import JwtVerifier, token_verifier

ISSUER = "polyshop-auth"
"""The auth service's default issuer, so that services started with default settings agree."""
AUDIENCE = "polyshop"
LIFETIME = 600


class TestKeys:
    """One key pair and a token mint; ``kid`` is fresh per instance."""

    __test__ = False

    def __init__(self) -> None:
        self.kid = f"test-{uuid.uuid4().hex[:8]}"
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        public = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        self.public_jwk: dict[str, Any] = {**public, "kid": self.kid, "alg": "ES256", "use": "sig"}
        self.public = PyJWK(self.public_jwk)

    async def candidates(self, kid: str | None, algorithm: str) -> list[PyJWK]:
        return [self.public] if kid == self.kid else []

    def verifier(self, **options: Any) -> JwtVerifier:
        return token_verifier(self, issuer=ISSUER, audience=AUDIENCE, **options)

    def sign(self, **claims: Any) -> str:
        """``claims`` over ``iss``, ``aud``, ``iat`` and ``exp`` (now + LIFETIME)."""
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + LIFETIME, **claims}
        return jwt.encode(payload, self.private_key, algorithm="ES256", headers={"kid": self.kid})

    def token(
        self,
        subject: str | None = None,
        *,
        roles: Sequence[str] = (),
        scope: str = "",
        service: bool = False,
        **claims: Any,
    ) -> str:
        """A token of ``subject`` (a fresh user id when None); ``service`` makes it a
        client-credentials token (RFC 9068: ``client_id`` equals ``sub``)."""
        sub = subject or str(uuid.uuid4())
        payload: dict[str, Any] = {"sub": sub, "roles": list(roles), "scope": scope}
        if service:
            payload["client_id"] = sub
        return self.sign(**{**payload, **claims})

    def user_token(
        self,
        user_id: str | None = None,
        *,
        roles: Sequence[str] = ("customer",),
        scope: str = "orders:read",
    ) -> str:
        return self.token(user_id, roles=roles, scope=scope)

    def service_token(self, client_id: str, *, scope: str = "") -> str:
        return self.token(client_id, scope=scope, service=True)
