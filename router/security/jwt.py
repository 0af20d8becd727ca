"""JWT verification at the edge: ``Authorization: Bearer`` → a `Principal`, or a 401.

As Apollo Router's JWT authentication: a request without a token proceeds unauthenticated
(only the authorization directives then restrict it), a request with a token that fails any
check is rejected with HTTP 401 and ``extensions.code = "UNAUTHENTICATED"``. The signature is
checked with the JWKS key named by ``kid`` and the algorithm the token declares, which must be
allowed by configuration *and* fit the key (no ``none``, no HMAC with a public key).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any, Literal

import jwt
from jwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenError,
    MissingRequiredClaimError,
)

from .errors import AUTH_ERROR, AuthenticationError, InvalidToken
from .jwks import JwksKeySet
from .principal import Principal

ASYMMETRIC_ALGORITHMS = frozenset(
    {
        "ES256",
        "ES384",
        "ES512",
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "EdDSA",
    }
)


DEFAULT_LEEWAY_SECONDS = 5.0
DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 3600.0
KID_ECHO_MAX = 32
_KID_UNSAFE = re.compile(r"[^A-Za-z0-9._~+/=-]")


def echoed_kid(kid: str) -> str:
    """A ``kid`` as it may appear in an error: safe characters only, at most KID_ECHO_MAX.

    The value comes from the client (the token's header): it must not grow the
    ``WWW-Authenticate`` header or carry anything but an identifier into it."""
    safe = _KID_UNSAFE.sub("?", kid)
    return safe if len(safe) <= KID_ECHO_MAX else safe[: KID_ECHO_MAX - 3] + "..."


@dataclass(frozen=True, slots=True)
class TokenSource:
    """Another place a token may come from (Apollo Router's ``jwt.sources``): a header, with
    its scheme prefix (empty: the whole value is the token), or a cookie."""

    type: Literal["header", "cookie"]
    name: str
    value_prefix: str = "Bearer"


@dataclass(frozen=True, slots=True)
class JwtConfig:
    issuers: tuple[str, ...] = ()
    """Accepted ``iss`` values; empty: not checked."""
    audiences: tuple[str, ...] = ()
    """The token's ``aud`` must name one of these; empty: not checked."""
    algorithms: frozenset[str] = ASYMMETRIC_ALGORITHMS
    leeway_seconds: float = DEFAULT_LEEWAY_SECONDS
    """Clock skew tolerated on ``exp``, ``nbf`` and ``iat``."""
    max_token_lifetime_seconds: float = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS
    """Refuse a token whose ``exp - iat`` (or ``exp`` from now) is longer."""
    clock: Callable[[], float] = field(default=time.time, compare=False)
    required_claims: tuple[str, ...] = ("exp", "sub")
    header_name: str = "authorization"
    header_prefix: str = "Bearer"
    sources: tuple[TokenSource, ...] = ()
    """Looked at, in order, when ``header_name`` is absent."""
    require_authentication: bool = False
    """Refuse token-less requests (HTTP 401, ``AUTH_ERROR``), as Apollo's
    ``authorization.require_authentication``."""
    realm: str = "polyshop"


class JwtVerifier:
    """Verifies tokens against a `JwksKeySet`."""

    def __init__(self, keys: JwksKeySet, config: JwtConfig | None = None) -> None:
        self.keys = keys
        self.config = config or JwtConfig()
        unknown = self.config.algorithms - ASYMMETRIC_ALGORITHMS
        if unknown:
            raise ValueError(f"only asymmetric JWT algorithms are accepted, not {sorted(unknown)}")

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises `InvalidToken` (or `KeysUnavailable`)."""
        config = self.config
        try:
            header = jwt.get_unverified_header(token)
        except InvalidTokenError:
            raise self._invalid("malformed token") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in config.algorithms:
            raise self._invalid(f"algorithm {algorithm!r} is not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise self._invalid("malformed kid")
        candidates = await self.keys.candidates(kid, algorithm)
        if not candidates:
            shown = "none" if kid is None else repr(echoed_kid(kid))
            raise self._invalid(f"no signing key matches kid {shown}")
        for key in candidates:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[algorithm],
                    audience=list(config.audiences) or None,
                    issuer=list(config.issuers) or None,
                    leeway=config.leeway_seconds,
                    options={
                        "require": list(config.required_claims),
                        "verify_aud": bool(config.audiences),
                        "verify_iss": bool(config.issuers),
                    },
                )
            except (InvalidSignatureError, InvalidAlgorithmError):
                continue
            except InvalidTokenError as error:
                raise self._invalid(_reason(error)) from None
            self._check_lifetime(claims)
            return Principal.from_claims(claims, token)
        raise self._invalid("signature verification failed")

    def _check_lifetime(self, claims: Mapping[str, Any]) -> None:
        """``exp - iat``, or without ``iat`` ``exp`` from now, within the maximum."""
        config = self.config
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or (
            iat is not None and not isinstance(iat, int | float)
        ):
            raise self._invalid("malformed exp or iat")
        limit = config.max_token_lifetime_seconds
        too_long = exp - config.clock() > limit + config.leeway_seconds
        if too_long or (iat is not None and exp - iat > limit):
            raise self._invalid(f"token lifetime exceeds {limit:g} s")

    def _invalid(self, reason: str) -> InvalidToken:
        return InvalidToken(reason, self.config.realm)


class JwtAuthenticator:
    """The edge hook: headers in, `Principal` (or None when no token was sent) out."""

    def __init__(self, verifier: JwtVerifier) -> None:
        self.verifier = verifier
        self.config = verifier.config

    async def authenticate(self, headers: Mapping[str, str]) -> Principal | None:
        """Raises `AuthenticationError` for a bad token (or a missing one when required).

        ``headers`` as the HTTP layer decodes them: names lower-cased."""
        token = self.token(headers)
        if token is None:
            if self.config.require_authentication:
                raise AuthenticationError(
                    "unauthenticated",
                    code=AUTH_ERROR,
                    headers={"WWW-Authenticate": f'Bearer realm="{self.config.realm}"'},
                )
            return None
        return await self.verifier.verify(token)

    def token(self, headers: Mapping[str, str]) -> str | None:
        """The bearer token: from ``header_name``, else from the first of ``sources`` that is
        present. A header that is present but not ``<prefix> <token>`` is invalid, as in
        Apollo Router."""
        config = self.config
        token = self._from_header(headers, config.header_name, config.header_prefix)
        if token is not None:
            return token
        for source in config.sources:
            if source.type == "header":
                token = self._from_header(headers, source.name, source.value_prefix)
            else:
                token = _cookie(headers, source.name)
            if token is not None:
                return token
        return None

    def _from_header(self, headers: Mapping[str, str], name: str, prefix: str) -> str | None:
        value = headers.get(name.lower())
        if value is None or not value.strip():
            return None
        if not prefix:
            token = value.strip()
            if " " in token:
                raise InvalidToken(f"the {name} header must hold only the token", self.config.realm)
            return token
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != prefix.lower() or not token or " " in token:
            raise InvalidToken(f"the {name} header must be '{prefix} <token>'", self.config.realm)
        return token


def _cookie(headers: Mapping[str, str], name: str) -> str | None:
    """The value of cookie ``name`` in the ``Cookie`` header (a malformed header has none)."""
    raw = headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None and morsel.value else None


def _reason(error: InvalidTokenError) -> str:
    if isinstance(error, ExpiredSignatureError):
        return "token has expired"
    if isinstance(error, ImmatureSignatureError):
        return "token is not yet valid"
    if isinstance(error, InvalidAudienceError):
        return "invalid audience"
    if isinstance(error, InvalidIssuerError):
        return "invalid issuer"
    if isinstance(error, InvalidIssuedAtError):
        return "invalid issued-at time"
    if isinstance(error, MissingRequiredClaimError):
        return f"missing claim {error.claim!r}"
    if isinstance(error, DecodeError):
        return "malformed token"
    return "invalid token"
