"""The saga's payments step over a real NATS: orders' events feed the read model through the
durable consumer, and payment outcomes reach the payments stream through the outbox relay."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from subgraphs.kit.events import (
    ContractError,
    Envelope,
    EventRuntime,
    EventSettings,
    add_event,
    new_envelope,
)
from subgraphs.payments.settings import PaymentsSettings
from tests.support.eventually import eventually
from tests.support.keys import TestKeys
from tests.support.payments import (
    FAST_EVENTS,
    OK_CARD,
    ServiceDatabaseFactory,
    awaiting_payment,
    card,
    handle_order_event,
    stream_events,
)

PAY = """
mutation($order: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $order, card: $card, idempotencyKey: $key) { id amount currency status }
}
"""


class Orders:
    """Stands in for the orders service's publishing side: its outbox and relay, for real."""

    def __init__(self, source: str, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.source = source
        self.sessionmaker = sessionmaker

    async def publish(self, event_type: str, **data: Any) -> Envelope:
        envelope = new_envelope(self.source, event_type, data)
        await self.publish_envelope(envelope)
        return envelope

    async def publish_envelope(self, envelope: Envelope) -> None:
        async with self.sessionmaker() as session, session.begin():
            await add_event(session, envelope)


@pytest.fixture(scope="module")
async def orders(
    service_database: ServiceDatabaseFactory,
    settings: PaymentsSettings,
    sources: tuple[str, str],
    payments_app: Any,
) -> AsyncIterator[Orders]:
    # Any database with the kit's outbox will do as orders' own.
    engine = create_async_engine(await service_database("payments"))
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    event_settings = EventSettings.model_validate({"nats_url": settings.nats_url, **FAST_EVENTS})
    try:
        async with EventRuntime(
            service=sources[1], settings=event_settings, engine=engine, sessionmaker=sessionmaker
        ):
            yield Orders(sources[1], sessionmaker)
    finally:
        await engine.dispose()


async def payable_status(sql: asyncpg.Connection, order_id: str) -> str | None:
    status: str | None = await sql.fetchval(
        "SELECT status FROM payable_orders WHERE order_id = $1", order_id
    )
    return status


async def published(js: JetStreamContext, source: str, order_id: str) -> list[Envelope]:
    return [e for e in await stream_events(js, source) if e.data.get("order_id") == order_id]


async def test_awaiting_payment_then_pay_then_paid(
    orders: Orders,
    client: httpx.AsyncClient,
    keys: TestKeys,
    sql: asyncpg.Connection,
    js: JetStreamContext,
    sources: tuple[str, str],
) -> None:
    order_id, user = str(uuid.uuid4()), str(uuid.uuid4())
    await orders.publish(
        "order.awaiting_payment",
        order_id=order_id,
        user_id=user,
        total_amount="99.90",
        currency="usd",
    )
    await eventually(
        lambda: _is(payable_status(sql, order_id), "AWAITING"), what="the read model row"
    )
    row = await sql.fetchrow("SELECT * FROM payable_orders WHERE order_id = $1", order_id)
    assert (str(row["amount"]), row["currency"], row["user_id"]) == ("99.90", "USD", user)

    response = await client.post(
        "/graphql",
        json={
            "query": PAY,
            "variables": {"order": order_id, "card": OK_CARD, "key": uuid.uuid4().hex},
        },
        headers={"authorization": f"Bearer {keys.token(user)}", "x-correlation-id": "saga-42"},
    )
    payment = response.json()["data"]["payOrder"]
    assert (payment["status"], payment["amount"], payment["currency"]) == (
        "SUCCESS",
        "99.90",
        "USD",
    )

    async def succeeded() -> bool:
        return len(await published(js, sources[0], order_id)) == 1

    await eventually(succeeded, what="payment.succeeded on the payments stream")
    (event,) = await published(js, sources[0], order_id)
    assert (event.type, event.source, event.correlation_id) == (
        "payment.succeeded",
        sources[0],
        "saga-42",
    )
    assert event.data == {
        "order_id": order_id,
        "payment_id": payment["id"],
        "amount": "99.90",
        "currency": "USD",
    }

    await orders.publish("order.paid", order_id=order_id)
    await eventually(lambda: _is(payable_status(sql, order_id), "PAID"), what="PAID")
    again = await _pay(client, keys.token(user), order_id, OK_CARD)
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_declined_payment_publishes_failed_and_cancel_closes_the_order(
    orders: Orders,
    client: httpx.AsyncClient,
    keys: TestKeys,
    sql: asyncpg.Connection,
    js: JetStreamContext,
    sources: tuple[str, str],
) -> None:
    order_id, user = str(uuid.uuid4()), str(uuid.uuid4())
    await orders.publish_envelope(awaiting_payment(sources[1], order_id, user, "5.00"))
    await eventually(lambda: _is(payable_status(sql, order_id), "AWAITING"), what="AWAITING")
    body = await _pay(client, keys.token(user), order_id, card("4000000000009995"))
    payment = body["data"]["payOrder"]
    assert payment["status"] == "FAILED"

    async def failed() -> bool:
        return len(await published(js, sources[0], order_id)) == 1

    await eventually(failed, what="payment.failed on the payments stream")
    (event,) = await published(js, sources[0], order_id)
    assert event.type == "payment.failed"
    assert event.data == {
        "order_id": order_id,
        "payment_id": payment["id"],
        "reason": "insufficient_funds",
    }

    # Orders reacts with order.cancelled; a late awaiting_payment does not reopen it.
    await orders.publish("order.cancelled", order_id=order_id, reason="payment failed")
    await orders.publish_envelope(awaiting_payment(sources[1], order_id, user, "5.00"))
    marker = str(uuid.uuid4())
    await orders.publish_envelope(awaiting_payment(sources[1], marker, user, "1.00"))
    await eventually(lambda: _is(payable_status(sql, marker), "AWAITING"), what="the marker")
    assert await payable_status(sql, order_id) == "CANCELLED"


async def test_cancel_of_an_order_never_awaiting_payment_is_ignored(
    orders: Orders, sql: asyncpg.Connection
) -> None:
    order_id, marker = str(uuid.uuid4()), str(uuid.uuid4())
    await orders.publish("order.cancelled", order_id=order_id, reason="out of stock")
    await orders.publish_envelope(awaiting_payment(orders.source, marker, "u", "1.00"))
    await eventually(lambda: _is(payable_status(sql, marker), "AWAITING"), what="the marker")
    assert await payable_status(sql, order_id) is None


async def test_awaiting_payment_updates_an_awaiting_order_only(
    sessionmaker: async_sessionmaker[AsyncSession], sql: asyncpg.Connection
) -> None:
    order_id = str(uuid.uuid4())
    for amount in ("10.00", "12.00"):
        async with sessionmaker() as session, session.begin():
            await handle_order_event(session, awaiting_payment("orders", order_id, "u", amount))
    amount = await sql.fetchval("SELECT amount FROM payable_orders WHERE order_id = $1", order_id)
    assert str(amount) == "12.00"


@pytest.mark.parametrize(
    "data",
    [
        {"user_id": "u", "total_amount": "1", "currency": "USD"},
        {"order_id": "o", "user_id": "u", "total_amount": "-1", "currency": "USD"},
        {"order_id": "o", "user_id": "u", "total_amount": "abc", "currency": "USD"},
        {"order_id": "o", "total_amount": "1", "currency": "USD"},
    ],
)
async def test_malformed_awaiting_payment_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession], data: dict[str, Any]
) -> None:
    """It breaks the contract, so the consumer dead-letters it at once; the read model never
    holds it."""
    envelope = new_envelope("orders", "order.awaiting_payment", data)
    async with sessionmaker() as session:
        with pytest.raises(ContractError, match=r"total_amount|order_id|user_id"):
            await handle_order_event(session, envelope)


async def _is(value: Any, expected: object) -> bool:
    return bool(await value == expected)


async def _pay(
    client: httpx.AsyncClient, token: str, order_id: str, card_input: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={
            "query": PAY,
            "variables": {"order": order_id, "card": card_input, "key": uuid.uuid4().hex},
        },
        headers={"authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    return body
