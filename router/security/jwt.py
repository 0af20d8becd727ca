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
from http.cookies import CookieError, SimpleCookie
from typing import Literal

from polyshop.runtime.jwks import KeysUnavailable
from polyshop.runtime.jwt import InvalidToken, JwtVerifier
from polyshop.runtime.principal import Principal

from .errors import AUTH_ERROR, AuthenticationError, invalid_token_error, keys_unavailable_error


@dataclass(frozen=True, slots=True)
class TokenSource:
    """Another place a token may come from (Apollo Router's ``jwt.sources``): a header, with
    its scheme prefix (empty: the whole value is the token), or a cookie."""

    type: Literal["header", "cookie"]
    name: str
    value_prefix: str = "Bearer"


@dataclass(frozen=True, slots=True)
class JwtConfig:
    """Where the token is read from and how its absence is treated (verification policy is
    the verifier's `polyshop.runtime.jwt.JwtPolicy`)."""

    header_name: str = "authorization"
    header_prefix: str = "Bearer"
    sources: tuple[TokenSource, ...] = ()
    """Looked at, in order, when ``header_name`` is absent."""
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
                raise invalid_token_error(
                    f"the {name} header must hold only the token", self.config.realm
                )
            return token
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != prefix.lower() or not token or " " in token:
            raise invalid_token_error(
                f"the {name} header must be '{prefix} <token>'", self.config.realm
            )
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
