"""Access-token verification: a bearer token to a `Principal`, or `InvalidToken`.

One verifier for the router's edge and every subgraph; what differs between them is policy
(`JwtPolicy`) and how a failure is answered (the router's HTTP 401 with ``WWW-Authenticate``,
`router.security.jwt`; the kit's GraphQL error, `subgraphs.kit.auth.middleware`).

The signature is checked with a key the `KeySource` offers for the token's ``kid`` and the
algorithm the token declares, which must be allowed by the policy *and* fit the key: no
``none``, no HMAC with a public key, no weaker algorithm than the key was published for. Then
issuer, audience, expiry (with ``leeway_seconds`` of clock skew) and lifetime: a token may live
at most ``max_token_lifetime_seconds`` (``exp - iat``, and ``exp`` no further than that from
now), so that a stolen long-lived token, or one a compromised signer dated a century ahead,
is refused.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

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

from polyshop.runtime.jwks import KeySource
from polyshop.runtime.principal import Principal

ASYMMETRIC_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)
DEFAULT_LEEWAY_SECONDS = 5.0
"""Clock skew tolerated on ``exp``/``nbf``/``iat`` (``POLYSHOP_AUTH_LEEWAY_SECONDS``, read by
the auth service, every subgraph and the router)."""
DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 3600.0
"""No access token may live longer (``exp - iat``), whoever signed it."""
KID_ECHO_MAX = 32
_KID_UNSAFE = re.compile(r"[^A-Za-z0-9._~+/=-]")
CHALLENGE_DESCRIPTION_MAX = 200
_UNSAFE_IN_QUOTED = re.compile(r'[^\x20-\x7e]|["\\]')


class InvalidToken(Exception):
    """A token failed verification; ``reason`` is safe to show (it names no secret, and a
    ``kid`` from the token is echoed only through `echoed_kid`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def echoed_kid(kid: str) -> str:
    """A ``kid`` as it may appear in an error: safe characters only, at most KID_ECHO_MAX.

    The value comes from the client (the token's header): it must not grow a response header
    or carry anything but an identifier into it."""
    safe = _KID_UNSAFE.sub("?", kid)
    return safe if len(safe) <= KID_ECHO_MAX else safe[: KID_ECHO_MAX - 3] + "..."


def challenge_description(reason: str) -> str:
    """``reason`` made safe for a quoted ``error_description`` (RFC 6750 §3: printable ASCII
    without ``"`` and backslash) and bounded, whatever the token put into it."""
    text = _UNSAFE_IN_QUOTED.sub("?", reason)
    if len(text) > CHALLENGE_DESCRIPTION_MAX:
        text = text[: CHALLENGE_DESCRIPTION_MAX - 3] + "..."
    return text


def bearer_challenge(realm: str, reason: str | None = None) -> str:
    """The ``WWW-Authenticate`` value of a 401: RFC 6750 ``invalid_token`` with the reason
    when a token was sent and refused, the bare challenge when none was sent."""
    challenge = f'Bearer realm="{realm}"'
    if reason is not None:
        description = challenge_description(reason)
        challenge += f', error="invalid_token", error_description="{description}"'
    return challenge


@dataclass(frozen=True, slots=True)
class JwtPolicy:
    issuers: tuple[str, ...] = ()
    """Accepted ``iss`` values; empty: not checked."""
    audiences: tuple[str, ...] = ()
    """The token's ``aud`` must name one of these; empty: not checked."""
    algorithms: frozenset[str] = ASYMMETRIC_ALGORITHMS
    leeway_seconds: float = DEFAULT_LEEWAY_SECONDS
    max_token_lifetime_seconds: float = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS
    required_claims: tuple[str, ...] = ("exp", "sub")
    require_kid: bool = False
    """Refuse a token without ``kid`` (else every key of the source is tried)."""
    clock: Callable[[], float] = field(default=time.time, compare=False)


class JwtVerifier:
    """Verifies tokens against a `KeySource` under a `JwtPolicy`; one per process."""

    def __init__(self, keys: KeySource, policy: JwtPolicy | None = None) -> None:
        self.keys = keys
        self.policy = policy or JwtPolicy()
        unknown = self.policy.algorithms - ASYMMETRIC_ALGORITHMS
        if unknown or not self.policy.algorithms:
            raise ValueError(f"only asymmetric JWT algorithms are accepted, not {sorted(unknown)}")

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises `InvalidToken`, or
        `polyshop.runtime.jwks.KeysUnavailable` when no key could ever be loaded."""
        policy = self.policy
        try:
            header = jwt.get_unverified_header(token)
        except InvalidTokenError:
            raise InvalidToken("malformed token") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in policy.algorithms:
            raise InvalidToken(f"algorithm {echoed_kid(str(algorithm))!r} is not allowed")
        kid = header.get("kid")
        if (kid is not None and not isinstance(kid, str)) or (policy.require_kid and not kid):
            raise InvalidToken("missing or malformed kid")
        candidates = [
            key
            for key in await self.keys.candidates(kid, algorithm)
            if key.algorithm_name == algorithm
        ]
        if not candidates:
            shown = "none" if kid is None else repr(echoed_kid(kid))
            raise InvalidToken(f"no signing key matches kid {shown}")
        for key in candidates:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[algorithm],
                    audience=list(policy.audiences) or None,
                    issuer=list(policy.issuers) or None,
                    leeway=policy.leeway_seconds,
                    options={
                        "require": list(policy.required_claims),
                        "verify_aud": bool(policy.audiences),
                        "verify_iss": bool(policy.issuers),
                    },
                )
            except (InvalidSignatureError, InvalidAlgorithmError):
                continue
            except InvalidTokenError as error:
                raise InvalidToken(_reason(error)) from None
            self._check_lifetime(claims)
            return Principal.from_claims(claims, token)
        raise InvalidToken("signature verification failed")

    def _check_lifetime(self, claims: Mapping[str, Any]) -> None:
        """``exp - iat``, or without ``iat`` ``exp`` from now, within the maximum."""
        policy = self.policy
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or (
            iat is not None and not isinstance(iat, int | float)
        ):
            raise InvalidToken("malformed exp or iat")
        limit = policy.max_token_lifetime_seconds
        too_long = exp - policy.clock() > limit + policy.leeway_seconds
        if too_long or (iat is not None and exp - iat > limit):
            raise InvalidToken(f"token lifetime exceeds {limit:g} s")

    async def aclose(self) -> None:
        """Closes the key source when it holds resources (a `JwksKeySet`'s session)."""
        aclose = getattr(self.keys, "aclose", None)
        if aclose is not None:
            await aclose()


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
