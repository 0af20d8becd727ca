"""Public keys from one or more JWKS URLs: fetched with aiohttp, cached, refreshed.

One implementation for the router (every issuer it trusts) and the subgraphs (the auth
service's keys, `subgraphs.kit.auth`).

Keys are fetched on first use and again every ``cache_seconds`` (a background task when
started, and lazily otherwise). A token naming a ``kid`` we do not know triggers an early
fetch (the issuer rotated its keys), at most once per ``min_refresh_seconds`` per URL, so that
tokens with made-up ``kid`` values cannot turn into a request flood against the issuer. When a
fetch fails the keys already cached keep serving; when none could ever be fetched a lookup
raises `KeysUnavailable` (our outage, not the caller's fault), and each lookup tries to fetch again
(concurrent lookups share one fetch).

Only asymmetric signature keys are kept: a JWKS is public, so a symmetric (``oct``) key in it
would let anyone sign tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from ssl import SSLContext
from typing import Any, Protocol

import aiohttp
import structlog
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from polyshop.runtime.tls import client_session

log = structlog.get_logger("polyshop.runtime.jwks")

_ALGORITHMS_BY_KTY: Mapping[str, frozenset[str]] = {
    "EC": frozenset({"ES256", "ES384", "ES512", "ES256K"}),
    "RSA": frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}),
    "OKP": frozenset({"EdDSA"}),
}


class KeysUnavailable(Exception):
    """No signing key could be loaded: the issuer's JWKS was never fetched."""


class KeySource(Protocol):
    """Where a `polyshop.runtime.jwt.JwtVerifier` finds the keys that may have signed a token
    (a `JwksKeySet`, or an issuer's own key ring)."""

    async def candidates(self, kid: str | None, algorithm: str) -> list[PyJWK]: ...


def parse_jwks(document: Any) -> dict[str | None, list[dict[str, Any]]]:
    """Usable signature keys of a JWKS document by ``kid`` (``None`` for unnamed keys)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWKS document is an object with a 'keys' list")
    keys: dict[str | None, list[dict[str, Any]]] = {}
    for raw in document["keys"]:
        if not isinstance(raw, dict) or raw.get("kty") not in _ALGORITHMS_BY_KTY:
            continue
        if raw.get("use", "sig") != "sig":
            continue
        kid = raw.get("kid")
        if kid is not None and not isinstance(kid, str):
            continue
        try:
            PyJWK(raw)
        except PyJWKError as error:
            log.warning("jwks.key_skipped", kid=kid, error=str(error))
            continue
        keys.setdefault(kid, []).append(raw)
    return keys


def key_for(raw: Mapping[str, Any], algorithm: str) -> PyJWK | None:
    """``raw`` as a verification key for ``algorithm``, or None when they do not fit."""
    if algorithm not in _ALGORITHMS_BY_KTY.get(str(raw.get("kty")), frozenset()):
        return None
    declared = raw.get("alg")
    if declared is not None and declared != algorithm:
        return None
    try:
        return PyJWK(dict(raw), algorithm=algorithm)
    except PyJWKError:
        return None


@dataclass(slots=True)
class _Source:
    url: str
    keys: dict[str | None, list[dict[str, Any]]] = field(default_factory=dict)
    fetched_at: float | None = None
    attempted_at: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class JwksKeySet:
    """The keys of every configured JWKS URL (a `KeySource`); one instance per process."""

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        session: aiohttp.ClientSession | None = None,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        ssl: SSLContext | None = None,
    ) -> None:
        """``ssl`` applies to the session this key set creates (not to ``session``), so an
        issuer that requires client certificates sees the process's own."""
        if isinstance(urls, str):
            urls = [urls]
        if not urls:
            raise ValueError("at least one JWKS URL is needed")
        self._sources = [_Source(url) for url in urls]
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session = session
        self._owns_session = session is None
        self._ssl = ssl
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.fetch_count = 0

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Fetches every URL once and keeps them fresh in the background."""
        await self.refresh()
        if self._task is None:
            self._task = asyncio.create_task(self._periodic(), name="jwks-refresh")

    async def refresh(self) -> None:
        """Fetches every URL now, whatever the cache says."""
        await asyncio.gather(*(self._refresh(source, force=True) for source in self._sources))

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    @property
    def kids(self) -> frozenset[str | None]:
        """The ``kid`` of every key held (None for unnamed keys)."""
        return frozenset(kid for source in self._sources for kid in source.keys)

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(self.cache_seconds)
            await self.refresh()

    # -- lookup -----------------------------------------------------------------------

    async def candidates(self, kid: str | None, algorithm: str) -> list[PyJWK]:
        """Keys that may have signed a token with this header; refreshes as described above.

        Raises `KeysUnavailable` when no URL could ever be fetched."""
        await asyncio.gather(
            *(self._refresh(s) for s in self._sources if self._stale(s)),
        )
        found = self._lookup(kid, algorithm)
        if not found and kid is not None:
            await asyncio.gather(*(self._refresh(s) for s in self._sources if self._may_retry(s)))
            found = self._lookup(kid, algorithm)
        if not found and all(s.fetched_at is None for s in self._sources):
            raise KeysUnavailable("no JWKS could be fetched")
        return found

    def _lookup(self, kid: str | None, algorithm: str) -> list[PyJWK]:
        raws: list[dict[str, Any]] = []
        for source in self._sources:
            if kid is not None:
                raws.extend(source.keys.get(kid, ()))
            else:
                for group in source.keys.values():
                    raws.extend(group)
        keys = (key_for(raw, algorithm) for raw in raws)
        return [key for key in keys if key is not None]

    def _stale(self, source: _Source) -> bool:
        if source.fetched_at is None:
            # Never fetched (the issuer was not up yet when we started): every lookup tries
            # again, callers waiting on the lock sharing one fetch, so that tokens verify the
            # moment the issuer answers rather than `min_refresh_seconds` later.
            return True
        return self._clock() - source.fetched_at >= self.cache_seconds and self._may_retry(source)

    def _may_retry(self, source: _Source) -> bool:
        attempted = source.attempted_at
        return attempted is None or self._clock() - attempted >= self.min_refresh_seconds

    # -- fetching ---------------------------------------------------------------------

    async def _refresh(self, source: _Source, *, force: bool = False) -> None:
        before = source.attempted_at
        async with source.lock:
            if not force and source.attempted_at != before:
                return  # another task fetched while we waited for the lock
            source.attempted_at = self._clock()
            try:
                document = await self._fetch(source.url)
                source.keys = parse_jwks(document)
                source.fetched_at = self._clock()
                log.debug("jwks.fetched", url=source.url, kids=sorted(map(str, source.keys)))
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                log.warning("jwks.fetch_failed", url=source.url, error=str(error))

    async def _fetch(self, url: str) -> Any:
        if self._session is None:
            self._session = client_session(self._ssl)
            self._owns_session = True
        self.fetch_count += 1
        async with self._session.get(
            url, timeout=self._timeout, headers={"Accept": "application/json"}
        ) as response:
            response.raise_for_status()
            return await response.json(content_type=None)
