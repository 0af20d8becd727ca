"""Subscriptions toward the subgraphs: one upstream ``graphql-transport-ws`` stream per
distinct root subscription fetch, shared by every client subscription that needs it.

A subscription's plan is the planner's ordinary plan for the operation: a root `FetchNode`
whose ``operation_kind`` is ``"subscription"`` (to the subgraph owning the root field),
followed by the entity fetches for other subgraphs' fields (`split_plan`). The root fetch is
not sent over HTTP: `SubscriptionHub` opens it as a WebSocket subscription (aiohttp's client,
the router's own session and headers) and each event it delivers stands for the root fetch's
response; the engine then runs the rest of the plan against that event with the same
executor, per event.

Deduplication: clients whose root fetch is identical (same subgraph, operation, variables and
identity headers) share one upstream stream; it is opened with the first and closed when the
last leaves. Each client has its own bounded queue: a client that falls ``queue_size`` events
behind is dropped with `SlowSubscriber` rather than buffered without bound. A supergraph
reload ends single client streams (`end`, by the tag they were opened with) whose plan the
new supergraph changes, leaving the shared upstream to the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import structlog

from ..planning.nodes import FetchNode, PlanNode, QueryPlan, SequenceNode

log = structlog.get_logger("router.subscriptions")

PROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT = 10.0
DEFAULT_QUEUE_SIZE = 128
UNSHARED_HEADERS = frozenset({"x-forwarded-for", "x-correlation-id", "x-request-id"})
"""Per-request headers that do not make two upstream subscriptions different."""

Event = dict[str, Any]
"""One upstream ``next`` payload: ``{"data": ..., "errors": [...]}``."""


class SubscriptionEnded(Exception):
    """The upstream stream failed; ``message`` is what the client is told."""


class SlowSubscriber(Exception):
    """The client fell too far behind the events and was dropped."""


def split_plan(plan: QueryPlan) -> tuple[FetchNode, PlanNode | None]:
    """The root subscription fetch, and what runs after it for each event."""
    node = plan.node
    if isinstance(node, FetchNode) and node.operation_kind == "subscription":
        return node, None
    if isinstance(node, SequenceNode) and node.nodes:
        first = node.nodes[0]
        if isinstance(first, FetchNode) and first.operation_kind == "subscription":
            rest = node.nodes[1:]
            if not rest:
                return first, None
            return first, rest[0] if len(rest) == 1 else SequenceNode(rest)
    raise ValueError("not a subscription plan: no root subscription fetch")


@dataclass(frozen=True, slots=True)
class UpstreamKey:
    service: str
    operation: str
    variables: bytes
    headers: tuple[tuple[str, str], ...]


_END: Any = object()


class _Listener:
    def __init__(self, queue_size: int, tag: object = None) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=queue_size)
        self.dropped = False
        self.tag = tag

    def end(self, error: Exception) -> None:
        """Ends this listener's stream with ``error`` (what it had not read yet is dropped)."""
        if self.dropped:
            return
        self.dropped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(error)

    def offer(self, item: Any) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(SlowSubscriber("The client fell too far behind the events"))


class _Upstream:
    """One upstream stream and its listeners."""

    def __init__(self, hub: SubscriptionHub, key: UpstreamKey, url: str) -> None:
        self.hub = hub
        self.key = key
        self.url = url
        self.listeners: set[_Listener] = set()
        self.task: asyncio.Task[None] | None = None
        self.last: Event | None = None
        """The latest event, replayed to a client that joins a running stream: the
        subgraph sent the current state first to the stream's first client only."""

    def broadcast(self, item: Any) -> None:
        if isinstance(item, dict):
            self.last = item
        for listener in list(self.listeners):
            listener.offer(item)

    async def run(self, fetch: FetchNode, variables: Mapping[str, Any]) -> None:
        try:
            async for event in self.hub.open_stream(self.url, fetch, variables, self.key.headers):
                self.broadcast(event)
            self.broadcast(_END)
        except asyncio.CancelledError:
            raise
        except SubscriptionEnded as error:
            self.broadcast(error)
        except Exception as error:  # the client gets a clear error, the router stays up
            log.warning(
                "router.subscription_upstream_failed", service=self.key.service, error=repr(error)
            )
            self.broadcast(SubscriptionEnded(f"The subscription to {self.key.service} failed"))
        finally:
            self.hub.forget(self)


class SubscriptionHub:
    """The process's upstream subscriptions, deduplicated (see the module docstring)."""

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.urls = dict(urls)
        self.queue_size = queue_size
        self._session = session
        self._owns_session = session is None
        self._upstreams: dict[UpstreamKey, _Upstream] = {}
        self.opened = 0
        """Upstream streams opened so far (the deduplication instrument)."""

    @property
    def active(self) -> int:
        return len(self._upstreams)

    async def close(self, reason: str = "The router is shutting down") -> None:
        """Ends every stream: each client gets `SubscriptionEnded` with ``reason``."""
        for upstream in list(self._upstreams.values()):
            upstream.broadcast(SubscriptionEnded(reason))
            if upstream.task is not None:
                upstream.task.cancel()
        for upstream in list(self._upstreams.values()):
            if upstream.task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await upstream.task
        self._upstreams.clear()
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def forget(self, upstream: _Upstream) -> None:
        if self._upstreams.get(upstream.key) is upstream:
            del self._upstreams[upstream.key]

    def end(self, tag: object, message: str) -> bool:
        """Ends the one client stream opened with ``tag`` (`events`) with
        `SubscriptionEnded` (``message``); the upstream goes on for the others."""
        for upstream in self._upstreams.values():
            for listener in upstream.listeners:
                if listener.tag is tag:
                    listener.end(SubscriptionEnded(message))
                    return True
        return False

    async def events(
        self,
        fetch: FetchNode,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
        *,
        tag: object = None,
    ) -> AsyncIterator[Event]:
        """The root fetch's events for one client; raises `SubscriptionEnded` or
        `SlowSubscriber` when the stream ends badly, returns when it completes. ``tag``
        names this client's stream for `end`."""
        used = {name: variables[name] for name in fetch.variable_usages if name in variables}
        key = UpstreamKey(
            fetch.service,
            fetch.operation,
            orjson.dumps(used, option=orjson.OPT_SORT_KEYS),
            tuple(sorted((k, v) for k, v in headers.items() if k.lower() not in UNSHARED_HEADERS)),
        )
        upstream = self._upstreams.get(key)
        if upstream is None:
            url = self.urls.get(fetch.service)
            if url is None:
                raise SubscriptionEnded(f"No URL for subgraph {fetch.service}")
            upstream = self._upstreams[key] = _Upstream(self, key, url)
            upstream.task = asyncio.create_task(upstream.run(fetch, used))
            self.opened += 1
        listener = _Listener(self.queue_size, tag)
        if upstream.last is not None:
            listener.offer(upstream.last)
        upstream.listeners.add(listener)
        try:
            while True:
                item = await listener.queue.get()
                if item is _END:
                    return
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            upstream.listeners.discard(listener)
            if not upstream.listeners and upstream.task is not None:
                upstream.task.cancel()
                self.forget(upstream)

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            # No pool limit: each upstream stream holds its connection for its lifetime, so
            # aiohttp's default of 100 would leave the 101st stream waiting for ever; their
            # number is bounded by ``subscription.max_opened_subscriptions`` instead.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self._session

    async def open_stream(
        self,
        url: str,
        fetch: FetchNode,
        variables: Mapping[str, Any],
        headers: tuple[tuple[str, str], ...],
    ) -> AsyncIterator[Event]:
        """One ``graphql-transport-ws`` subscription to ``url``: init, subscribe, the ``next``
        payloads; an ``error`` message or an abnormal close raises `SubscriptionEnded`."""
        session = await self._client()
        ws_url = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        try:
            socket = await session.ws_connect(
                ws_url, protocols=(PROTOCOL,), headers=dict(headers), heartbeat=None
            )
        except aiohttp.WSServerHandshakeError as error:
            raise SubscriptionEnded(
                f"{fetch.service} refused the subscription (HTTP {error.status})"
            ) from error
        except (aiohttp.ClientError, OSError) as error:
            raise SubscriptionEnded(f"{fetch.service} could not be reached") from error
        ids = itertools.count(1)
        async with socket:
            await socket.send_str(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
            try:
                ack = await socket.receive_json(timeout=INIT_TIMEOUT)
            except (TypeError, ValueError, TimeoutError) as error:
                raise SubscriptionEnded(
                    f"{fetch.service} did not acknowledge (closed {socket.close_code})"
                ) from error
            if not isinstance(ack, dict) or ack.get("type") != "connection_ack":
                raise SubscriptionEnded(f"{fetch.service} did not acknowledge")
            sub_id = str(next(ids))
            payload: dict[str, Any] = {"query": fetch.operation, "variables": dict(variables)}
            if fetch.operation_name:
                payload["operationName"] = fetch.operation_name
            await socket.send_str(
                orjson.dumps({"id": sub_id, "type": "subscribe", "payload": payload}).decode()
            )
            async for message in socket:
                if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    break
                body = orjson.loads(message.data)
                kind = body.get("type")
                if kind == "ping":
                    await socket.send_str('{"type":"pong"}')
                elif kind == "next" and body.get("id") == sub_id:
                    event = body.get("payload")
                    if isinstance(event, dict):
                        yield event
                elif kind == "error" and body.get("id") == sub_id:
                    errors = body.get("payload")
                    yield {"data": None, "errors": errors if isinstance(errors, list) else []}
                    return
                elif kind == "complete" and body.get("id") == sub_id:
                    return
            raise SubscriptionEnded(
                f"The connection to {fetch.service} closed (code {socket.close_code})"
            )
