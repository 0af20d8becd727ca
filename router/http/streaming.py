"""Subscriptions over plain HTTP: multipart responses as Apollo Router serves them, and
server-sent events in `graphql-sse`'s distinct connections mode; and the same multipart
framing for `@defer`'s incremental delivery (`Transport.DEFER`).

Multipart (``accept: multipart/mixed;subscriptionSpec=1.0``, what Apollo Client sends): the
response is ``multipart/mixed;boundary="graphql";subscriptionSpec="1.0"``; each event is a
part ``{"payload": <the GraphQL response>}``, a heartbeat part ``{}`` goes out every
``heartbeat`` seconds while no event comes, and an error ending the stream is a part
``{"payload": null, "errors": [...]}`` before the closing boundary.

SSE (``accept: text/event-stream``): each event is ``event: next`` with the response as its
data, the end is ``event: complete``; keep-alive comments (``:``) while idle.

When the caller's token expires (``expires_at``, its ``exp``) while the stream runs, the stream
ends as the WebSocket transport ends its operations: a last event carrying an
``UNAUTHENTICATED`` error ("The token expired; ..."), then the end (the closing boundary, or
``event: complete``); the client subscribes again with a fresh token.

Which transport a request wants is decided from its ``Accept`` header by `streaming_transport`.
The client closing the connection ends the stream (and, through the engine, the upstream
subscription when it was the last one using it).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import structlog

from .asgi import Receive, Send

log = structlog.get_logger("router.streaming")

BOUNDARY = b"graphql"
MULTIPART_TYPE = b'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
PART_HEAD = b"\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
MULTIPART_END = b"\r\n--graphql--\r\n"
HEARTBEAT = b"{}"
TOKEN_EXPIRED = {
    "errors": [
        {
            "message": "The token expired; subscribe again with a fresh one",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}


DEFER_TYPE = b'multipart/mixed;boundary="graphql";deferSpec=20220824'


class Transport(enum.Enum):
    MULTIPART = "multipart"
    SSE = "sse"
    DEFER = "defer"
    """Incremental delivery of a query with `@defer` (``deferSpec=20220824``): the same
    multipart framing, each part one payload as is (``{data, hasNext}``, then
    ``{hasNext, incremental}``), no heartbeat."""


def accepts_incremental(accept: str | None) -> bool:
    """Whether the client reads `@defer` payloads: ``multipart/mixed;deferSpec=20220824``
    (what Apollo Client sends for an operation with `@defer`), not refused with ``q=0``."""
    if not accept:
        return False
    for part in accept.lower().split(","):
        essence, _, params = part.strip().partition(";")
        if essence.strip() != "multipart/mixed":
            continue
        names = dict(
            (name.strip(), value.strip().strip('"'))
            for name, _, value in (p.partition("=") for p in params.split(";"))
        )
        if names.get("deferspec") == "20220824" and names.get("q", "1") not in ("0", "0.0"):
            return True
    return False


def streaming_transport(accept: str | None) -> Transport | None:
    """The streaming transport an ``Accept`` header asks for, if any."""
    if not accept:
        return None
    for part in accept.lower().split(","):
        essence, _, params = part.strip().partition(";")
        essence = essence.strip()
        if essence == "text/event-stream":
            return Transport.SSE
        if essence == "multipart/mixed" and "subscriptionspec" in params.replace(" ", ""):
            return Transport.MULTIPART
    return None


async def stream(
    transport: Transport,
    send: Send,
    receive: Receive,
    bodies: AsyncIterator[dict[str, Any]],
    *,
    heartbeat: float | None,
    headers: list[tuple[bytes, bytes]],
    expires_at: float | None = None,
    send_timeout: float | None = None,
) -> None:
    """Sends ``bodies`` as they come until they end, the client disconnects or the token
    expires (``expires_at``, seconds since the epoch: see the module docstring); a heartbeat
    part every ``heartbeat`` seconds while none comes (None: no heartbeat). A part that
    waits more than ``send_timeout`` seconds for a client that does not read ends the stream
    there, the response unfinished (the server then drops the connection): a slow client is
    not buffered for without bound (docs/decisions/0027)."""

    async def chunk(data: bytes) -> None:
        if send_timeout is None:
            await _chunk(send, data)
            return
        try:
            async with asyncio.timeout(send_timeout):
                await _chunk(send, data)
        except TimeoutError:
            raise _SlowClient from None

    content_type = {
        Transport.MULTIPART: MULTIPART_TYPE,
        Transport.SSE: b"text/event-stream",
        Transport.DEFER: DEFER_TYPE,
    }[transport]
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", content_type),
                (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"),
                *headers,
            ],
        }
    )
    disconnected = asyncio.create_task(_wait_for_disconnect(receive))
    iterator = aiter(bodies)
    try:
        while True:
            following = asyncio.ensure_future(anext(iterator))
            while True:
                wait = heartbeat
                if expires_at is not None:
                    left = max(0.0, expires_at - time.time())
                    wait = left if wait is None else min(wait, left)
                done, _ = await asyncio.wait(
                    {following, disconnected},
                    timeout=wait,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if disconnected in done:
                    following.cancel()
                    with contextlib.suppress(BaseException):
                        await following
                    return
                if following in done:
                    break
                if expires_at is not None and time.time() >= expires_at:
                    following.cancel()
                    with contextlib.suppress(BaseException):
                        await following
                    await chunk(_event(transport, TOKEN_EXPIRED))
                    await send(
                        {"type": "http.response.body", "body": _end(transport), "more_body": False}
                    )
                    return
                if heartbeat is not None:
                    await chunk(_heartbeat(transport))
            try:
                body = following.result()
            except StopAsyncIteration:
                break
            await chunk(_event(transport, body))
        await send({"type": "http.response.body", "body": _end(transport), "more_body": False})
    except _SlowClient:
        log.warning("router.stream_slow_client", timeout=send_timeout)
    finally:
        disconnected.cancel()
        close = getattr(iterator, "aclose", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close()


async def single(
    transport: Transport,
    send: Send,
    receive: Receive,
    body: dict[str, Any],
    headers: list[tuple[bytes, bytes]],
) -> None:
    """A one-result operation (a query or mutation) in the streaming format."""

    async def one() -> AsyncIterator[dict[str, Any]]:
        yield body

    await stream(transport, send, receive, one(), heartbeat=3600, headers=headers)


def _event(transport: Transport, body: dict[str, Any]) -> bytes:
    if transport is Transport.SSE:
        return b"event: next\ndata: " + orjson.dumps(body) + b"\n\n"
    if transport is Transport.DEFER:
        return PART_HEAD + orjson.dumps(body)
    if body.get("data") is None and body.get("errors") and "data" not in body:
        # An error ending the stream: a transport-level error, as Apollo Router sends it.
        return PART_HEAD + orjson.dumps({"payload": None, "errors": body["errors"]})
    return PART_HEAD + orjson.dumps({"payload": body})


def _heartbeat(transport: Transport) -> bytes:
    return b":\n\n" if transport is Transport.SSE else PART_HEAD + HEARTBEAT


def _end(transport: Transport) -> bytes:
    return b"event: complete\ndata:\n\n" if transport is Transport.SSE else MULTIPART_END


class _SlowClient(Exception):
    """A part waited longer than the send timeout for the client to read."""


async def _chunk(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
