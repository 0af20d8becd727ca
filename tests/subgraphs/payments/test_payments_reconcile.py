"""Payments the provider never answered for: INITIATED, then settled once by reconciliation
from the provider's own records (the sandbox ledger in payment_db)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.auth import Principal
from subgraphs.payments import service
from subgraphs.payments.cards import Card
from subgraphs.payments.providers import ChargeResult, PaymentProvider
from subgraphs.payments.reconciler import Reconciler, ReconcileReport, reconcile
from tests.support.eventually import eventually
from tests.support.keys import TestKeys
from tests.support.payments import FUTURE_YEAR, OK_CARD, SlowProvider, backdate, card, seed_order

TIMEOUT_CARD = card("4000 0000 0000 3410")
OUTAGE_CARD = card("4000 0000 0000 0119")
PAY = """
mutation($order: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $order, card: $card, idempotencyKey: $key) {
    id status providerRef failureCode
  }
}
"""
ORDER = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Order { payments { id status } } }
}
"""


@pytest.fixture
def user() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def provider(payments_app: FastAPI) -> PaymentProvider:
    """The app's own sandbox, whose ledger is the sandbox_charges table."""
    found: PaymentProvider = payments_app.state.resources.provider
    return found


async def events_of(sql: asyncpg.Connection, order_id: str) -> list[tuple[str, dict[str, Any]]]:
    rows = await sql.fetch(
        "SELECT type, data FROM outbox WHERE data->>'order_id' = $1 ORDER BY seq", order_id
    )
    return [(row["type"], json.loads(row["data"])) for row in rows]


async def run_round(
    sessionmaker: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    sources: tuple[str, str],
    older_than: float = 60,
) -> ReconcileReport:
    return await reconcile(sessionmaker, provider, older_than=older_than, event_source=sources[0])


async def test_timeout_card_is_initiated_then_reconciled_to_success_once(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    provider: PaymentProvider,
    sources: tuple[str, str],
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    token = keys.token(user)
    body = await gql(PAY, token, order=order_id, card=TIMEOUT_CARD, key="slow-1")
    assert "errors" not in body, body
    payment = body["data"]["payOrder"]
    assert payment["status"] == "INITIATED"
    payment_id = uuid.UUID(payment["id"])
    # The provider did charge, under our payment id; we just never heard.
    charge = await sql.fetchrow(
        "SELECT approved, charge_id FROM sandbox_charges WHERE reference = $1", str(payment_id)
    )
    assert charge is not None
    assert charge["approved"]
    assert await events_of(sql, order_id) == []

    # A retry with the same key returns the payment as it stands: no second charge.
    again = await gql(PAY, token, order=order_id, card=TIMEOUT_CARD, key="slow-1")
    assert again["data"]["payOrder"] == payment
    assert (
        await sql.fetchval(
            "SELECT count(*) FROM sandbox_charges WHERE reference = $1", payment["id"]
        )
        == 1
    )

    # Younger than the threshold: left alone (its answer might still be on its way).
    young = await run_round(sessionmaker, provider, sources)
    assert payment_id not in young.settled
    await backdate(sql, payment["id"], 120)
    report = await run_round(sessionmaker, provider, sources)
    assert payment_id in report.settled

    row = await sql.fetchrow("SELECT status, provider_ref FROM payments WHERE id = $1", payment_id)
    assert row is not None
    assert (row["status"], row["provider_ref"]) == ("SUCCESS", charge["charge_id"])
    assert await events_of(sql, order_id) == [
        (
            "payment.succeeded",
            {
                "order_id": order_id,
                "payment_id": payment["id"],
                "amount": "42.50",
                "currency": "USD",
            },
        )
    ]
    # Settled payments are not looked at again, and a retry now shows the outcome.
    assert payment_id not in (await run_round(sessionmaker, provider, sources)).settled
    replay = await gql(PAY, token, order=order_id, card=TIMEOUT_CARD, key="slow-1")
    assert replay["data"]["payOrder"]["status"] == "SUCCESS"
    seen = await gql(ORDER, token, reps=[{"__typename": "Order", "id": order_id}])
    assert seen["data"]["_entities"] == [{"payments": [{"id": payment["id"], "status": "SUCCESS"}]}]
    assert len(await events_of(sql, order_id)) == 1


async def test_outage_is_reconciled_to_failed_when_the_provider_never_charged(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    provider: PaymentProvider,
    sources: tuple[str, str],
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    body = await gql(PAY, keys.token(user), order=order_id, card=OUTAGE_CARD, key=uuid.uuid4().hex)
    payment = body["data"]["payOrder"]
    assert payment["status"] == "INITIATED"
    await backdate(sql, payment["id"], 120)
    await run_round(sessionmaker, provider, sources)
    row = await sql.fetchrow(
        "SELECT status, failure_code FROM payments WHERE id = $1", uuid.UUID(payment["id"])
    )
    assert row is not None
    assert (row["status"], row["failure_code"]) == (
        "FAILED",
        "provider_no_charge",
    )
    assert await events_of(sql, order_id) == [
        (
            "payment.failed",
            {"order_id": order_id, "payment_id": payment["id"], "reason": "provider_no_charge"},
        )
    ]


async def test_concurrent_reconcilers_settle_once(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    provider: PaymentProvider,
    sources: tuple[str, str],
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    body = await gql(PAY, keys.token(user), order=order_id, card=TIMEOUT_CARD, key=uuid.uuid4().hex)
    await backdate(sql, body["data"]["payOrder"]["id"], 120)
    await asyncio.gather(*(run_round(sessionmaker, provider, sources) for _ in range(4)))
    assert [event_type for event_type, _ in await events_of(sql, order_id)] == ["payment.succeeded"]


class SilentProvider:
    """Never answers a lookup: the payment must wait for a later round."""

    name = "silent"

    async def charge(self, request: Any) -> ChargeResult:
        raise AssertionError("not charged in this test")

    async def lookup(self, reference: str) -> ChargeResult | None:
        raise ConnectionError("provider unreachable")


async def test_a_provider_without_an_answer_leaves_the_payment_for_later(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    sources: tuple[str, str],
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    body = await gql(PAY, keys.token(user), order=order_id, card=TIMEOUT_CARD, key=uuid.uuid4().hex)
    payment_id = body["data"]["payOrder"]["id"]
    await backdate(sql, payment_id, 120)
    report = await run_round(sessionmaker, SilentProvider(), sources)
    assert uuid.UUID(payment_id) in report.unanswered
    assert await sql.fetchval(
        "SELECT status FROM payments WHERE id = $1", uuid.UUID(payment_id)
    ) == ("INITIATED")
    assert await events_of(sql, order_id) == []


async def test_background_reconciler_settles_payments_on_its_own(
    gql: Any,
    keys: TestKeys,
    user: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: asyncpg.Connection,
    sources: tuple[str, str],
) -> None:
    order_id = await seed_order(sessionmaker, user_id=user)
    # Another provider, plugged in as a real one would be, that also never answers in time.
    slow = SlowProvider(delay=5)
    request = service.PayRequest(
        order_id=order_id,
        card=Card.parse(OK_CARD["number"], 12, FUTURE_YEAR, "123", datetime.now(UTC)),
        idempotency_key=uuid.uuid4().hex,
    )
    payment = await service.pay_order(
        sessionmaker,
        request,
        Principal(subject=user),
        slow,
        event_source=sources[0],
        provider_timeout=0.1,
    )
    assert payment.status == "INITIATED"
    worker = Reconciler(
        sessionmaker,
        slow,
        interval=0.1,
        older_than=0,
        event_source=sources[0],
        lookup_timeout=1,
        limit=10,
    )
    worker.start()
    try:

        async def settled() -> bool:
            status = await sql.fetchval("SELECT status FROM payments WHERE id = $1", payment.id)
            return bool(status == "SUCCESS")

        await eventually(settled, what="the background reconciler")
    finally:
        await worker.stop(grace=2)
    assert worker.rounds >= 1
    assert [t for t, _ in await events_of(sql, order_id)] == ["payment.succeeded"]
    assert slow.calls == 1
