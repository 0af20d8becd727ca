"""With subscriptions disabled, WebSocket upgrades get a clean refusal (501 with a GraphQL
error), never a 500; enabled, an unknown subprotocol is closed 4406 (graphql-ws's code)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest
import pytest_asyncio

from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer


@pytest_asyncio.fixture(scope="module")
async def router(subgraphs: dict[str, SubgraphServer]) -> AsyncIterator[RunningRouter]:
    settings = settings_for(subgraphs, subscription={"enabled": False})
    async with running_router(settings) as running:
        yield running


async def test_legacy_subprotocol_is_closed_4406(subgraphs: dict[str, SubgraphServer]) -> None:
    async with running_router(settings_for(subgraphs)) as running:
        socket = await running.session.ws_connect(running.graphql, protocols=("graphql-ws",))
        message = await socket.receive()
        assert message.type is aiohttp.WSMsgType.CLOSE
        assert socket.close_code == 4406
        await socket.close()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_websocket_upgrade_is_refused_cleanly(router: RunningRouter, protocol: str) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
        await router.session.ws_connect(router.graphql, protocols=(protocol,))
    assert raised.value.status == 501


async def test_refusal_says_why_and_the_router_stays_up(router: RunningRouter) -> None:
    headers = {
        "connection": "Upgrade",
        "upgrade": "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-protocol": "graphql-transport-ws",
    }
    async with router.session.get(router.graphql, headers=headers) as response:
        assert response.status == 501
        body = orjson.loads(await response.read())
    error = body["errors"][0]
    assert error["extensions"]["code"] == "SUBSCRIPTION_NOT_SUPPORTED"
    assert "WebSocket" in error["message"]
    async with router.session.post(
        router.graphql, json={"query": "{ topProducts(first: 1) { id } }"}
    ) as response:
        assert response.status == 200


async def test_draining_closes_websockets_1001_after_ready_turns_false(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    """SIGTERM's hook: /ready says 503 at once, open connections are closed 1001 (going
    away) when the listener would close, ``shutdown_delay`` later."""
    settings = settings_for(subgraphs, shutdown_delay=0.3)
    async with running_router(settings) as running:
        socket = await running.session.ws_connect(
            running.graphql, protocols=("graphql-transport-ws",)
        )
        await socket.send_str('{"type":"connection_init"}')
        assert (await socket.receive_json())["type"] == "connection_ack"
        running.app._start_draining()
        async with running.session.get(running.url + "/ready") as response:
            assert response.status == 503
        message = await socket.receive(timeout=5)
        assert message.type is aiohttp.WSMsgType.CLOSE
        assert socket.close_code == 1001
        await socket.close()
        async with running.session.post(
            running.graphql, json={"query": "{ topProducts(first: 1) { id } }"}
        ) as response:
            assert response.status == 200
