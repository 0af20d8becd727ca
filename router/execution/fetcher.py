"""HTTP client for subgraph requests: one pooled aiohttp session per engine.

Request bodies arrive as bytes (built by the executor from pre-encoded parts); responses are
returned as bytes so that callers sharing a deduplicated request each parse their own copy.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp

JSON = "application/json"
ACCEPT = "application/graphql-response+json, application/json"


class FetchFailure(Exception):
    """The subgraph gave no usable HTTP response (refused, timeout, HTTP error status)."""

    def __init__(self, reason: str, status: int | None = None, body: bytes | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.body = body


class StaleConnection(FetchFailure):
    """The connection broke before an answer came: typically a pooled keep-alive connection
    that the subgraph closed while the request was being written. Safe to resend a query."""


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    """The response's raw headers (for the ``headers.*.response`` rules)."""


Send = Callable[[str, bytes, Mapping[str, str]], Awaitable[SubgraphResponse]]


class FetchObserver(Protocol):
    """Telemetry around subgraph requests (`router.telemetry` has the implementation).

    Without an observer the fetcher runs no telemetry code at all."""

    def deduplicated(self, service: str) -> None:
        """A request was answered by an identical one already in flight."""

    async def observe(
        self, service: str, body: bytes, headers: Mapping[str, str], send: Send
    ) -> SubgraphResponse:
        """Run ``send`` (a span, trace headers, timing, error counts around it)."""


@dataclass(frozen=True, slots=True)
class FetcherConfig:
    urls: Mapping[str, str]
    """Subgraph name → URL."""
    timeout: float = 30.0
    timeouts: Mapping[str, float] | None = None
    """Per-subgraph overrides of ``timeout``."""
    deduplicate: bool = False
    dedup_ignored_headers: frozenset[str] = frozenset()
    """Lower-cased headers left out of the deduplication key: per-request ids (correlation,
    ``x-request-id``) that do not change a subgraph's answer. Requests differing only in them
    share one fetch, which carries the first request's values."""
    max_connections: int = 512
    max_connections_per_subgraph: int = 128
    keepalive_timeout: float = 4.0
    """Idle pooled connections are dropped after this; kept below the 5 s idle timeout of
    uvicorn and Node servers, so the router rarely writes to a connection being closed."""
    tls_ca: str | None = None
    """CA bundle trusted for ``https`` subgraphs instead of the system's roots."""
    tls_certfile: str | None = None
    """Client certificate chain presented to subgraphs (mTLS without a mesh)."""
    tls_keyfile: str | None = None
    """Its private key, unless the chain file holds it."""


def client_ssl_context(config: FetcherConfig) -> ssl.SSLContext | None:
    """The TLS context of subgraph requests; None (aiohttp's default verification against the
    system's roots) when nothing is configured. TLS 1.2 is the floor."""
    if config.tls_ca is None and config.tls_certfile is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=config.tls_ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if config.tls_certfile is not None:
        context.load_cert_chain(config.tls_certfile, config.tls_keyfile)
    return context


class SubgraphFetcher:
    """POSTs GraphQL requests to subgraphs over a shared keep-alive pool."""

    def __init__(self, config: FetcherConfig, observer: FetchObserver | None = None) -> None:
        self.config = config
        self.observer = observer
        self._session: aiohttp.ClientSession | None = None
        self._inflight: dict[
            tuple[str, bytes, tuple[tuple[str, str], ...]], asyncio.Task[SubgraphResponse]
        ] = {}
        self._timeouts = {
            name: aiohttp.ClientTimeout(total=(config.timeouts or {}).get(name, config.timeout))
            for name in config.urls
        }
        self._default_timeout = aiohttp.ClientTimeout(total=config.timeout)

    async def start(self) -> None:
        if self._session is not None:
            return
        connector = aiohttp.TCPConnector(
            limit=self.config.max_connections,
            limit_per_host=self.config.max_connections_per_subgraph,
            keepalive_timeout=self.config.keepalive_timeout,
            ttl_dns_cache=300,
            ssl=client_ssl_context(self.config) or True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            skip_auto_headers=("User-Agent",),
            raise_for_status=False,
        )

    async def close(self) -> None:
        session, self._session = self._session, None
        for task in list(self._inflight.values()):
            task.cancel()
        self._inflight.clear()
        if session is not None:
            await session.close()

    async def fetch(
        self,
        service: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        dedupe: bool = False,
    ) -> SubgraphResponse:
        """POST ``body``; `FetchFailure` unless the subgraph answers with a 2xx status."""
        observer = self.observer
        send = self._send_query if dedupe else self._send
        if observer is not None:
            send = functools.partial(self._observed, send)
        if not (dedupe and self.config.deduplicate):
            return await send(service, body, headers)
        # Keyed before trace headers are added: those differ per request.
        ignored = self.config.dedup_ignored_headers
        key = (
            service,
            body,
            tuple(sorted(item for item in headers.items() if item[0] not in ignored)),
        )
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(send(service, body, headers))
            self._inflight[key] = task
            task.add_done_callback(lambda _t, k=key: self._forget(k))  # type: ignore[misc]
        elif observer is not None:
            observer.deduplicated(service)
        return await asyncio.shield(task)

    async def _observed(
        self, send: Send, service: str, body: bytes, headers: Mapping[str, str]
    ) -> SubgraphResponse:
        observer = self.observer
        assert observer is not None
        return await observer.observe(service, body, headers, send)

    async def _send_query(
        self, service: str, body: bytes, headers: Mapping[str, str]
    ) -> SubgraphResponse:
        """A query may be sent again: once, when a pooled connection turned out to be closed
        by the subgraph (a keep-alive race), on a new connection."""
        try:
            return await self._send(service, body, headers)
        except StaleConnection:
            return await self._send(service, body, headers, retrying=True)

    def _forget(self, key: tuple[str, bytes, tuple[tuple[str, str], ...]]) -> None:
        self._inflight.pop(key, None)

    async def _send(
        self,
        service: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        retrying: bool = False,
    ) -> SubgraphResponse:
        session = self._session
        if session is None:
            raise FetchFailure("the router's HTTP client is not started")
        url = self.config.urls.get(service)
        if url is None:
            raise FetchFailure(f"no URL is configured for subgraph '{service}'")
        request_headers = {**headers, "content-type": JSON, "accept": ACCEPT}
        try:
            async with session.post(
                url,
                data=body,
                headers=request_headers,
                timeout=self._timeouts.get(service, self._default_timeout),
            ) as response:
                payload = await response.read()
                if not 200 <= response.status < 300:
                    raise FetchFailure(
                        f"{response.status}: {response.reason or 'HTTP error'}",
                        response.status,
                        payload,
                    )
                return SubgraphResponse(response.status, payload, response.raw_headers)
        except TimeoutError as error:
            raise FetchFailure("request timed out") from error
        except aiohttp.ClientConnectorError as error:
            raise FetchFailure(f"error trying to connect: {error.os_error or error}") from error
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
            message = f"error sending request: {error or type(error).__name__}"
            if retrying:
                raise FetchFailure(message) from error
            raise StaleConnection(message) from error
        except aiohttp.ClientError as error:
            raise FetchFailure(f"error sending request: {error or type(error).__name__}") from error
