"""``orderUpdated`` over a real `graphql-transport-ws` connection (the `websockets` library) to
the orders app served by uvicorn, fed by the session's real NATS and PostgreSQL: the current
state first, then each status change exactly once, the saga's included; only the order's
customer sees it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext

from router.execution.subscriptions import SlowSubscriber, SubscriptionEnded, SubscriptionHub
from router.planning.nodes import FetchNode
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.kit.events.live import LiveEvents
from subgraphs.orders.app import create_app
from tests.support.eventually import eventually
from tests.support.keys import TestKeys
from tests.support.orders import PLACE, Catalog, Customer, orders_settings, publish, serve
from tests.support.ws_client import connected, next_payload, receive, subscribe, ws_url

UPDATED = """
subscription($id: ID!) { orderUpdated(orderId: $id) { id status cancelReason items { quantity } } }
"""


@pytest.fixture(scope="module")
def orders_live() -> list[LiveEvents]:
    """Filled with the served app's `LiveEvents` once its lifespan made it."""
    return []


@pytest.fixture(scope="module")
async def orders_url(
    orders_db: str, nats_url: str, products_url: str, keys: TestKeys, orders_live: list[LiveEvents]
) -> AsyncIterator[str]:
    app = create_app(
        orders_settings(orders_db, nats_url, products_url),
        verifier=keys.verifier(),
        token_settings=TokenSettings(client_id=None, client_secret=None),
    )
    async with serve(app) as url:
        orders_live.append(app.state.live)
        yield url


async def place(url: str, catalog: Catalog, customer: Customer) -> str:
    product = await catalog.add("10.00")
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{url}/graphql",
            json={
                "query": PLACE,
                "variables": {
                    "items": [{"productId": product, "quantity": 1}],
                    "currency": "USD",
                    "key": uuid.uuid4().hex,
                },
            },
            headers={"Authorization": f"Bearer {customer.token}"},
        )
    order_id: str = response.json()["data"]["placeOrder"]["id"]
    return order_id


def auth(customer: Customer) -> dict[str, str]:
    return {"Authorization": f"Bearer {customer.token}"}


async def test_current_state_then_each_saga_change_once(
    orders_url: str, catalog: Catalog, customer: Customer, js: JetStreamContext
) -> None:
    order_id = await place(orders_url, catalog, customer)
    async with connected(ws_url(orders_url), headers=auth(customer)) as socket:
        await subscribe(socket, "1", UPDATED, {"id": order_id})
        first = await next_payload(socket, "1")
        assert first == {
            "data": {
                "orderUpdated": {
                    "id": order_id,
                    "status": "CREATED",
                    "cancelReason": None,
                    "items": [{"quantity": 1}],
                }
            }
        }
        await publish(js, "inventory", "stock.reserved", order_id=order_id, items=[])
        second = await next_payload(socket, "1")
        assert second["data"]["orderUpdated"]["status"] == "PENDING_PAYMENT"
        await publish(
            js,
            "payments",
            "payment.failed",
            order_id=order_id,
            payment_id="p",
            reason="card declined",
        )
        third = await next_payload(socket, "1")
        assert third["data"]["orderUpdated"] == {
            "id": order_id,
            "status": "CANCELLED",
            "cancelReason": "payment failed: card declined",
            "items": [{"quantity": 1}],
        }
        # Nothing more: a duplicate saga event is stale, so a ping round trip comes back
        # before any further message.
        await publish(js, "inventory", "stock.reserved", order_id=order_id, items=[])
        await socket.send(json.dumps({"type": "ping"}))
        pong = await receive(socket)
        assert pong["type"] == "pong"
        await socket.send(json.dumps({"id": "1", "type": "complete"}))


async def test_rejected_stock_reaches_subscribers(
    orders_url: str, catalog: Catalog, customer: Customer, js: JetStreamContext
) -> None:
    order_id = await place(orders_url, catalog, customer)
    async with connected(ws_url(orders_url), headers=auth(customer)) as socket:
        await subscribe(socket, "a", UPDATED, {"id": order_id})
        assert (await next_payload(socket, "a"))["data"]["orderUpdated"]["status"] == "CREATED"
        await publish(
            js, "inventory", "stock.rejected", order_id=order_id, reason="none", product_ids=[]
        )
        update = (await next_payload(socket, "a"))["data"]["orderUpdated"]
        assert update["status"] == "CANCELLED"
        assert update["cancelReason"] == "stock rejected: none"


async def test_someone_elses_order_is_not_found(
    orders_url: str, catalog: Catalog, customer: Customer, keys: TestKeys
) -> None:
    order_id = await place(orders_url, catalog, customer)
    stranger = keys.user_token(str(uuid.uuid4()))
    async with connected(
        ws_url(orders_url), headers={"Authorization": f"Bearer {stranger}"}
    ) as socket:
        await subscribe(socket, "x", UPDATED, {"id": order_id})
        message: dict[str, Any] = await receive(socket)
        assert message["type"] in ("next", "error"), message
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_bad_token_cannot_open_a_socket(orders_url: str) -> None:
    import websockets

    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connected(ws_url(orders_url), headers={"Authorization": "Bearer nope"}):
            pass
    assert refused.value.response.status_code == 403


async def test_router_hub_shares_one_upstream_and_tears_it_down(
    orders_url: str,
    orders_live: list[LiveEvents],
    catalog: Catalog,
    customer: Customer,
    js: JetStreamContext,
) -> None:
    """The router's `SubscriptionHub` against this real subgraph: two identical client
    subscriptions open one upstream WebSocket subscription; both see each event; when both
    have left, the subgraph's live subscriber is gone too (counted, not slept on)."""
    order_id = await place(orders_url, catalog, customer)
    live = orders_live[0]
    hub = SubscriptionHub({"orders": f"{orders_url}/graphql"})
    fetch = FetchNode(
        service="orders",
        operation="subscription($id: ID!) { orderUpdated(orderId: $id) { id status } }",
        operation_kind="subscription",
        variable_usages=("id",),
    )
    headers = {"authorization": f"Bearer {customer.token}", "x-correlation-id": "a"}
    try:
        first = hub.events(fetch, {"id": order_id}, headers)
        second = hub.events(fetch, {"id": order_id}, {**headers, "x-correlation-id": "b"})
        one = await asyncio.wait_for(anext(first), 10)
        two = await asyncio.wait_for(anext(second), 10)
        assert one == two == {"data": {"orderUpdated": {"id": order_id, "status": "CREATED"}}}
        assert hub.opened == 1
        assert hub.active == 1
        assert live.subscriber_count == 1
        await publish(js, "inventory", "stock.reserved", order_id=order_id, items=[])
        for stream in (first, second):
            event = await asyncio.wait_for(anext(stream), 10)
            assert event["data"]["orderUpdated"]["status"] == "PENDING_PAYMENT"
        await first.aclose()
        assert hub.active == 1  # the other client still listens
        await second.aclose()
        assert hub.active == 0

        async def gone() -> bool:
            return live.subscriber_count == 0

        await eventually(gone, what="the subgraph's live subscriber to leave")
    finally:
        await hub.close()


async def test_router_hub_drops_a_slow_client_and_ends_streams_on_close(
    orders_url: str, catalog: Catalog, customer: Customer, js: JetStreamContext
) -> None:
    """A client that reads nothing falls past its queue (one event here) and is dropped with
    `SlowSubscriber`, while a reading client goes on; closing the hub (what a supergraph
    reload or shutdown does to the old engine) ends the remaining stream with the reason."""
    order_id = await place(orders_url, catalog, customer)
    hub = SubscriptionHub({"orders": f"{orders_url}/graphql"}, queue_size=1)
    fetch = FetchNode(
        service="orders",
        operation="subscription($id: ID!) { orderUpdated(orderId: $id) { status } }",
        operation_kind="subscription",
        variable_usages=("id",),
    )
    headers = {"authorization": f"Bearer {customer.token}"}
    try:
        reader = hub.events(fetch, {"id": order_id}, headers)
        slow = hub.events(fetch, {"id": order_id}, headers)
        assert (await asyncio.wait_for(anext(reader), 10))["data"]["orderUpdated"] == {
            "status": "CREATED"
        }
        slow_first = asyncio.ensure_future(anext(slow))  # joins, then reads nothing more
        assert (await asyncio.wait_for(slow_first, 10))["data"]["orderUpdated"] == {
            "status": "CREATED"
        }
        await publish(js, "inventory", "stock.reserved", order_id=order_id, items=[])
        assert (await asyncio.wait_for(anext(reader), 10))["data"]["orderUpdated"] == {
            "status": "PENDING_PAYMENT"
        }
        await publish(
            js, "payments", "payment.failed", order_id=order_id, payment_id="p", reason="x"
        )
        assert (await asyncio.wait_for(anext(reader), 10))["data"]["orderUpdated"] == {
            "status": "CANCELLED"
        }
        with pytest.raises(SlowSubscriber):
            await asyncio.wait_for(anext(slow), 10)
        await hub.close("The supergraph changed")
        with pytest.raises(SubscriptionEnded, match="The supergraph changed"):
            await asyncio.wait_for(anext(reader), 10)
        assert hub.active == 0
    finally:
        await hub.close()
