"""Access-token verification: signature by a published key, then issuer, audience, expiry
and lifetime."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from ssl import SSLContext
from typing import Any

import jwt

from subgraphs.kit.auth.errors import InvalidToken
from subgraphs.kit.auth.identity import Identity
from subgraphs.kit.auth.jwks import JwksCache, KeySource
from subgraphs.kit.auth.settings import (
    DEFAULT_LEEWAY_SECONDS,
    DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    TokenSettings,
)

REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")


class TokenVerifier:
    """Turns a bearer token into an `Identity` or raises `InvalidToken`.

    Only the algorithms we were configured with are accepted, and the token's ``alg`` must
    be the one its key was published for: a token cannot pick a weaker algorithm or make
    us use an RSA public key as an HMAC secret. A token may live at most
    ``max_lifetime_seconds`` (``exp - iat``, and ``exp`` no further than that from now): a
    stolen long-lived token, or one a compromised signer dated a century ahead, is refused.
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str | Iterable[str],
        algorithms: Iterable[str] = ("ES256", "RS256"),
        leeway_seconds: float = DEFAULT_LEEWAY_SECONDS,
        max_lifetime_seconds: float = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = [audience] if isinstance(audience, str) else list(audience)
        self.algorithms = frozenset(algorithms)
        if not self.algorithms or any(a.startswith("HS") or a == "none" for a in self.algorithms):
            raise ValueError("only asymmetric signature algorithms may verify access tokens")
        self.leeway_seconds = leeway_seconds
        self.max_lifetime_seconds = max_lifetime_seconds
        self._clock = clock

    @classmethod
    def from_settings(
        cls, settings: TokenSettings, *, ssl: SSLContext | None = None
    ) -> TokenVerifier:
        """A verifier that fetches the auth service's JWKS over HTTP (with ``ssl``, the
        service's outgoing TLS context, when given)."""
        cache = JwksCache(
            settings.jwks_url,
            cache_seconds=settings.jwks_cache_seconds,
            min_refresh_seconds=settings.jwks_min_refresh_seconds,
            timeout_seconds=settings.jwks_timeout_seconds,
            ssl=ssl,
        )
        return cls(
            cache,
            issuer=settings.issuer,
            audience=settings.audience,
            algorithms=settings.algorithms,
            leeway_seconds=settings.leeway_seconds,
            max_lifetime_seconds=settings.max_token_lifetime_seconds,
        )

    async def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("the token is malformed") from None
        algorithm = header.get("alg")
        kid = header.get("kid")
        if algorithm not in self.algorithms:
            raise InvalidToken("the token's signature algorithm is not accepted")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no signing key (kid)")
        key = await self.keys.get_key(kid)
        if key is None:
            raise InvalidToken("the token was signed by an unknown key")
        if key.algorithm_name != algorithm:
            raise InvalidToken("the token's algorithm does not match its key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token is not meant for this service (audience)") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("the token was issued by an unknown issuer") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the token's signature is invalid") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("the token is invalid") from None
        self._check_lifetime(claims)
        return Identity.from_claims(claims)

    def _check_lifetime(self, claims: Mapping[str, Any]) -> None:
        exp, iat = claims["exp"], claims["iat"]
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            raise InvalidToken("the token's iat and exp must be numbers")
        limit = self.max_lifetime_seconds
        if exp - iat > limit or exp - self._clock() > limit + self.leeway_seconds:
            raise InvalidToken(f"the token lives longer than the {limit:g} s allowed")

    async def aclose(self) -> None:
        if isinstance(self.keys, JwksCache):
            await self.keys.aclose()
