"""Reading orders: order(id), myOrders, and the entities the router resolves here."""

from __future__ import annotations

import uuid

import pytest

from tests.support.keys import TestKeys
from tests.support.orders import PLACE, Catalog, Customer, GraphQL

ORDER = "query O($id: ID!) { order(id: $id) { id totalAmount user { id } } }"
MY_ORDERS = """
query Mine($first: Int, $after: String, $status: OrderStatus) {
  myOrders(first: $first, after: $after, status: $status) {
    totalCount
    edges { cursor node { id number status } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ENTITIES = """
query E($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Order { id status items { quantity product { id } } }
    ... on User { id orders(first: 10) { edges { node { id } } } }
  }
}
"""
CANCEL = "mutation C($id: ID!) { cancelOrder(id: $id) { status } }"


async def place(gql: GraphQL, catalog: Catalog, customer: Customer, count: int = 1) -> list[str]:
    product = await catalog.add("3.00")
    ids = []
    for _ in range(count):
        body = await gql(
            PLACE,
            token=customer.token,
            items=[{"productId": product, "quantity": 1}],
            currency="USD",
            key=uuid.uuid4().hex,
        )
        ids.append(body["data"]["placeOrder"]["id"])
    return ids


async def test_my_orders_pages_newest_first_and_filters(
    gql: GraphQL, catalog: Catalog, customer: Customer, keys: TestKeys
) -> None:
    ids = await place(gql, catalog, customer, 5)
    await place(gql, catalog, Customer(str(uuid.uuid4()), keys.user_token(str(uuid.uuid4()))))
    first = (await gql(MY_ORDERS, token=customer.token, first=3))["data"]["myOrders"]
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await gql(MY_ORDERS, token=customer.token, first=3, after=first["pageInfo"]["endCursor"])
    )["data"]["myOrders"]
    assert rest["pageInfo"]["hasNextPage"] is False
    seen = [e["node"]["id"] for e in first["edges"] + rest["edges"]]
    assert seen == list(reversed(ids))

    await gql(CANCEL, token=customer.token, id=ids[0])
    cancelled = (await gql(MY_ORDERS, token=customer.token, status="CANCELLED"))["data"]
    assert [e["node"]["id"] for e in cancelled["myOrders"]["edges"]] == [ids[0]]


async def test_my_orders_needs_a_user(gql: GraphQL, keys: TestKeys) -> None:
    body = await gql(MY_ORDERS, token=keys.service_token("analytics", scope="orders:read"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The router's own token is nobody: anonymous, whatever scopes it carries.
    relayed = await gql(MY_ORDERS, token=keys.service_token("router", scope="orders:read"))
    assert relayed["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("who", "visible"),
    [("owner", True), ("stranger", False), ("admin", True), ("reader", True), ("other", False)],
)
async def test_who_sees_an_order(
    gql: GraphQL, catalog: Catalog, customer: Customer, keys: TestKeys, who: str, visible: bool
) -> None:
    (order_id,) = await place(gql, catalog, customer)
    token = {
        "owner": customer.token,
        "stranger": keys.user_token(str(uuid.uuid4())),
        "admin": keys.user_token(str(uuid.uuid4()), roles=("admin",)),
        "reader": keys.service_token("payments", scope="orders:read"),
        "other": keys.service_token("analytics", scope="products:read"),
    }[who]
    body = await gql(ORDER, token=token, id=order_id)
    assert "errors" not in body
    expected = {"id": order_id, "totalAmount": "3.00", "user": {"id": customer.id}}
    assert body["data"]["order"] == (expected if visible else None)
    entities = await gql(ENTITIES, token=token, reps=[{"__typename": "Order", "id": order_id}])
    assert (entities["data"]["_entities"][0] is not None) is visible


async def test_order_and_user_entities(
    gql: GraphQL, catalog: Catalog, customer: Customer, keys: TestKeys
) -> None:
    (order_id,) = await place(gql, catalog, customer)
    body = await gql(
        ENTITIES,
        token=customer.token,
        reps=[
            {"__typename": "Order", "id": order_id},
            {"__typename": "Order", "id": "not-a-uuid"},
            {"__typename": "User", "id": customer.id},
        ],
    )
    assert "errors" not in body, body
    order, bad, user = body["data"]["_entities"]
    assert order["status"] == "CREATED"
    assert order["items"][0]["quantity"] == 1
    assert order["items"][0]["product"]["id"].isdigit()
    assert bad is None
    assert user == {"id": customer.id, "orders": {"edges": [{"node": {"id": order_id}}]}}

    stranger = await gql(
        ENTITIES,
        token=keys.user_token(str(uuid.uuid4())),
        reps=[{"__typename": "User", "id": customer.id}],
    )
    assert stranger["data"]["_entities"] == [{"id": customer.id, "orders": None}]
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert stranger["errors"][0]["path"] == ["_entities", 0, "orders"]
