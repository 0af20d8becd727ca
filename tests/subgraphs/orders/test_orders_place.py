"""placeOrder against a real products subgraph: price snapshots, idempotency, bad input."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest

from tests.support.keys import TestKeys
from tests.support.orders import PLACE, Catalog, Customer, GraphQL

ORDER = """
query One($id: ID!) {
  order(id: $id) { id status totalAmount items { productId unitPrice totalPrice } }
}
"""


def items(*pairs: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"productId": pid, "quantity": qty} for pid, qty in pairs]


async def place(
    gql: GraphQL, who: Customer, lines: list[dict[str, Any]], key: str, currency: str = "USD"
) -> dict[str, Any]:
    return await gql(PLACE, token=who.token, items=lines, currency=currency, key=key)


async def counts(sql: asyncpg.Connection, user_id: str) -> tuple[int, int, int]:
    """(orders, items, outbox events) that belong to the user."""
    orders = await sql.fetchval(
        "SELECT count(*) FROM orders WHERE user_id = $1", uuid.UUID(user_id)
    )
    lines = await sql.fetchval(
        "SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id "
        "WHERE o.user_id = $1",
        uuid.UUID(user_id),
    )
    events = await sql.fetchval("SELECT count(*) FROM outbox WHERE data->>'user_id' = $1", user_id)
    return orders, lines, events


async def test_an_order_snapshots_prices_and_emits_order_created(
    gql: GraphQL, catalog: Catalog, customer: Customer, sql: asyncpg.Connection
) -> None:
    mug, lamp = await catalog.add("12.50"), await catalog.add("40.00")
    body = await place(gql, customer, items((mug, 3), (lamp, 1), (mug, 1)), "k-1")
    assert "errors" not in body, body
    order = body["data"]["placeOrder"]
    assert order["status"] == "CREATED"
    assert order["totalAmount"] == "90.00"
    assert order["user"] == {"id": customer.id}
    by_product = {line["productId"]: line for line in order["items"]}
    assert by_product[mug] == {
        "productId": mug,
        "quantity": 4,
        "unitPrice": "12.50",
        "totalPrice": "50.00",
        "product": {"id": mug},
    }
    assert by_product[lamp]["totalPrice"] == "40.00"

    row = await sql.fetchrow(
        "SELECT type, subject, data FROM outbox WHERE data->>'order_id' = $1", order["id"]
    )
    assert row["type"] == "order.created"
    assert row["subject"] == "polyshop.orders.order.created"
    data = json.loads(row["data"])
    assert data["user_id"] == customer.id
    assert data["total_amount"] == "90.00"
    assert data["currency"] == "USD"
    by_id = {item["product_id"]: item for item in data["items"]}
    assert by_id == {
        mug: {"product_id": mug, "quantity": 4, "unit_price": "12.50"},
        lamp: {"product_id": lamp, "quantity": 1, "unit_price": "40.00"},
    }


async def test_the_snapshot_stays_when_the_product_price_changes(
    gql: GraphQL, catalog: Catalog, customer: Customer
) -> None:
    chair = await catalog.add("99.99")
    order = (await place(gql, customer, items((chair, 2)), "snap"))["data"]["placeOrder"]
    await catalog.set_price(chair, "149.00")

    seen = (await gql(ORDER, token=customer.token, id=order["id"]))["data"]["order"]
    assert seen["totalAmount"] == "199.98"
    assert seen["items"] == [{"productId": chair, "unitPrice": "99.99", "totalPrice": "199.98"}]
    # A new order pays the new price.
    again = (await place(gql, customer, items((chair, 1)), "snap-2"))["data"]["placeOrder"]
    assert again["totalAmount"] == "149.00"


async def test_the_same_key_returns_the_same_order_once(
    gql: GraphQL, catalog: Catalog, customer: Customer, sql: asyncpg.Connection
) -> None:
    pen = await catalog.add("2.00")
    first = (await place(gql, customer, items((pen, 5)), "same"))["data"]["placeOrder"]
    # The retry comes after a price change: it is the same order, not a re-priced one.
    await catalog.set_price(pen, "3.00")
    second = (await place(gql, customer, items((pen, 5)), "same"))["data"]["placeOrder"]
    assert second["id"] == first["id"]
    assert second["totalAmount"] == "10.00"
    assert await counts(sql, customer.id) == (1, 1, 1)


async def test_concurrent_retries_with_one_key_write_one_order(
    gql: GraphQL, catalog: Catalog, customer: Customer, sql: asyncpg.Connection
) -> None:
    book = await catalog.add("15.00")
    bodies = await asyncio.gather(
        *(place(gql, customer, items((book, 1)), "race") for _ in range(4))
    )
    ids = {body["data"]["placeOrder"]["id"] for body in bodies}
    assert len(ids) == 1, bodies
    assert await counts(sql, customer.id) == (1, 1, 1)


async def test_keys_are_per_user(gql: GraphQL, catalog: Catalog, keys: TestKeys) -> None:
    cup = await catalog.add("4.00")
    ann, bob = (str(uuid.uuid4()) for _ in range(2))
    a_body = await place(gql, Customer(ann, keys.user_token(ann)), items((cup, 1)), "shared")
    b_body = await place(gql, Customer(bob, keys.user_token(bob)), items((cup, 1)), "shared")
    a, b = a_body["data"]["placeOrder"], b_body["data"]["placeOrder"]
    assert (a["user"]["id"], b["user"]["id"]) == (ann, bob)
    assert a["id"] != b["id"]


async def test_a_used_key_with_another_order_is_a_conflict(
    gql: GraphQL, catalog: Catalog, customer: Customer, sql: asyncpg.Connection
) -> None:
    cup = await catalog.add("4.00")
    await place(gql, customer, items((cup, 1)), "once")
    body = await place(gql, customer, items((cup, 2)), "once")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await counts(sql, customer.id) == (1, 1, 1)


@pytest.mark.parametrize(
    "case",
    ["unknown", "inactive", "deleted", "currency", "quantity", "empty", "bad-id", "bad-currency"],
)
async def test_bad_input_writes_nothing_and_emits_nothing(
    gql: GraphQL, catalog: Catalog, customer: Customer, sql: asyncpg.Connection, case: str
) -> None:
    good = await catalog.add("10.00")
    if case == "unknown":
        lines, currency = items((good, 1), ("987654321", 1)), "USD"
    elif case == "inactive":
        lines, currency = items((good, 1), (await catalog.add("5.00", active=False), 1)), "USD"
    elif case == "deleted":
        gone = await catalog.add("5.00")
        await catalog.delete(gone)
        lines, currency = items((good, 1), (gone, 1)), "USD"
    elif case == "currency":
        lines, currency = items((good, 1), (await catalog.add("5.00", currency="EUR"), 1)), "USD"
    elif case == "quantity":
        lines, currency = items((good, 0)), "USD"
    elif case == "empty":
        lines, currency = [], "USD"
    elif case == "bad-id":
        lines, currency = items(("not-a-number", 1)), "USD"
    else:
        lines, currency = items((good, 1)), "XYZ"
    body = await place(gql, customer, lines, f"bad-{case}", currency)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["path"] == ["placeOrder"]
    assert await counts(sql, customer.id) == (0, 0, 0)


async def test_placing_an_order_needs_a_user(
    gql: GraphQL, catalog: Catalog, keys: TestKeys, sql: asyncpg.Connection
) -> None:
    cup = await catalog.add("4.00")
    body = await gql(
        PLACE,
        token=keys.service_token("inventory"),
        items=items((cup, 1)),
        currency="USD",
        key="svc",
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await sql.fetchval("SELECT count(*) FROM orders WHERE idempotency_key = 'svc'") == 0


async def test_requests_without_a_token_are_refused(client: Any) -> None:
    response = await client.post("/graphql", json={"query": "{ myOrders { edges { cursor } } }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_through_the_router_the_order_belongs_to_the_forwarded_user(
    client: Any, catalog: Catalog, customer: Customer, keys: TestKeys
) -> None:
    """The router calls with its own token and forwards the user's in X-PolyShop-User-Token."""
    cup = await catalog.add("4.00")
    response = await client.post(
        "/graphql",
        json={
            "query": PLACE,
            "variables": {"items": items((cup, 1)), "currency": "USD", "key": "routed"},
        },
        headers={
            "Authorization": f"Bearer {keys.service_token('router', scope='orders:read')}",
            "X-PolyShop-User-Token": customer.token,
        },
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["placeOrder"]["user"] == {"id": customer.id}
