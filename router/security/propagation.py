"""Who the router is, and for whom it calls, on every subgraph request.

The router authenticates its own calls with a client-credentials token (RFC 6749 §4.4) from
the auth service, sent as ``Authorization: Bearer``. The user's identity travels in agreed
headers: ``X-PolyShop-User-Token`` carries the user's original JWT (subgraphs verify it
themselves against the JWKS) and ``X-PolyShop-User-Id`` its subject, for logs and
convenience. A client can never set these: every ``X-PolyShop-*`` header it sends is dropped.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus

import aiohttp
import structlog

from .errors import ServiceTokenError
from .principal import Principal

log = structlog.get_logger("router.security.propagation")

IDENTITY_PREFIX = "x-polyshop-"
USER_TOKEN_HEADER = "x-polyshop-user-token"
USER_ID_HEADER = "x-polyshop-user-id"
DEFAULT_EXPIRES_IN = 60.0
"""Lifetime assumed when a token response has no ``expires_in`` (it is only RECOMMENDED)."""


def subgraph_headers(
    propagated: Mapping[str, str], principal: Principal | None, service_token: str | None
) -> dict[str, str]:
    """The headers of a subgraph call, from the client headers the HTTP layer propagates.

    Client ``X-PolyShop-*`` headers are removed; with a service token the client's
    ``Authorization`` is replaced by the router's own (the user's token moves to
    ``X-PolyShop-User-Token``); without one (development) it is passed on unchanged.
    """
    headers = {
        name: value
        for name, value in propagated.items()
        if not name.lower().startswith(IDENTITY_PREFIX)
        and not (service_token is not None and name.lower() == "authorization")
    }
    if service_token is not None:
        headers["authorization"] = f"Bearer {service_token}"
    if principal is not None:
        if principal.token:
            headers[USER_TOKEN_HEADER] = principal.token
        if principal.subject:
            headers[USER_ID_HEADER] = principal.subject
    return headers


class ServiceTokenClient:
    """The router's own access token, fetched with client credentials and cached.

    The token is reused until ``refresh_margin`` seconds before it expires; concurrent callers
    share one fetch. If a refresh fails while the cached token is still valid, that token keeps
    serving (the auth service may be restarting); otherwise `ServiceTokenError` is raised.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        refresh_margin: float = 30.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self.refresh_margin = refresh_margin
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0
        self.fetch_count = 0

    async def token(self) -> str:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        async with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token  # fetched by another task while we waited
            try:
                await self._fetch()
            except ServiceTokenError:
                if self._token is not None and self._clock() < self._expires_at:
                    log.warning("service_token.refresh_failed_using_cached")
                    return self._token
                raise
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Forget the token (e.g. a subgraph answered 401 to it): the next call fetches."""
        self._token = None

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        # RFC 6749 §2.3.1: id and secret are form-encoded before HTTP Basic encoding
        basic = f"{quote_plus(self.client_id)}:{quote_plus(self._secret)}"
        headers = {
            "Authorization": "Basic " + base64.b64encode(basic.encode()).decode("ascii"),
            "Accept": "application/json",
        }
        self.fetch_count += 1
        started = self._clock()
        try:
            async with self._session.post(
                self.token_url, data=form, headers=headers, timeout=self._timeout
            ) as response:
                body: Any = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise ServiceTokenError(f"token endpoint unreachable: {error}") from error
        if status != 200 or not isinstance(body, dict):
            error_code = body.get("error") if isinstance(body, dict) else None
            description = body.get("error_description") if isinstance(body, dict) else None
            raise ServiceTokenError(
                f"token endpoint answered {status}: {error_code or 'error'}"
                + (f" ({description})" if description else "")
            )
        token = body.get("access_token")
        token_type = body.get("token_type")
        if not isinstance(token, str) or not token:
            raise ServiceTokenError("token response without access_token")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise ServiceTokenError(f"unsupported token_type {token_type!r}")
        expires_in = body.get("expires_in", DEFAULT_EXPIRES_IN)
        if not isinstance(expires_in, int | float) or expires_in <= 0:
            expires_in = DEFAULT_EXPIRES_IN
        margin = min(self.refresh_margin, expires_in / 2)
        self._token = token
        self._expires_at = started + expires_in
        self._refresh_at = self._expires_at - margin
        log.info("service_token.fetched", client_id=self.client_id, expires_in=expires_in)


class SubgraphIdentity:
    """Builds subgraph call headers; fetches the service token when one is configured."""

    def __init__(self, service_tokens: ServiceTokenClient | None = None) -> None:
        self.service_tokens = service_tokens

    async def headers(
        self, propagated: Mapping[str, str], principal: Principal | None
    ) -> dict[str, str]:
        """Raises `ServiceTokenError` when the router cannot obtain its own token."""
        token = await self.service_tokens.token() if self.service_tokens is not None else None
        return subgraph_headers(propagated, principal, token)

    async def close(self) -> None:
        if self.service_tokens is not None:
            await self.service_tokens.close()
