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

Which transport a request wants is decided from its ``Accept`` header by `streaming_transport`.
The client closing the connection ends the stream (and, through the engine, the upstream
subscription when it was the last one using it).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncIterator
from typing import Any

import orjson

from .asgi import Receive, Send

BOUNDARY = b"graphql"
MULTIPART_TYPE = b'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
PART_HEAD = b"\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
MULTIPART_END = b"\r\n--graphql--\r\n"
HEARTBEAT = b"{}"


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
) -> None:
    """Sends ``bodies`` as they come until they end or the client disconnects (a heartbeat
    part every ``heartbeat`` seconds while none comes; None: no heartbeat)."""
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
                done, _ = await asyncio.wait(
                    {following, disconnected},
                    timeout=heartbeat,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if disconnected in done:
                    following.cancel()
                    with contextlib.suppress(BaseException):
                        await following
                    return
                if following in done:
                    break
                await _chunk(send, _heartbeat(transport))
            try:
                body = following.result()
            except StopAsyncIteration:
                break
            await _chunk(send, _event(transport, body))
        await send({"type": "http.response.body", "body": _end(transport), "more_body": False})
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


async def _chunk(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
