"""WebSocket upgrades get a clean refusal (501 with a GraphQL error), never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest
import pytest_asyncio
from http_subgraph import SubgraphServer
from router_harness import RunningRouter, running_router, settings_for


@pytest_asyncio.fixture(scope="module")
async def router(subgraphs: dict[str, SubgraphServer]) -> AsyncIterator[RunningRouter]:
    async with running_router(settings_for(subgraphs)) as running:
        yield running


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
