"""The issuer's public keys, fetched over HTTP and cached.

Keys are fetched once, kept for ``cache_seconds``, and fetched again early when a token
names a ``kid`` we do not know (the issuer rotated its key). That early fetch is rate
limited: tokens with made-up ``kid`` values must not turn into a request flood against
the issuer. If a fetch fails while keys are cached, the cached keys keep serving.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from ssl import SSLContext
from typing import Any, Protocol

import aiohttp
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from subgraphs.kit.auth.client import client_session
from subgraphs.kit.auth.errors import KeysUnavailable
from subgraphs.kit.logging import get_logger

log = get_logger("polyshop.auth.jwks")

ASYMMETRIC_KEY_TYPES = frozenset({"EC", "RSA", "OKP"})


class KeySource(Protocol):
    """Where a verifier finds the public key for a ``kid``."""

    async def get_key(self, kid: str) -> PyJWK | None: ...


def parse_jwks(document: Mapping[str, Any]) -> dict[str, PyJWK]:
    """Usable signature keys by ``kid``; symmetric, unnamed and malformed keys are skipped."""
    keys: dict[str, PyJWK] = {}
    raw_keys = document.get("keys")
    if not isinstance(raw_keys, list):
        raise ValueError("a JWKS document needs a 'keys' list")
    for raw in raw_keys:
        if not isinstance(raw, dict):
            continue
        kid = raw.get("kid")
        if not isinstance(kid, str) or raw.get("kty") not in ASYMMETRIC_KEY_TYPES:
            continue
        if raw.get("use", "sig") != "sig":
            continue
        try:
            keys[kid] = PyJWK(raw)
        except PyJWKError as exc:
            log.warning("jwks.key_skipped", kid=kid, error=str(exc))
    return keys


class JwksCache:
    """A `KeySource` backed by a JWKS URL (aiohttp); one instance per process."""

    def __init__(
        self,
        url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        ssl: SSLContext | None = None,
    ) -> None:
        """``ssl`` applies to the session this cache creates (not to ``session``), so an
        issuer that requires client certificates sees the service's own."""
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session = session
        self._owns_session = session is None
        self._ssl = ssl
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    async def get_key(self, kid: str) -> PyJWK | None:
        if self._stale():
            await self._refresh(reason="expired")
        key = self._keys.get(kid)
        if key is None and self._may_refresh_early():
            await self._refresh(reason="unknown_kid")
            key = self._keys.get(kid)
        return key

    async def refresh(self) -> None:
        """Fetch now, whatever the cache says (e.g. at start-up)."""
        await self._refresh(reason="forced", force=True)

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self.cache_seconds

    def _may_refresh_early(self) -> bool:
        return (
            self._attempted_at is None
            or self._clock() - self._attempted_at >= self.min_refresh_seconds
        )

    async def _refresh(self, *, reason: str, force: bool = False) -> None:
        started = self._clock()
        async with self._lock:
            # Another task fetched while we waited for the lock: its result is fresh enough.
            if not force and self._attempted_at is not None and self._attempted_at >= started:
                return
            self._attempted_at = self._clock()
            try:
                keys = await self._fetch()
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.warning("jwks.fetch_failed", url=self.url, reason=reason, error=str(exc))
                if not self._keys:
                    raise KeysUnavailable(f"cannot fetch signing keys: {exc}") from exc
                return
            self._keys = keys
            self._fetched_at = self._clock()
            log.info("jwks.fetched", url=self.url, reason=reason, kids=sorted(keys))

    async def _fetch(self) -> dict[str, PyJWK]:
        if self._session is None:
            self._session = client_session(self._ssl)
            self._owns_session = True
        self.fetch_count += 1
        async with self._session.get(self.url, timeout=self._timeout) as response:
            response.raise_for_status()
            document = await response.json(content_type=None)
        if not isinstance(document, dict):
            raise ValueError("the JWKS document is not a JSON object")
        return parse_jwks(document)
