"""``payOrder`` with the sandbox's test cards: outcomes, what is stored, what is published."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.keys import TestKeys
from tests.support.payments import OK_CARD, card, seed_order

PAY = """
mutation($order: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $order, card: $card, idempotencyKey: $key) {
    id amount currency status provider providerRef failureCode failureReason
    cardBrand cardLast4 order { id }
  }
}
"""


async def pay(
    gql: Any, token: str, order_id: str, card_input: dict[str, Any], key: str = ""
) -> Any:
    return await gql(PAY, token, order=order_id, card=card_input, key=key or uuid.uuid4().hex)


async def outbox(sql: asyncpg.Connection, order_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await sql.fetch(
        "SELECT type, source, data FROM outbox WHERE data->>'order_id' = $1 ORDER BY seq", order_id
    )
    return rows


@pytest.fixture
def user() -> str:
    return str(uuid.uuid4())


async def test_approved_card_pays_the_order_amount(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    sources: tuple[str, str],
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user, amount="42.50", currency="EUR")
    body = await pay(gql, keys.token(user), order_id, OK_CARD)
    assert "errors" not in body, body
    payment = body["data"]["payOrder"]
    assert payment["status"] == "SUCCESS"
    assert (payment["amount"], payment["currency"]) == ("42.50", "EUR")
    assert (payment["cardBrand"], payment["cardLast4"]) == ("VISA", "4242")
    assert payment["provider"] == "sandbox"
    assert payment["providerRef"].startswith("sbx_")
    assert payment["failureCode"] is None
    assert payment["order"] == {"id": order_id}

    row = await sql.fetchrow("SELECT * FROM payments WHERE id = $1", uuid.UUID(payment["id"]))
    assert row is not None
    assert (row["amount"], row["status"], row["user_id"]) == (Decimal("42.50"), "SUCCESS", user)
    # Never the card number: nothing in the row holds more than the last four digits.
    assert "4242424242424242" not in " ".join(str(value) for value in row.values())

    (event,) = await outbox(sql, order_id)
    assert (event["type"], event["source"]) == ("payment.succeeded", sources[0])
    assert json.loads(event["data"]) == {
        "order_id": order_id,
        "payment_id": payment["id"],
        "amount": "42.50",
        "currency": "EUR",
    }


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000 0000 0000 0002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4000-0000-0000-0127", "incorrect_cvc"),
        ("4111 1111 1111 1111", "test_mode_live_card"),
    ],
)
async def test_declined_card_is_a_failed_payment_with_its_event(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    number: str,
    code: str,
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    body = await pay(gql, keys.token(user), order_id, card(number))
    assert "errors" not in body, body
    payment = body["data"]["payOrder"]
    assert (payment["status"], payment["failureCode"]) == ("FAILED", code)
    assert payment["failureReason"]
    events = await outbox(sql, order_id)
    assert [(e["type"], json.loads(e["data"])) for e in events] == [
        ("payment.failed", {"order_id": order_id, "payment_id": payment["id"], "reason": code})
    ]


@pytest.mark.parametrize(
    ("card_input", "field"),
    [
        (card("4242 4242 4242 4241"), "card.number"),  # Luhn check digit wrong
        (card("4242"), "card.number"),
        (card("4242 4242 4242 424x"), "card.number"),
        (card("4242424242424242", expMonth=13), "card.expMonth"),
        (card("4242424242424242", expYear=2001), "card.expYear"),
        (card("4242424242424242", cvc="12"), "card.cvc"),
        (card("378282246310005", cvc="123"), "card.cvc"),  # Amex needs four digits
    ],
)
async def test_invalid_card_is_bad_user_input_and_writes_nothing(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    card_input: dict[str, Any],
    field: str,
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    body = await pay(gql, keys.token(user), order_id, card_input)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    assert error["path"] == ["payOrder"]
    assert body["data"] is None
    assert await sql.fetchval("SELECT count(*) FROM payments WHERE order_id = $1", order_id) == 0
    assert await outbox(sql, order_id) == []


async def test_amex_with_four_digit_cvc_is_approved(
    gql: Any, keys: TestKeys, user: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    body = await pay(gql, keys.token(user), order_id, card("3782 822463 10005", cvc="1234"))
    payment = body["data"]["payOrder"]
    assert (payment["status"], payment["cardBrand"], payment["cardLast4"]) == (
        "SUCCESS",
        "AMEX",
        "0005",
    )


async def test_provider_outage_leaves_the_payment_initiated(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
) -> None:
    """No answer is not an error: the payment is INITIATED, with no event, until the
    reconciler learns its outcome (test_payments_reconcile)."""
    order_id = await seed_order(sessionmaker, user_id=user)
    body = await pay(gql, keys.token(user), order_id, card("4000 0000 0000 0119"), key="out-1")
    assert "errors" not in body, body
    payment = body["data"]["payOrder"]
    assert (payment["status"], payment["providerRef"], payment["failureCode"]) == (
        "INITIATED",
        None,
        None,
    )
    assert await sql.fetchval("SELECT count(*) FROM payments WHERE order_id = $1", order_id) == 1
    assert await outbox(sql, order_id) == []
    # The order has a payment in flight: another attempt must wait for its outcome.
    again = await pay(gql, keys.token(user), order_id, OK_CARD)
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"
    same = await pay(gql, keys.token(user), order_id, card("4000 0000 0000 0119"), key="out-1")
    assert same["data"]["payOrder"]["id"] == payment["id"]
