"""HTTP client for subgraph requests: one pooled aiohttp session per subgraph and engine.

Request bodies arrive as bytes (built by the executor from pre-encoded parts); responses are
returned as bytes so that callers sharing a deduplicated request each parse their own copy.
A body that carries uploaded files' markers is sent as a multipart request (`uploads`). The
client asks for compressed responses (aiohttp's ``Accept-Encoding``: gzip, deflate, and br
with the brotli package installed) and decompresses them.

Bounds, so that no request can take a subgraph or the router down with it: at most
``max_connections`` requests (the subgraph's traffic policy) are in flight to one subgraph,
each on a connection of its pool of that size (the rest wait, within the subgraph's timeout,
for a slot: a failure naming the limit, never an unbounded queue in aiohttp's pool), and a
response body larger than ``max_response_bytes`` is abandoned as it streams in, never
buffered whole.

Traffic shaping (`router.execution.traffic`) applies per subgraph: its own timeout and pool
size; a circuit breaker asked before every attempt (open: `FetchFailure` with code
``SUBGRAPH_CIRCUIT_OPEN`` at once, no request sent); retries of failed *queries* only
(a mutation is sent once: it may have taken effect before the failure), each retry drawn
from the subgraph's retry budget. A keep-alive connection found closed is always resent
once, outside the budget (nothing reached the subgraph).

A `FetchFailure` has two texts: ``reason``, a fixed phrase safe for clients ("error trying to
connect"), and ``detail``, what the library said (addresses, OS errors), for logs and traces
only.
"""

from __future__ import annotations

import asyncio
import functools
import http
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

from .errors import SUBREQUEST_HTTP_ERROR
from .traffic import CIRCUIT_OPEN, RETRYABLE_STATUSES, SubgraphTraffic, TrafficPolicy
from .uploads import current_files

JSON = "application/json"
ACCEPT = "application/graphql-response+json, application/json"


class FetchFailure(Exception):
    """The subgraph gave no usable HTTP response (refused, timeout, HTTP error status).

    ``reason`` is a fixed phrase that may reach clients; ``detail`` (the library's message,
    internal addresses included) goes to logs and traces only."""

    def __init__(
        self,
        reason: str,
        status: int | None = None,
        body: bytes | None = None,
        *,
        detail: str | None = None,
        code: str = SUBREQUEST_HTTP_ERROR,
    ) -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.status = status
        self.body = body
        self.detail = detail or reason
        self.code = code

    @property
    def retryable(self) -> bool:
        """Worth another attempt of a query: no answer at all, or 502/503/504."""
        return self.code != CIRCUIT_OPEN and (
            self.status is None or self.status in RETRYABLE_STATUSES
        )

    @property
    def unhealthy(self) -> bool:
        """Counts against the subgraph's breaker: no answer, or a 5xx answer."""
        return self.status is None or self.status >= 500


class StaleConnection(FetchFailure):
    """The connection broke before an answer came: typically a pooled keep-alive connection
    that the subgraph closed while the request was being written. Safe to resend a query."""


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    """The subgraph's response headers (a multi-dict: repeated headers keep every value;
    read by subgraph-stage plugins and the ``headers.*.response`` rules)."""


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

    def retried(self, service: str) -> None:
        """A failed query is sent again (within the retry budget)."""

    def retry_refused(self, service: str) -> None:
        """A failed query is not sent again: the retry budget is spent."""

    def short_circuited(self, service: str) -> None:
        """A request was refused without being sent: the subgraph's breaker is open."""


@dataclass(frozen=True, slots=True)
class FetcherConfig:
    urls: Mapping[str, str]
    """Subgraph name → URL."""
    timeout: float = 30.0
    """Timeout of subgraphs without a policy in ``policies``."""
    policies: Mapping[str, TrafficPolicy] | None = None
    """Subgraph name → its traffic policy (timeout, pool size, retries, breaker)."""
    deduplicate: bool = False
    dedup_ignored_headers: frozenset[str] = frozenset()
    """Lower-cased headers left out of the deduplication key: per-request ids (correlation,
    ``x-request-id``) that do not change a subgraph's answer. Requests differing only in them
    share one fetch, which carries the first request's values."""
    max_response_bytes: int | None = None
    """Largest subgraph response body read (None: unlimited)."""
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
    """POSTs GraphQL requests to subgraphs, each over its own keep-alive pool."""

    def __init__(self, config: FetcherConfig, observer: FetchObserver | None = None) -> None:
        self.config = config
        self.observer = observer
        self._sessions: dict[str, aiohttp.ClientSession] | None = None
        self._inflight: dict[
            tuple[str, bytes, tuple[tuple[str, str], ...]], asyncio.Task[SubgraphResponse]
        ] = {}
        default = TrafficPolicy(timeout=config.timeout)
        policies = config.policies or {}
        self.traffic = {name: SubgraphTraffic(policies.get(name, default)) for name in config.urls}
        """Subgraph name → its policy and state (retry budget, breaker)."""
        self._timeouts = {
            name: aiohttp.ClientTimeout(total=traffic.policy.timeout)
            for name, traffic in self.traffic.items()
        }
        self._default_timeout = aiohttp.ClientTimeout(total=config.timeout)
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._busy: dict[str, int] = {}
        self.peak_in_flight: dict[str, int] = {}
        """Most requests ever in flight to each subgraph at once."""

    async def start(self) -> None:
        if self._sessions is not None:
            return
        ssl_context = client_ssl_context(self.config) or True
        sessions: dict[str, aiohttp.ClientSession] = {}
        for name, traffic in self.traffic.items():
            connector = aiohttp.TCPConnector(
                limit=traffic.policy.max_connections,
                limit_per_host=0,
                keepalive_timeout=self.config.keepalive_timeout,
                ttl_dns_cache=300,
                ssl=ssl_context,
            )
            sessions[name] = aiohttp.ClientSession(
                connector=connector,
                skip_auto_headers=("User-Agent",),
                raise_for_status=False,
            )
        self._sessions = sessions

    async def close(self) -> None:
        sessions, self._sessions = self._sessions, None
        for task in list(self._inflight.values()):
            task.cancel()
        self._inflight.clear()
        for session in (sessions or {}).values():
            await session.close()

    async def fetch(
        self,
        service: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        dedupe: bool = False,
    ) -> SubgraphResponse:
        """POST ``body``; `FetchFailure` unless the subgraph answers with a 2xx status.

        ``dedupe`` marks a query: it may be shared with identical ones in flight (when the
        fetcher deduplicates) and retried; anything else is sent at most once."""
        observer = self.observer
        send = self._shaped_query if dedupe else self._shaped_once
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

    async def _shaped_query(
        self, service: str, body: bytes, headers: Mapping[str, str]
    ) -> SubgraphResponse:
        return await self._shaped(service, body, headers, query=True)

    async def _shaped_once(
        self, service: str, body: bytes, headers: Mapping[str, str]
    ) -> SubgraphResponse:
        return await self._shaped(service, body, headers, query=False)

    async def _shaped(
        self, service: str, body: bytes, headers: Mapping[str, str], *, query: bool
    ) -> SubgraphResponse:
        """Breaker, then the request, then (queries only) retries within the budget."""
        traffic = self.traffic.get(service)
        if traffic is None:
            return await self._send(service, body, headers)
        breaker = traffic.breaker
        budget = traffic.budget if query else None
        if budget is not None:
            budget.deposit()
        retries_left = traffic.policy.retry_attempts if budget is not None else 0
        observer = self.observer
        while True:
            if breaker is not None and not breaker.allow():
                if observer is not None:
                    observer.short_circuited(service)
                raise FetchFailure(
                    f"circuit breaker open for subgraph '{service}': not sending requests "
                    "while it is failing",
                    code=CIRCUIT_OPEN,
                )
            try:
                response = await self._send_resending_stale(service, body, headers, query)
            except asyncio.CancelledError:
                if breaker is not None:
                    breaker.abandoned()
                raise
            except FetchFailure as failure:
                if breaker is not None:
                    if failure.unhealthy:
                        breaker.failure()
                    else:
                        breaker.success()
                if retries_left <= 0 or not failure.retryable:
                    raise
                assert budget is not None
                if not budget.withdraw():
                    if observer is not None:
                        observer.retry_refused(service)
                    raise
                retries_left -= 1
                if observer is not None:
                    observer.retried(service)
                continue
            if breaker is not None:
                breaker.success()
            return response

    async def _send_resending_stale(
        self, service: str, body: bytes, headers: Mapping[str, str], query: bool
    ) -> SubgraphResponse:
        """A query is resent once, on a new connection, when a pooled connection turned out
        to be closed by the subgraph (a keep-alive race)."""
        if not query:
            return await self._send(service, body, headers)
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
        sessions = self._sessions
        if sessions is None:
            raise FetchFailure("the router's HTTP client is not started")
        url = self.config.urls.get(service)
        session = sessions.get(service)
        if url is None or session is None:
            raise FetchFailure("no URL is configured for this subgraph")
        limit = self.traffic[service].policy.max_connections
        slot = self._slots.get(service)
        if slot is None:
            slot = self._slots[service] = asyncio.Semaphore(limit)
        if slot.locked():  # wait for a slot, within the subgraph's timeout
            timeout = self._timeouts.get(service, self._default_timeout).total
            try:
                await asyncio.wait_for(slot.acquire(), timeout)
            except TimeoutError as error:
                raise FetchFailure(
                    "request timed out", detail=f"no free slot of {limit} within {timeout} s"
                ) from error
        else:  # the common case: a free slot, taken without a timer task
            await slot.acquire()
        self._busy[service] = self._busy.get(service, 0) + 1
        self.peak_in_flight[service] = max(self.peak_in_flight.get(service, 0), self._busy[service])
        try:
            return await self._post(session, url, service, body, headers, retrying)
        finally:
            self._busy[service] -= 1
            slot.release()

    async def _post(
        self,
        session: aiohttp.ClientSession,
        url: str,
        service: str,
        body: bytes,
        headers: Mapping[str, str],
        retrying: bool,
    ) -> SubgraphResponse:
        files = current_files.get()
        data: bytes | aiohttp.FormData = body
        if files is not None and files.encoded_prefix in body:
            # Uploaded files go on as a multipart request (GraphQL multipart request spec).
            data = files.form(body)
            request_headers = {**headers, "accept": ACCEPT, "apollo-require-preflight": "true"}
        else:
            request_headers = {**headers, "content-type": JSON, "accept": ACCEPT}
        try:
            async with session.post(
                url,
                data=data,
                headers=request_headers,
                timeout=self._timeouts.get(service, self._default_timeout),
            ) as response:
                payload = await self._read(response)
                if not 200 <= response.status < 300:
                    raise FetchFailure(
                        f"{response.status}: {_phrase(response.status)}",
                        response.status,
                        payload,
                        detail=f"{response.status}: {response.reason or 'HTTP error'}",
                    )
                return SubgraphResponse(response.status, payload, response.headers)
        except TimeoutError as error:
            raise FetchFailure("request timed out") from error
        except aiohttp.ClientConnectorError as error:
            raise FetchFailure(
                "error trying to connect", detail=f"error trying to connect: {error}"
            ) from error
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
            detail = f"error sending request: {error or type(error).__name__}"
            if retrying:
                raise FetchFailure("error sending request", detail=detail) from error
            raise StaleConnection("error sending request", detail=detail) from error
        except aiohttp.ClientError as error:
            raise FetchFailure(
                "error sending request",
                detail=f"error sending request: {error or type(error).__name__}",
            ) from error

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, or `FetchFailure` as soon as it grows past ``max_response_bytes``."""
        limit = self.config.max_response_bytes
        if limit is None:
            return await response.read()
        declared = response.content_length
        if declared is not None:
            if declared > limit:
                raise _too_large(limit, f"Content-Length {declared}")
            return await response.read()
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, f"more than {size} bytes streamed")
            chunks.append(chunk)
        return b"".join(chunks)


def _too_large(limit: int, what: str) -> FetchFailure:
    return FetchFailure(
        f"response exceeds the limit of {limit} bytes", detail=f"response too large: {what}"
    )


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"
