"""A small `graphql-transport-ws` client over the real `websockets` library, for tests that
need to see the protocol's frames and close codes (the Node clients cover the happy paths)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

SUBPROTOCOL = "graphql-transport-ws"


def ws_url(http_url: str, path: str = "/graphql") -> str:
    return http_url.replace("http://", "ws://", 1).rstrip("/") + path


@asynccontextmanager
async def connected(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    payload: Mapping[str, Any] | None = None,
    init: bool = True,
) -> AsyncIterator[ClientConnection]:
    """An open connection, acknowledged (``connection_ack`` received) when ``init``."""
    async with websockets.connect(
        url,
        subprotocols=[SUBPROTOCOL],
        additional_headers=dict(headers or {}),  # type: ignore[list-item]
    ) as socket:
        if init:
            message: dict[str, Any] = {"type": "connection_init"}
            if payload is not None:
                message["payload"] = dict(payload)
            await socket.send(json.dumps(message))
            ack = await receive(socket)
            assert ack["type"] == "connection_ack", ack
        yield socket


async def receive(socket: ClientConnection, wait: float = 10.0) -> dict[str, Any]:
    """The next message other than a server ``ping`` (answered with ``pong``, as the protocol
    asks of every client)."""
    while True:
        raw = await asyncio.wait_for(socket.recv(), wait)
        message: dict[str, Any] = json.loads(raw)
        if message.get("type") == "ping":
            await socket.send(json.dumps({"type": "pong"}))
            continue
        return message


async def subscribe(
    socket: ClientConnection, id: str, query: str, variables: Mapping[str, Any] | None = None
) -> None:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = dict(variables)
    await socket.send(json.dumps({"id": id, "type": "subscribe", "payload": payload}))


async def next_payload(socket: ClientConnection, id: str, wait: float = 10.0) -> Any:
    """The payload of the next ``next`` of ``id`` (pings are answered, others fail)."""
    while True:
        message = await receive(socket, wait)
        if message["type"] == "ping":
            await socket.send(json.dumps({"type": "pong"}))
            continue
        assert message.get("id") == id, message
        assert message["type"] == "next", message
        return message["payload"]
