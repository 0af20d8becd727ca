"""A service's own access token, from the client-credentials grant (RFC 6749 §4.4).

Services call each other with a token of their own. It is fetched on first use, reused
until shortly before it expires, and fetched by one task at a time however many requests
need it at once.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from ssl import SSLContext
from typing import Any
from urllib.parse import quote_plus

import aiohttp

from subgraphs.kit.auth.settings import TokenSettings


def basic_credentials(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def client_session(
    ssl: SSLContext | None = None, *, timeout: aiohttp.ClientTimeout | None = None
) -> aiohttp.ClientSession:
    """A session whose connections use ``ssl`` (e.g. `subgraphs.kit.tls.outgoing_context`,
    which presents the service's client certificate); aiohttp's defaults when None."""
    connector = aiohttp.TCPConnector(ssl=ssl) if ssl is not None else None
    if timeout is None:
        return aiohttp.ClientSession(connector=connector)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)


class TokenRequestError(Exception):
    """The token endpoint refused (``error`` is the RFC 6749 §5.2 code) or was unreachable."""

    def __init__(self, error: str, description: str | None = None, status: int | None = None):
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status


class ClientCredentialsTokenClient:
    """Caches one token; ``refresh_margin_seconds`` before expiry it fetches a new one."""

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
        service's outgoing context, so the token endpoint sees its client certificate."""
        self.token_url = token_url
        self.scope = scope
        self._basic = basic_credentials(client_id, client_secret)
        self._session = session
        self._owns_session = session is None
        self._ssl = ssl
        self._margin = refresh_margin_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    @classmethod
    def from_settings(
        cls,
        settings: TokenSettings,
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
                return self._token
            token, expires_in = await self._fetch()
            # A token that lives shorter than twice the margin is refreshed at half-life.
            margin = min(self._margin, expires_in / 2)
            self._token, self._refresh_at = token, self._clock() + expires_in - margin
            return token

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

    async def _fetch(self) -> tuple[str, float]:
        if self._session is None:
            self._session = client_session(self._ssl)
            self._owns_session = True
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        self.fetch_count += 1
        try:
            async with self._session.post(
                self.token_url,
                data=form,
                headers={"Authorization": self._basic},
                timeout=self._timeout,
            ) as response:
                body: Any = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise TokenRequestError("token_endpoint_unavailable", str(exc)) from exc
        if status != 200 or not isinstance(body, dict):
            error = body.get("error", "invalid_response") if isinstance(body, dict) else None
            description = body.get("error_description") if isinstance(body, dict) else None
            raise TokenRequestError(str(error or "invalid_response"), description, status)
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not isinstance(expires_in, int | float):
            raise TokenRequestError("invalid_response", "no access_token/expires_in", status)
        return token, float(expires_in)
