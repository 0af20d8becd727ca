"""``Order.payment`` and ``Payment`` resolved through ``_entities``, as the router asks."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.keys import TestKeys
from tests.support.payments import OK_CARD, card, seed_order

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


async def test_order_payment_while_the_provider_has_not_answered(
    gql: Any,
    keys: TestKeys,
    sessionmaker: async_sessionmaker[AsyncSession],
    user: str,
) -> None:
    """An attempt without an answer is the order's payment, INITIATED."""
    order_id = await seed_order(sessionmaker, user_id=user)
    token = keys.token(user)
    sent = await gql(
        PAY, token, order=order_id, card=card("4000000000000119"), key=uuid.uuid4().hex
    )
    body = await gql(ORDER_PAYMENTS, token, reps=[{"__typename": "Order", "id": order_id}])
    payment = body["data"]["_entities"][0]["payment"]
    assert payment["id"] == sent["data"]["payOrder"]["id"]
    assert payment["status"] == "INITIATED"


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
    granted = keys.token("reporting", service=True, scope="payments:read")
    service = await gql(PAYMENTS, granted, reps=reps[:1])
    assert service["data"]["_entities"][0]["id"] == payment_id
    # Being a service is no grant: without payments:read, and for the router's own token
    # (which authorizes nothing), the payment stays hidden.
    for bare in (keys.token("orders", service=True), keys.token("router", service=True)):
        assert (await gql(PAYMENTS, bare, reps=reps[:1]))["data"]["_entities"] == [None]
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


ORDER_ATTEMPTS = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Order { id payment { id } payments { id status failureCode } }
  }
}
"""


async def earlier_failure(sql: asyncpg.Connection, order_id: str, user: str, ago: int) -> str:
    """A declined attempt written ``ago`` seconds back (history the API keeps showing)."""
    payment_id: uuid.UUID = await sql.fetchval(
        "INSERT INTO payments (order_id, user_id, amount, currency, status, provider,"
        " failure_code, card_brand, card_last4, idempotency_key, created_at)"
        " VALUES ($1, $2, 10, 'USD', 'FAILED', 'sandbox', 'card_declined', 'VISA', '0002', $3,"
        " now() - make_interval(secs => $4)) RETURNING id",
        order_id,
        user,
        uuid.uuid4().hex,
        float(ago),
    )
    return str(payment_id)


async def test_order_payments_newest_first_in_one_statement_per_batch(
    gql: Any,
    keys: TestKeys,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    payments_app: FastAPI,
    user: str,
) -> None:
    paid, success_id = await paid_order(gql, keys, sessionmaker, user)
    older = await earlier_failure(sql, paid, user, ago=120)
    newer = await earlier_failure(sql, paid, user, ago=60)
    unpaid = await seed_order(sessionmaker, user_id=user)
    never_seen = str(uuid.uuid4())
    reps = [{"__typename": "Order", "id": i} for i in (paid, unpaid, never_seen)]

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM payments" in statement:
            statements.append(statement)

    engine = payments_app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        body = await gql(ORDER_ATTEMPTS, keys.token(user), reps=reps)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "errors" not in body, body
    assert len(statements) == 1, statements
    first, second, third = body["data"]["_entities"]
    assert first["payment"] == {"id": success_id}
    assert [(p["id"], p["status"]) for p in first["payments"]] == [
        (success_id, "SUCCESS"),
        (newer, "FAILED"),
        (older, "FAILED"),
    ]
    assert second == {"id": unpaid, "payment": None, "payments": []}
    assert third == {"id": never_seen, "payment": None, "payments": []}

    stranger = await gql(ORDER_ATTEMPTS, keys.token(str(uuid.uuid4())), reps=reps[:1])
    assert stranger["data"]["_entities"] == [{"id": paid, "payment": None, "payments": []}]
