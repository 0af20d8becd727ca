"""JWT authentication at the edge: ``Authorization: Bearer`` → a `Principal`, or a 401.

As Apollo Router's JWT authentication: a request without a token proceeds unauthenticated
(only the authorization directives then restrict it), a request with a token that fails any
check is rejected with HTTP 401, ``extensions.code = "UNAUTHENTICATED"`` and an RFC 6750
``WWW-Authenticate`` challenge. Verification itself (keys, algorithms, claims, lifetime) is the
platform's `polyshop.runtime.jwt.JwtVerifier`; this module reads the header and shapes the
answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from polyshop.runtime.jwks import KeysUnavailable
from polyshop.runtime.jwt import InvalidToken, JwtVerifier
from polyshop.runtime.principal import Principal

from .errors import AUTH_ERROR, AuthenticationError, invalid_token_error, keys_unavailable_error


@dataclass(frozen=True, slots=True)
class JwtConfig:
    """Where the token is read from and how its absence is treated (verification policy is
    the verifier's `polyshop.runtime.jwt.JwtPolicy`)."""

    header_name: str = "authorization"
    header_prefix: str = "Bearer"
    require_authentication: bool = False
    """Refuse token-less requests (HTTP 401, ``AUTH_ERROR``), as Apollo's
    ``authorization.require_authentication``."""
    realm: str = "polyshop"


class JwtAuthenticator:
    """The edge hook: headers in, `Principal` (or None when no token was sent) out."""

    def __init__(self, verifier: JwtVerifier, config: JwtConfig | None = None) -> None:
        self.verifier = verifier
        self.config = config or JwtConfig()

    async def authenticate(self, headers: Mapping[str, str]) -> Principal | None:
        """Raises `AuthenticationError` for a bad token (or a missing one when required), or
        with HTTP 503 when no signing key could be loaded (our outage, not the client's).

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
        try:
            return await self.verifier.verify(token)
        except InvalidToken as error:
            raise invalid_token_error(error.reason, self.config.realm) from None
        except KeysUnavailable as error:
            raise keys_unavailable_error(str(error)) from error

    def token(self, headers: Mapping[str, str]) -> str | None:
        """The bearer token; a header that is present but not ``<prefix> <token>`` is invalid,
        as in Apollo Router."""
        value = headers.get(self.config.header_name.lower())
        if value is None or not value.strip():
            return None
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != self.config.header_prefix.lower() or not token or " " in token:
            raise invalid_token_error(
                f"the {self.config.header_name} header must be "
                f"'{self.config.header_prefix} <token>'",
                self.config.realm,
            )
        return token
