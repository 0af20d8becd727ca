"""cancelOrder: who may cancel, from which statuses, and the event inventory listens to."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from nats.js import JetStreamContext

from tests.support.eventually import eventually
from tests.support.keys import TestKeys
from tests.support.orders import (
    PLACE,
    Catalog,
    Customer,
    GraphQL,
    publish,
    stream_events,
    wait_for_status,
)

CANCEL = """
mutation Cancel($id: ID!, $reason: String) {
  cancelOrder(id: $id, reason: $reason) { id status cancelReason version }
}
"""


async def placed(gql: GraphQL, catalog: Catalog, customer: Customer) -> str:
    product = await catalog.add("8.00")
    body = await gql(
        PLACE,
        token=customer.token,
        items=[{"productId": product, "quantity": 1}],
        currency="USD",
        key=uuid.uuid4().hex,
    )
    return str(body["data"]["placeOrder"]["id"])


async def outbox_types(sql: asyncpg.Connection, order_id: str) -> list[str]:
    rows = await sql.fetch(
        "SELECT type FROM outbox WHERE data->>'order_id' = $1 ORDER BY seq", order_id
    )
    return [row["type"] for row in rows]


async def test_the_customer_cancels_a_new_order(
    gql: GraphQL,
    catalog: Catalog,
    customer: Customer,
    sql: asyncpg.Connection,
    js: JetStreamContext,
) -> None:
    order_id = await placed(gql, catalog, customer)
    body = await gql(CANCEL, token=customer.token, id=order_id, reason="changed my mind")
    assert body["data"]["cancelOrder"]["status"] == "CANCELLED"
    assert body["data"]["cancelOrder"]["cancelReason"] == "changed my mind"
    assert body["data"]["cancelOrder"]["version"] == 2
    assert await outbox_types(sql, order_id) == ["order.created", "order.cancelled"]

    async def published() -> bool:
        events = await stream_events(js, "POLYSHOP_ORDERS")
        mine = [e for e in events if e.data.get("order_id") == order_id]
        return [e.type for e in mine] == ["order.created", "order.cancelled"]

    await eventually(published, what="order.cancelled on the stream")


async def test_an_order_awaiting_payment_can_be_cancelled_by_an_admin(
    gql: GraphQL,
    catalog: Catalog,
    customer: Customer,
    keys: TestKeys,
    js: JetStreamContext,
    sql: asyncpg.Connection,
) -> None:
    order_id = await placed(gql, catalog, customer)
    await publish(js, "inventory", "stock.reserved", order_id=order_id, items=[])
    await wait_for_status(gql, customer, order_id, "PENDING_PAYMENT")
    admin = keys.user_token(str(uuid.uuid4()), roles=("admin",))
    body = await gql(CANCEL, token=admin, id=order_id)
    assert body["data"]["cancelOrder"]["status"] == "CANCELLED"
    assert body["data"]["cancelOrder"]["cancelReason"] == "cancelled by customer"
    assert (await outbox_types(sql, order_id))[-1] == "order.cancelled"


@pytest.mark.parametrize("who", ["stranger", "service"])
async def test_others_may_not_cancel(
    gql: GraphQL,
    catalog: Catalog,
    customer: Customer,
    keys: TestKeys,
    sql: asyncpg.Connection,
    who: str,
) -> None:
    order_id = await placed(gql, catalog, customer)
    token = (
        keys.user_token(str(uuid.uuid4()))
        if who == "stranger"
        else keys.service_token("payments", scope="orders:read orders:write")
    )
    body = await gql(CANCEL, token=token, id=order_id)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await outbox_types(sql, order_id) == ["order.created"]


async def test_paid_and_cancelled_orders_cannot_be_cancelled(
    gql: GraphQL,
    catalog: Catalog,
    customer: Customer,
    js: JetStreamContext,
    sql: asyncpg.Connection,
) -> None:
    paid = await placed(gql, catalog, customer)
    await publish(js, "inventory", "stock.reserved", order_id=paid, items=[])
    await wait_for_status(gql, customer, paid, "PENDING_PAYMENT")
    await publish(
        js,
        "payments",
        "payment.succeeded",
        order_id=paid,
        payment_id="p",
        amount="8.00",
        currency="USD",
    )
    await wait_for_status(gql, customer, paid, "PAID")
    body = await gql(CANCEL, token=customer.token, id=paid)
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"] == {"code": "CONFLICT", "status": "PAID"}
    assert error["path"] == ["cancelOrder"]

    cancelled = await placed(gql, catalog, customer)
    await gql(CANCEL, token=customer.token, id=cancelled)
    again = await gql(CANCEL, token=customer.token, id=cancelled)
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await outbox_types(sql, cancelled) == ["order.created", "order.cancelled"]


async def test_unknown_and_malformed_ids(gql: GraphQL, customer: Customer) -> None:
    missing = await gql(CANCEL, token=customer.token, id=str(uuid.uuid4()))
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    malformed = await gql(CANCEL, token=customer.token, id="nope")
    assert malformed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


FULFIL = "mutation F($id: ID!) { fulfillOrder(id: $id) { status } }"


async def test_an_admin_fulfils_paid_orders_only(
    gql: GraphQL,
    catalog: Catalog,
    customer: Customer,
    keys: TestKeys,
    js: JetStreamContext,
    sql: asyncpg.Connection,
) -> None:
    admin = keys.user_token(str(uuid.uuid4()), roles=("admin",))
    order_id = await placed(gql, catalog, customer)
    early = await gql(FULFIL, token=admin, id=order_id)
    assert early["errors"][0]["extensions"]["code"] == "CONFLICT"

    await publish(js, "inventory", "stock.reserved", order_id=order_id, items=[])
    await wait_for_status(gql, customer, order_id, "PENDING_PAYMENT")
    await publish(
        js,
        "payments",
        "payment.succeeded",
        order_id=order_id,
        payment_id="p",
        amount="8.00",
        currency="USD",
    )
    await wait_for_status(gql, customer, order_id, "PAID")
    by_customer = await gql(FULFIL, token=customer.token, id=order_id)
    assert by_customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = await gql(FULFIL, token=admin, id=order_id)
    assert done["data"]["fulfillOrder"]["status"] == "FULFILLED"
    assert (await outbox_types(sql, order_id))[-1] == "order.fulfilled"
