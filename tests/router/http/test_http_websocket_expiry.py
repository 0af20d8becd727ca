"""A WebSocket connection whose token expires: closed 4403 "Token expired" at the token's
``exp`` (a real `websockets` client against `GraphQLWebSocket` on uvicorn; the principal comes
from a verified token in production, here from the claims alone)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

import pytest
import websockets

from router.engine import RequestContext
from router.http.websocket import GraphQLWebSocket
from router.security import Principal
from tests.support.orders import serve


async def test_connection_closes_4403_when_the_token_expires() -> None:
    expires = time.time() + 1.0

    async def authenticate(headers: Mapping[str, str]) -> Principal | None:
        assert headers["authorization"] == "Bearer t"
        return Principal.from_claims({"sub": "u1", "exp": expires}, token="t")

    async def make_context(headers: Mapping[str, str], principal: Principal | None) -> Any:
        return RequestContext(headers={}, principal=principal)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await GraphQLWebSocket(
                scope,
                receive,
                send,
                engine=lambda: None,
                authenticate=authenticate,
                make_context=make_context,
            ).serve()
        elif scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})

    async with (
        serve(app) as url,
        websockets.connect(
            url.replace("http", "ws") + "/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        ) as socket,
    ):
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer t"}})
        )
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(json.dumps({"type": "ping"}))
        assert json.loads(await socket.recv())["type"] == "pong"  # still valid now
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
        assert socket.close_code == 4403
        assert socket.close_reason == "Token expired"
        assert time.time() >= expires
