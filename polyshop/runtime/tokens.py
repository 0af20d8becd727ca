"""A process's own access token, from the client-credentials grant (RFC 6749 §4.4).

The router authenticates its subgraph calls with one, and services calling each other with
theirs. The token is fetched on first use, reused until ``refresh_margin_seconds`` before it
expires (a token living shorter than twice the margin is renewed at half-life), and fetched by
one task at a time however many requests need it at once. If a renewal fails while the cached
token is still valid, that token keeps serving (the auth service may be restarting);
otherwise `TokenRequestError` is raised.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from ssl import SSLContext
from typing import Any, Protocol
from urllib.parse import quote_plus

import aiohttp
import structlog
from pydantic import SecretStr

from polyshop.runtime.tls import client_session

log = structlog.get_logger("polyshop.runtime.tokens")

DEFAULT_EXPIRES_IN = 60.0
"""Lifetime assumed when a token response has no ``expires_in`` (it is only RECOMMENDED)."""
UNAVAILABLE = "token_endpoint_unavailable"
"""`TokenRequestError.error` when the token endpoint could not be reached at all."""
INVALID_RESPONSE = "invalid_response"


class ClientCredentials(Protocol):
    """What `ClientCredentialsTokenClient.from_settings` reads (the kit's ``TokenSettings``)."""

    @property
    def token_url(self) -> str: ...
    @property
    def client_id(self) -> str | None: ...
    @property
    def client_secret(self) -> SecretStr | None: ...
    @property
    def client_scope(self) -> str | None: ...


def basic_credentials(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


class TokenRequestError(Exception):
    """The token endpoint refused (``error`` is the RFC 6749 §5.2 code, ``status`` the HTTP
    status) or could not be reached (``error`` is `UNAVAILABLE`, ``status`` None)."""

    def __init__(
        self, error: str, description: str | None = None, status: int | None = None
    ) -> None:
        if error == UNAVAILABLE:
            message = f"token endpoint unreachable: {description}"
        else:
            message = f"token endpoint answered {status}: {error}"
            if description:
                message += f" ({description})"
        super().__init__(message)
        self.error = error
        self.description = description
        self.status = status


class ClientCredentialsTokenClient:
    """Caches one token of ``client_id``; see the module docstring for when it renews."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        session: aiohttp.ClientSession | None = None,
        refresh_margin_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        ssl: SSLContext | None = None,
    ) -> None:
        """``ssl`` applies only to the session this client creates (not to ``session``): the
        process's outgoing context, so the token endpoint sees its client certificate."""
        self.token_url = token_url
        self.client_id = client_id
        self.scope = scope
        self._basic = basic_credentials(client_id, client_secret)
        self._session = session
        self._owns_session = session is None
        self._ssl = ssl
        self._margin = refresh_margin_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    @classmethod
    def from_settings(
        cls,
        settings: ClientCredentials,
        *,
        session: aiohttp.ClientSession | None = None,
        ssl: SSLContext | None = None,
    ) -> ClientCredentialsTokenClient:
        if settings.client_id is None or settings.client_secret is None:
            raise ValueError("POLYSHOP_AUTH_CLIENT_ID and POLYSHOP_AUTH_CLIENT_SECRET are needed")
        return cls(
            settings.token_url,
            settings.client_id,
            settings.client_secret.get_secret_value(),
            scope=settings.client_scope,
            session=session,
            ssl=ssl,
        )

    async def token(self) -> str:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        async with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token  # fetched by another task while we waited
            try:
                await self._fetch()
            except TokenRequestError:
                if self._token is not None and self._clock() < self._expires_at:
                    log.warning("service_token.refresh_failed_using_cached")
                    return self._token
                raise
            assert self._token is not None
            return self._token

    async def authorization(self) -> dict[str, str]:
        """Headers for an outgoing request."""
        return {"Authorization": f"Bearer {await self.token()}"}

    def invalidate(self) -> None:
        """Forget the token, e.g. after a 401 from the callee (keys rotated, client revoked)."""
        self._token = None

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    async def _fetch(self) -> None:
        if self._session is None:
            self._session = client_session(self._ssl)
            self._owns_session = True
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        headers = {"Authorization": self._basic, "Accept": "application/json"}
        self.fetch_count += 1
        started = self._clock()
        try:
            async with self._session.post(
                self.token_url, data=form, headers=headers, timeout=self._timeout
            ) as response:
                body: Any = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise TokenRequestError(UNAVAILABLE, str(exc)) from exc
        if status != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            description = body.get("error_description") if isinstance(body, dict) else None
            raise TokenRequestError(str(error or INVALID_RESPONSE), description, status)
        token, token_type = body.get("access_token"), body.get("token_type", "Bearer")
        if not isinstance(token, str) or not token:
            raise TokenRequestError(INVALID_RESPONSE, "no access_token", status)
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise TokenRequestError(INVALID_RESPONSE, f"token_type {token_type!r}", status)
        expires_in = body.get("expires_in", DEFAULT_EXPIRES_IN)
        if not isinstance(expires_in, int | float) or expires_in <= 0:
            expires_in = DEFAULT_EXPIRES_IN
        margin = min(self._margin, expires_in / 2)
        self._token = token
        self._expires_at = started + expires_in
        self._refresh_at = self._expires_at - margin
        log.info("service_token.fetched", client_id=self.client_id, expires_in=expires_in)
