"""The HTTP streaming formats on a real uvicorn server read by aiohttp: Apollo's multipart
subscription framing with heartbeats while idle, SSE's next/complete events, the client
going away ending the stream, and the router-wide subscription limit."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from router.http import RouterApp
from router.http.errors import HttpError
from router.http.streaming import Transport, stream, streaming_transport
from router.settings import RouterSettings
from tests.support.eventually import eventually
from tests.support.orders import serve


def app_streaming(
    transport: Transport,
    events: list[dict[str, Any]],
    gap: float,
    ended: list[str],
    expires_at: float | None = None,
) -> Any:
    async def bodies() -> AsyncIterator[dict[str, Any]]:
        try:
            for event in events:
                await asyncio.sleep(gap)
                yield event
        finally:
            ended.append("closed")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await stream(
                transport,
                send,
                receive,
                bodies(),
                heartbeat=0.1,
                headers=[],
                expires_at=expires_at,
            )
        elif scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})

    return app


def test_accept_headers_pick_the_transport() -> None:
    assert streaming_transport("multipart/mixed;subscriptionSpec=1.0, application/json") is (
        Transport.MULTIPART
    )
    assert streaming_transport('multipart/mixed; subscriptionSpec="1.0"') is Transport.MULTIPART
    assert streaming_transport("text/event-stream") is Transport.SSE
    assert streaming_transport("multipart/mixed") is None  # @defer's, not a subscription's
    assert streaming_transport("application/json") is None
    assert streaming_transport(None) is None


async def test_multipart_parts_heartbeats_and_the_closing_boundary() -> None:
    events = [{"data": {"n": 1}}, {"errors": [{"message": "gone"}]}]
    ended: list[str] = []
    async with (
        serve(app_streaming(Transport.MULTIPART, events, 0.35, ended)) as url,
        aiohttp.ClientSession() as session,
        session.post(url + "/graphql") as response,
    ):
        assert response.headers["content-type"] == (
            'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
        )
        text = (await response.read()).decode()
    assert text.endswith("\r\n--graphql--\r\n")
    parts = [
        json.loads(chunk.split("\r\n\r\n", 1)[1])
        for chunk in text.removesuffix("\r\n--graphql--\r\n").split("\r\n--graphql\r\n")
        if chunk
    ]
    payloads = [p for p in parts if p != {}]
    assert payloads == [
        {"payload": {"data": {"n": 1}}},
        {"payload": None, "errors": [{"message": "gone"}]},
    ]
    assert len(parts) - len(payloads) >= 4  # heartbeats while each event took 0.35 s
    assert ended == ["closed"]


async def test_sse_events_then_complete() -> None:
    ended: list[str] = []
    async with (
        serve(app_streaming(Transport.SSE, [{"data": {"n": 1}}], 0.0, ended)) as url,
        aiohttp.ClientSession() as session,
        session.post(url + "/graphql") as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        text = (await response.read()).decode()
    assert text == 'event: next\ndata: {"data":{"n":1}}\n\nevent: complete\ndata:\n\n'


async def test_a_client_leaving_ends_the_stream() -> None:
    ended: list[str] = []
    many = [{"data": {"n": n}} for n in range(1000)]
    async with serve(app_streaming(Transport.SSE, many, 0.05, ended)) as url:
        async with aiohttp.ClientSession() as session, session.post(url + "/graphql") as response:
            assert (await response.content.readline()).startswith(b"event: next")
        await eventually(lambda: bool(ended), what="the server's generator to close")
    assert ended == ["closed"]


@pytest.mark.parametrize("transport", [Transport.MULTIPART, Transport.SSE])
async def test_an_expired_token_ends_the_stream_with_an_error(transport: Transport) -> None:
    """Events every 0.2 s for 200 s; the token expires after 1 s: the stream ends then with
    an UNAUTHENTICATED error and the transport's proper end, and the events stop."""
    ended: list[str] = []
    events = [{"data": {"n": n}} for n in range(1000)]
    expires = time.time() + 1.0
    async with (
        serve(app_streaming(transport, events, 0.2, ended, expires_at=expires)) as url,
        aiohttp.ClientSession() as session,
        session.post(url + "/graphql") as response,
    ):
        text = (await asyncio.wait_for(response.read(), 20)).decode()
    assert time.time() >= expires
    assert ended == ["closed"]
    error = {
        "message": "The token expired; subscribe again with a fresh one",
        "extensions": {"code": "UNAUTHENTICATED"},
    }
    if transport is Transport.SSE:
        assert text.endswith(
            f"event: next\ndata: {json.dumps({'errors': [error]}, separators=(',', ':'))}\n\n"
            "event: complete\ndata:\n\n"
        )
        assert 1 <= text.count('"n":') < 10
    else:
        assert text.endswith("\r\n--graphql--\r\n")
        last = text.removesuffix("\r\n--graphql--\r\n").rsplit("\r\n\r\n", 1)[1]
        assert json.loads(last) == {"payload": None, "errors": [error]}
        assert 1 <= text.count('"n":') < 10


def test_the_router_wide_limit_refuses_the_next_subscription() -> None:
    app = RouterApp(RouterSettings(subscription={"max_opened_subscriptions": 1}))
    with app.admit_subscription():
        assert app.open_subscriptions == 1
        with pytest.raises(HttpError) as refused:
            app.admit_subscription()
        assert refused.value.code == "SUBSCRIPTION_LIMIT"
        assert refused.value.status == 503
    assert app.open_subscriptions == 0
    with app.admit_subscription():
        pass
