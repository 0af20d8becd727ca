"""Real access tokens without the auth service: a key pair made per instance (ES256, or RS256
for the router's JWT tests), tokens signed with PyJWT and checked by the real verifiers (the
kit's `token_verifier`, the router's JWKS authenticator), exactly as in production.

`TestKeys` is also the `KeySource` a subgraph's verifier reads (``keys.verifier()`` or
``token_verifier(keys, issuer=ISSUER, audience=AUDIENCE)``), and its ``public_jwk`` is what a
fake issuer publishes at its JWKS URL (`tests.support.orders.Issuer`,
`tests.support.router_security.JwksServer`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt import PyJWK
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from subgraphs.kit.auth import JwtVerifier, token_verifier

ISSUER = "polyshop-auth"
"""The auth service's default issuer, so that services started with default settings agree."""
AUDIENCE = "polyshop"
LIFETIME = 600


class TestKeys:
    """One key pair and a token mint; ``kid`` is fresh per instance unless given.

    ``algorithm`` is ``ES256`` or ``RS256``; ``declare_alg=False`` leaves ``alg`` out of the
    public JWK (verifiers must then take it from the key type).
    """

    __test__ = False

    def __init__(
        self, kid: str | None = None, *, algorithm: str = "ES256", declare_alg: bool = True
    ) -> None:
        self.kid = kid or f"test-{uuid.uuid4().hex[:8]}"
        self.algorithm = algorithm
        self.private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        if algorithm == "ES256":
            self.private_key = ec.generate_private_key(ec.SECP256R1())
            public = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        elif algorithm == "RS256":
            self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        else:
            raise ValueError(f"unsupported algorithm {algorithm}")
        self.public_jwk: dict[str, Any] = {**public, "kid": self.kid, "use": "sig"}
        if declare_alg:
            self.public_jwk["alg"] = algorithm
        self.public = PyJWK(self.public_jwk, algorithm)

    @classmethod
    def ec(cls, kid: str | None = None) -> TestKeys:
        return cls(kid)

    @classmethod
    def rsa(cls, kid: str | None = None, *, declare_alg: bool = True) -> TestKeys:
        return cls(kid, algorithm="RS256", declare_alg=declare_alg)

    async def candidates(self, kid: str | None, algorithm: str) -> list[PyJWK]:
        return [self.public] if kid == self.kid else []

    def verifier(self, **options: Any) -> JwtVerifier:
        return token_verifier(self, issuer=ISSUER, audience=AUDIENCE, **options)

    def sign(
        self,
        claims: dict[str, Any] | None = None,
        *,
        algorithm: str | None = None,
        headers: dict[str, Any] | None = None,
        **extra: Any,
    ) -> str:
        """``claims`` and ``extra`` over ``iss``, ``aud``, ``sub`` (``user-1``), ``iat`` and
        ``exp`` (now + LIFETIME); a claim given as None is left out. ``algorithm`` and
        ``headers`` override the JWT header (to forge tokens a verifier must refuse)."""
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-1",
            "iat": now,
            "exp": now + LIFETIME,
            **(claims or {}),
            **extra,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        header = {"kid": self.kid, **(headers or {})}
        return jwt.encode(
            payload, self.private_key, algorithm=algorithm or self.algorithm, headers=header
        )

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
        return self.sign({**payload, **claims})

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
