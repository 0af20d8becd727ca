"""``stockChanged`` over a real `graphql-transport-ws` connection to the inventory app on
uvicorn: the watched products' stock first, then each change the saga makes (reserved by
``order.created``, released by ``order.cancelled``), delivered through the outbox, the
session's NATS and the live fan-out; unwatched products stay silent."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.inventory import service
from subgraphs.inventory.app import create_app
from subgraphs.inventory.settings import InventorySettings
from subgraphs.kit.events import EventBus, EventPayload, ensure_event_stream, new_event
from subgraphs.kit.events.contracts import OrderCancelled, OrderCreated, OrderedItem
from tests.support.orders import serve
from tests.support.ws_client import connected, next_payload, receive, subscribe, ws_url

A, B, C = 9_300_001, 9_300_002, 9_300_003
WATCH = """
subscription($ids: [ID!]!) {
  stockChanged(productIds: $ids) { id inStock stock { available reserved } }
}
"""


@pytest.fixture(scope="module")
async def inventory_url(inventory_settings: InventorySettings, nats_url: str) -> AsyncIterator[str]:
    settings = inventory_settings.model_copy(
        update={
            "nats_url": nats_url,
            "events_relay_poll_interval": 0.2,
            "events_consumer_fetch_timeout": 0.5,
        }
    )
    async with serve(create_app(settings, verify_tokens=False, events=True)) as url:
        yield url


def level(pid: int, available: int, reserved: int) -> dict[str, object]:
    stock = {"available": available, "reserved": reserved}
    return {"data": {"stockChanged": {"id": str(pid), "inStock": available > 0, "stock": stock}}}


async def test_current_stock_then_reservation_and_release(
    inventory_url: str,
    inventory_settings: InventorySettings,
    nats_url: str,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await service.set_stock(session, A, 5)
        await service.set_stock(session, B, 1)
        await service.set_stock(session, C, 9)
    bus = EventBus(inventory_settings.model_copy(update={"nats_url": nats_url}), name="t")
    js = await bus.jetstream()
    await ensure_event_stream(js, "orders", inventory_settings)

    async def publish(payload: EventPayload) -> None:
        envelope = new_event("orders", payload)
        await js.publish(
            envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": str(envelope.id)}
        )

    try:
        async with connected(ws_url(inventory_url)) as socket:
            await subscribe(socket, "s", WATCH, {"ids": [str(A), str(B)]})
            assert sorted(
                [await next_payload(socket, "s"), await next_payload(socket, "s")],
                key=lambda p: p["data"]["stockChanged"]["id"],
            ) == [level(A, 5, 0), level(B, 1, 0)]

            order_id = str(uuid.uuid4())
            items = [
                OrderedItem(product_id=str(A), quantity=2, unit_price=Decimal("1.00")),
                OrderedItem(product_id=str(C), quantity=1, unit_price=Decimal("1.00")),
            ]
            created = OrderCreated(
                order_id=order_id,
                user_id=str(uuid.uuid4()),
                currency="USD",
                total_amount=Decimal("3.00"),
                items=items,
            )
            await publish(created)
            assert await next_payload(socket, "s") == level(A, 3, 2)

            await publish(OrderCancelled(order_id=order_id, reason="changed my mind"))
            assert await next_payload(socket, "s") == level(A, 5, 0)

            # C moved twice but is not watched; B did not move: nothing else arrives.
            await socket.send(json.dumps({"type": "ping"}))
            assert (await receive(socket))["type"] == "pong"
    finally:
        await bus.close()


async def test_too_many_products_is_a_bad_input(inventory_url: str) -> None:
    async with connected(ws_url(inventory_url)) as socket:
        await subscribe(socket, "s", WATCH, {"ids": [str(i) for i in range(1, 102)]})
        message = await receive(socket)
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
