"""The checkout saga seen from orders, over the session's real NATS: inventory's and
payments' events published with the kit move orders along, and orders emits its own."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from nats.js import JetStreamContext

from subgraphs.kit.events import Envelope, stream_name
from tests.support.eventually import eventually
from tests.support.orders import (
    PLACE,
    Catalog,
    Customer,
    GraphQL,
    publish,
    stream_events,
    wait_for_status,
)


async def order_events(js: JetStreamContext, order_id: str) -> list[Envelope]:
    return [
        e
        for e in await stream_events(js, stream_name("orders"))
        if e.data.get("order_id") == order_id
    ]


async def placed(gql: GraphQL, catalog: Catalog, customer: Customer) -> dict[str, Any]:
    product = await catalog.add("25.00")
    body = await gql(
        PLACE,
        token=customer.token,
        items=[{"productId": product, "quantity": 2}],
        currency="USD",
        key=uuid.uuid4().hex,
    )
    order: dict[str, Any] = body["data"]["placeOrder"]
    return order


async def wait_for_types(js: JetStreamContext, order_id: str, *types: str) -> list[Envelope]:
    found: list[Envelope] = []

    async def emitted() -> bool:
        found[:] = await order_events(js, order_id)
        return [e.type for e in found] == list(types)

    await eventually(emitted, what=f"events {types} of {order_id}")
    return found


async def test_happy_path_reserved_then_paid(
    gql: GraphQL, catalog: Catalog, customer: Customer, js: JetStreamContext
) -> None:
    order = await placed(gql, catalog, customer)
    (created,) = await wait_for_types(js, order["id"], "order.created")
    assert created.data["total_amount"] == "50.00"

    reserved = await publish(js, "inventory", "stock.reserved", order_id=order["id"], items=[])
    await wait_for_status(gql, customer, order["id"], "PENDING_PAYMENT")
    _, awaiting = await wait_for_types(js, order["id"], "order.created", "order.awaiting_payment")
    assert awaiting.data == {
        "order_id": order["id"],
        "user_id": customer.id,
        "total_amount": "50.00",
        "currency": "USD",
    }
    assert awaiting.correlation_id == reserved.correlation_id

    await publish(
        js,
        "payments",
        "payment.succeeded",
        order_id=order["id"],
        payment_id="p-1",
        amount="50.00",
        currency="USD",
    )
    await wait_for_status(gql, customer, order["id"], "PAID")
    *_, paid = await wait_for_types(
        js, order["id"], "order.created", "order.awaiting_payment", "order.paid"
    )
    assert paid.data == {"order_id": order["id"]}

    # A late duplicate of inventory's answer (another event id) changes nothing.
    await publish(js, "inventory", "stock.reserved", order_id=order["id"], items=[])
    await publish(
        js, "inventory", "stock.rejected", order_id=order["id"], reason="late", product_ids=[]
    )
    marker = await placed(gql, catalog, customer)
    await publish(
        js, "inventory", "stock.rejected", order_id=marker["id"], reason="x", product_ids=[]
    )
    await wait_for_status(gql, customer, marker["id"], "CANCELLED")  # events behind it are done
    assert (await wait_for_status(gql, customer, order["id"], "PAID"))["status"] == "PAID"
    assert len(await order_events(js, order["id"])) == 3


async def test_stock_rejected_cancels_without_payment(
    gql: GraphQL, catalog: Catalog, customer: Customer, js: JetStreamContext
) -> None:
    order = await placed(gql, catalog, customer)
    await publish(
        js,
        "inventory",
        "stock.rejected",
        order_id=order["id"],
        reason="insufficient stock",
        product_ids=["1"],
    )
    seen = await wait_for_status(gql, customer, order["id"], "CANCELLED")
    assert seen["cancelReason"] == "stock rejected: insufficient stock"
    # Nothing was reserved, so nothing needs releasing: no order.cancelled, but
    # order.rejected, which subscribers see.
    *_, rejected = await wait_for_types(js, order["id"], "order.created", "order.rejected")
    assert rejected.data == {
        "order_id": order["id"],
        "reason": "stock rejected: insufficient stock",
    }


async def test_failed_payment_cancels_and_tells_inventory(
    gql: GraphQL, catalog: Catalog, customer: Customer, js: JetStreamContext
) -> None:
    order = await placed(gql, catalog, customer)
    await publish(js, "inventory", "stock.reserved", order_id=order["id"], items=[])
    await wait_for_status(gql, customer, order["id"], "PENDING_PAYMENT")
    failed = await publish(
        js,
        "payments",
        "payment.failed",
        order_id=order["id"],
        payment_id="p-2",
        reason="card declined",
    )
    seen = await wait_for_status(gql, customer, order["id"], "CANCELLED")
    assert seen["cancelReason"] == "payment failed: card declined"
    *_, cancelled = await wait_for_types(
        js, order["id"], "order.created", "order.awaiting_payment", "order.cancelled"
    )
    assert cancelled.data == {"order_id": order["id"], "reason": "payment failed: card declined"}
    assert cancelled.correlation_id == failed.correlation_id

    # Money arriving for a cancelled order does not resurrect it.
    await publish(
        js,
        "payments",
        "payment.succeeded",
        order_id=order["id"],
        payment_id="p-3",
        amount="50.00",
        currency="USD",
    )
    marker = await placed(gql, catalog, customer)
    await publish(js, "inventory", "stock.reserved", order_id=marker["id"], items=[])
    await wait_for_status(gql, customer, marker["id"], "PENDING_PAYMENT")
    await publish(
        js, "payments", "payment.failed", order_id=marker["id"], payment_id="p", reason="x"
    )
    await wait_for_status(gql, customer, marker["id"], "CANCELLED")  # the payment before it too
    assert (await wait_for_status(gql, customer, order["id"], "CANCELLED"))["status"] == "CANCELLED"
    assert [e.type for e in await order_events(js, order["id"])] == [
        "order.created",
        "order.awaiting_payment",
        "order.cancelled",
    ]


async def test_a_payment_failure_before_reservation_is_stale(
    gql: GraphQL, catalog: Catalog, customer: Customer, js: JetStreamContext
) -> None:
    order = await placed(gql, catalog, customer)
    await publish(
        js, "payments", "payment.failed", order_id=order["id"], payment_id="p", reason="x"
    )
    marker = await placed(gql, catalog, customer)
    await publish(js, "inventory", "stock.reserved", order_id=marker["id"], items=[])
    await wait_for_status(gql, customer, marker["id"], "PENDING_PAYMENT")
    await publish(
        js,
        "payments",
        "payment.succeeded",
        order_id=marker["id"],
        payment_id="q",
        amount="50.00",
        currency="USD",
    )
    await wait_for_status(gql, customer, marker["id"], "PAID")
    assert (await wait_for_status(gql, customer, order["id"], "CREATED"))["status"] == "CREATED"


async def test_events_of_unknown_orders_are_handled_as_no_ops(
    gql: GraphQL,
    catalog: Catalog,
    customer: Customer,
    js: JetStreamContext,
    sql: asyncpg.Connection,
) -> None:
    stray = await publish(
        js, "inventory", "stock.reserved", order_id="6a0c1f0e-0000-4000-8000-00000000beef", items=[]
    )
    order = await placed(gql, catalog, customer)
    await publish(js, "inventory", "stock.reserved", order_id=order["id"], items=[])
    await wait_for_status(gql, customer, order["id"], "PENDING_PAYMENT")
    # Recorded as handled (not retried towards the dead letters).
    assert await sql.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", stray.id) == 1
