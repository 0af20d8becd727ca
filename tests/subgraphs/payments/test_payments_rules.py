"""Who may pay, which orders are payable, idempotency keys, and the amount's origin."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.events import new_envelope
from tests.support.keys import TestKeys
from tests.support.payments import OK_CARD, card, handle_order_event, seed_order

PAY = """
mutation($order: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $order, card: $card, idempotencyKey: $key) { id amount currency status }
}
"""


@pytest.fixture
def user() -> str:
    return str(uuid.uuid4())


async def counts(sql: asyncpg.Connection, order_id: str) -> tuple[int, int]:
    """(payments, outbox events) of one order."""
    payments = await sql.fetchval("SELECT count(*) FROM payments WHERE order_id = $1", order_id)
    events = await sql.fetchval(
        "SELECT count(*) FROM outbox WHERE data->>'order_id' = $1", order_id
    )
    return payments, events


def code_of(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    assert error["path"] == ["payOrder"]
    code: str = error["extensions"]["code"]
    return code


async def test_same_key_replays_the_first_payment_without_charging_again(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    token = keys.token(user)
    first = await gql(PAY, token, order=order_id, card=OK_CARD, key="retry-1")
    again = await gql(PAY, token, order=order_id, card=OK_CARD, key="retry-1")
    assert again["data"]["payOrder"] == first["data"]["payOrder"]
    assert await counts(sql, order_id) == (1, 1)


async def test_same_key_replays_a_decline_too(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    declined = card("4000000000000002")
    first = await gql(PAY, keys.token(user), order=order_id, card=declined, key="decl-1")
    again = await gql(PAY, keys.token(user), order=order_id, card=declined, key="decl-1")
    assert first["data"]["payOrder"]["status"] == "FAILED"
    assert again["data"] == first["data"]
    assert await counts(sql, order_id) == (1, 1)


async def test_concurrent_retries_with_one_key_charge_once(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    token = keys.token(user)
    bodies = await asyncio.gather(
        *(gql(PAY, token, order=order_id, card=OK_CARD, key="burst-1") for _ in range(4))
    )
    assert all("errors" not in body for body in bodies), bodies
    assert len({body["data"]["payOrder"]["id"] for body in bodies}) == 1
    assert await counts(sql, order_id) == (1, 1)


async def test_key_of_another_order_is_a_conflict(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    first_order = await seed_order(sessionmaker, user_id=user)
    second_order = await seed_order(sessionmaker, user_id=user)
    token = keys.token(user)
    await gql(PAY, token, order=first_order, card=OK_CARD, key="shared-key")
    body = await gql(PAY, token, order=second_order, card=OK_CARD, key="shared-key")
    assert code_of(body) == "CONFLICT"
    assert await counts(sql, second_order) == (0, 0)


async def test_idempotency_keys_belong_to_one_customer(
    gql: Any,
    keys: TestKeys,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    """Bob reusing Alice's key neither replays nor reveals Alice's payment: it is his own
    key, and his own payment."""
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    key = f"checkout-{uuid.uuid4().hex[:8]}"
    alices_order = await seed_order(sessionmaker, user_id=alice)
    alices = (await gql(PAY, keys.token(alice), order=alices_order, card=OK_CARD, key=key))["data"][
        "payOrder"
    ]
    bobs_order = await seed_order(sessionmaker, user_id=bob)

    on_alices_order = await gql(PAY, keys.token(bob), order=alices_order, card=OK_CARD, key=key)
    assert code_of(on_alices_order) == "FORBIDDEN"
    assert alices["id"] not in json.dumps(on_alices_order)

    body = await gql(PAY, keys.token(bob), order=bobs_order, card=OK_CARD, key=key)
    assert "errors" not in body, body
    bobs = body["data"]["payOrder"]
    assert bobs["status"] == "SUCCESS"
    assert bobs["id"] != alices["id"]
    assert await counts(sql, bobs_order) == (1, 1)
    rows = await sql.fetch("SELECT user_id FROM payments WHERE idempotency_key = $1", key)
    assert sorted(row["user_id"] for row in rows) == sorted([alice, bob])


async def test_same_key_with_another_card_is_a_conflict(
    gql: Any, keys: TestKeys, user: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    token = keys.token(user)
    await gql(PAY, token, order=order_id, card=OK_CARD, key="card-swap")
    body = await gql(PAY, token, order=order_id, card=card("5555555555554444"), key="card-swap")
    assert code_of(body) == "CONFLICT"


async def test_second_payment_of_an_order_is_a_conflict(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    """Before orders confirms (order.paid), the read model still says AWAITING."""
    order_id = await seed_order(sessionmaker, user_id=user)
    token = keys.token(user)
    await gql(PAY, token, order=order_id, card=OK_CARD, key=uuid.uuid4().hex)
    body = await gql(PAY, token, order=order_id, card=OK_CARD, key=uuid.uuid4().hex)
    assert code_of(body) == "CONFLICT"
    assert await counts(sql, order_id) == (1, 1)


async def test_amount_comes_from_the_read_model(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user, amount="1234.5678", currency="JPY")
    # The input has no amount field at all; sending one is a validation error.
    tampered = await gql(
        """mutation($order: ID!, $card: CardInput!) {
          payOrder(orderId: $order, card: $card, idempotencyKey: "k", amount: "0.01") { id }
        }""",
        keys.token(user),
        order=order_id,
        card=OK_CARD,
    )
    assert tampered["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    body = await gql(PAY, keys.token(user), order=order_id, card=OK_CARD, key=uuid.uuid4().hex)
    payment = body["data"]["payOrder"]
    assert (payment["amount"], payment["currency"]) == ("1234.5678", "JPY")
    stored = await sql.fetchval("SELECT amount FROM payments WHERE order_id = $1", order_id)
    assert stored == Decimal("1234.5678")


@pytest.mark.parametrize("status", ["paid", "cancelled"])
async def test_order_not_awaiting_payment_is_a_conflict_with_nothing_written(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    status: str,
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    event = new_envelope("orders", f"order.{status}", {"order_id": order_id})
    async with sessionmaker() as session, session.begin():
        await handle_order_event(session, event)
    body = await gql(PAY, keys.token(user), order=order_id, card=OK_CARD, key=uuid.uuid4().hex)
    assert code_of(body) == "CONFLICT"
    assert status in body["errors"][0]["message"]
    assert body["data"] is None
    assert await counts(sql, order_id) == (0, 0)


async def test_unknown_order_is_not_found(
    gql: Any, keys: TestKeys, user: str, sql: asyncpg.Connection
) -> None:
    order_id = str(uuid.uuid4())
    body = await gql(PAY, keys.token(user), order=order_id, card=OK_CARD, key=uuid.uuid4().hex)
    assert code_of(body) == "NOT_FOUND"
    assert await counts(sql, order_id) == (0, 0)


async def test_another_customer_may_not_pay(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    stranger = keys.token(str(uuid.uuid4()), roles=("customer",))
    body = await gql(PAY, stranger, order=order_id, card=OK_CARD, key=uuid.uuid4().hex)
    assert code_of(body) == "FORBIDDEN"
    service = keys.token("orders", service=True)
    body = await gql(PAY, service, order=order_id, card=OK_CARD, key=uuid.uuid4().hex)
    assert code_of(body) == "FORBIDDEN"
    assert await counts(sql, order_id) == (0, 0)


async def test_admin_may_pay_for_a_customer(
    gql: Any, keys: TestKeys, user: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    admin = keys.token(str(uuid.uuid4()), roles=("admin",))
    body = await gql(PAY, admin, order=order_id, card=OK_CARD, key=uuid.uuid4().hex)
    assert body["data"]["payOrder"]["status"] == "SUCCESS"


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
async def test_idempotency_key_must_be_usable(
    gql: Any, keys: TestKeys, user: str, sessionmaker: async_sessionmaker[AsyncSession], key: str
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    body = await gql(PAY, keys.token(user), order=order_id, card=OK_CARD, key=key)
    assert code_of(body) == "BAD_USER_INPUT"


async def test_concurrent_use_of_one_key_for_two_orders_pays_one(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    orders = [await seed_order(sessionmaker, user_id=user) for _ in range(2)]
    token = keys.token(user)
    bodies = await asyncio.gather(
        *(gql(PAY, token, order=order, card=OK_CARD, key="race-key") for order in orders)
    )
    outcomes = sorted(
        body["errors"][0]["extensions"]["code"] if "errors" in body else "PAID" for body in bodies
    )
    assert outcomes == ["CONFLICT", "PAID"]
    total = await sql.fetchval(
        "SELECT count(*) FROM payments WHERE order_id = ANY($1::text[])", orders
    )
    assert total == 1


async def test_concurrent_requests_with_different_keys_charge_once(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    token = keys.token(user)
    bodies = await asyncio.gather(
        *(gql(PAY, token, order=order_id, card=OK_CARD, key=uuid.uuid4().hex) for _ in range(4))
    )
    outcomes = sorted(
        body["errors"][0]["extensions"]["code"] if "errors" in body else "PAID" for body in bodies
    )
    assert outcomes == ["CONFLICT", "CONFLICT", "CONFLICT", "PAID"]
    assert await counts(sql, order_id) == (1, 1)
    charges = await sql.fetchval(
        "SELECT count(*) FROM sandbox_charges c JOIN payments p ON c.reference = p.id::text"
        " WHERE p.order_id = $1",
        order_id,
    )
    assert charges == 1
