"""``Order.payment`` and ``Payment`` resolved through ``_entities``, as the router asks."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.subgraphs.payments.support import OK_CARD, TestKeys, card, seed_order

PAY = """
mutation($order: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $order, card: $card, idempotencyKey: $key) { id status }
}
"""
ORDER_PAYMENTS = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    __typename
    ... on Order { id payment { id status amount cardLast4 order { id } } }
  }
}
"""
PAYMENTS = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Payment { id status failureCode } }
}
"""


@pytest.fixture
def user() -> str:
    return str(uuid.uuid4())


async def paid_order(
    gql: Any, keys: TestKeys, sessionmaker: async_sessionmaker[AsyncSession], user: str
) -> tuple[str, str]:
    order_id = await seed_order(sessionmaker, user_id=user, amount="10.00")
    body = await gql(PAY, keys.token(user), order=order_id, card=OK_CARD, key=uuid.uuid4().hex)
    return order_id, body["data"]["payOrder"]["id"]


async def test_order_payment_by_order_id_in_one_batch(
    gql: Any, keys: TestKeys, sessionmaker: async_sessionmaker[AsyncSession], user: str
) -> None:
    paid, payment_id = await paid_order(gql, keys, sessionmaker, user)
    unpaid = await seed_order(sessionmaker, user_id=user)
    never_seen = str(uuid.uuid4())
    reps = [{"__typename": "Order", "id": i} for i in (paid, unpaid, never_seen)]
    body = await gql(ORDER_PAYMENTS, keys.token(user), reps=reps)
    assert "errors" not in body, body
    assert body["data"]["_entities"] == [
        {
            "__typename": "Order",
            "id": paid,
            "payment": {
                "id": payment_id,
                "status": "SUCCESS",
                "amount": "10.00",
                "cardLast4": "4242",
                "order": {"id": paid},
            },
        },
        {"__typename": "Order", "id": unpaid, "payment": None},
        {"__typename": "Order", "id": never_seen, "payment": None},
    ]


async def test_order_payment_after_an_outage_is_the_attempt_that_answered(
    gql: Any,
    keys: TestKeys,
    sessionmaker: async_sessionmaker[AsyncSession],
    user: str,
) -> None:
    """A provider outage leaves no attempt; the next one is the order's payment."""
    order_id = await seed_order(sessionmaker, user_id=user)
    token = keys.token(user)
    await gql(PAY, token, order=order_id, card=card("4000000000000119"), key=uuid.uuid4().hex)
    declined = await gql(
        PAY, token, order=order_id, card=card("4000000000000002"), key=uuid.uuid4().hex
    )
    body = await gql(ORDER_PAYMENTS, token, reps=[{"__typename": "Order", "id": order_id}])
    payment = body["data"]["_entities"][0]["payment"]
    assert payment["id"] == declined["data"]["payOrder"]["id"]
    assert payment["status"] == "FAILED"


async def test_payment_entity_and_query_visibility(
    gql: Any, keys: TestKeys, sessionmaker: async_sessionmaker[AsyncSession], user: str
) -> None:
    order_id, payment_id = await paid_order(gql, keys, sessionmaker, user)
    reps = [{"__typename": "Payment", "id": payment_id}, {"__typename": "Payment", "id": "nope"}]
    own = await gql(PAYMENTS, keys.token(user), reps=reps)
    assert own["data"]["_entities"] == [
        {"id": payment_id, "status": "SUCCESS", "failureCode": None},
        None,
    ]
    service = await gql(PAYMENTS, keys.token("router", service=True), reps=reps[:1])
    assert service["data"]["_entities"][0]["id"] == payment_id
    admin = await gql(PAYMENTS, keys.token(str(uuid.uuid4()), roles=("admin",)), reps=reps[:1])
    assert admin["data"]["_entities"][0]["id"] == payment_id

    stranger = keys.token(str(uuid.uuid4()))
    hidden = await gql(PAYMENTS, stranger, reps=reps[:1])
    assert hidden["data"]["_entities"] == [None]
    by_order = await gql(ORDER_PAYMENTS, stranger, reps=[{"__typename": "Order", "id": order_id}])
    assert by_order["data"]["_entities"][0]["payment"] is None
    query = "query($id: ID!) { payment(id: $id) { id } }"
    assert (await gql(query, stranger, id=payment_id))["data"]["payment"] is None
    assert (await gql(query, keys.token(user), id=payment_id))["data"]["payment"] == {
        "id": payment_id
    }
