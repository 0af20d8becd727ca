"""Real access tokens for the products tests: an ES256 key pair made here, tokens signed with
PyJWT and checked by the kit's own `token_verifier`, exactly as in production."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt import PyJWK

from subgraphs.kit.auth import JwtVerifier, token_verifier

ISSUER = "products-tests"
AUDIENCE = "polyshop"
KID = "products-test-key"


class TestKeys:
    """A `KeySource` holding one freshly generated key pair, and a token mint."""

    __test__ = False

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        public_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        self.public = PyJWK({**public_jwk, "kid": KID, "alg": "ES256", "use": "sig"})

    async def candidates(self, kid: str | None, algorithm: str) -> list[PyJWK]:
        return [self.public] if kid == KID else []

    def verifier(self) -> JwtVerifier:
        return token_verifier(self, issuer=ISSUER, audience=AUDIENCE)

    def sign(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300, **claims}
        return jwt.encode(payload, self.private_key, algorithm="ES256", headers={"kid": KID})

    def user(self, *roles: str, scope: str = "") -> str:
        """A user's token (``sub`` is a user id, no ``client_id``)."""
        return self.sign(sub=str(uuid.uuid4()), roles=list(roles), scope=scope)

    def service(self, client_id: str, scope: str = "") -> str:
        """A client-credentials token (RFC 9068: ``sub`` and ``client_id`` are the client)."""
        return self.sign(sub=client_id, client_id=client_id, roles=[], scope=scope)
