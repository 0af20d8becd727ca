"""Providers behind one interface: the sandbox's table and ledger, a provider plugged in by
setting, and what happens when a provider does not answer in time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.auth import Principal
from subgraphs.payments import service
from subgraphs.payments.app import create_app
from subgraphs.payments.cards import Card, brand_of, luhn_valid
from subgraphs.payments.providers import ChargeRequest, ProviderUnavailable, load_provider
from subgraphs.payments.sandbox import DatabaseLedger, SandboxProvider
from subgraphs.payments.settings import PaymentsSettings
from tests.support.payments import FUTURE_YEAR, SlowProvider, seed_order

NOW = datetime(2026, 6, 15, tzinfo=UTC)


def request_for(number: str, reference: str = "r") -> ChargeRequest:
    cvc = "1234" if brand_of(number) == "AMEX" else "123"
    return ChargeRequest(
        reference=reference,
        order_id="o1",
        amount=Decimal("10.00"),
        currency="USD",
        card=Card.parse(number, 12, FUTURE_YEAR, cvc, NOW),
    )


@pytest.mark.parametrize(
    ("number", "approved", "code"),
    [
        ("4242424242424242", True, None),
        ("5555555555554444", True, None),
        ("378282246310005", True, None),
        ("4000000000000002", False, "card_declined"),
        ("4000000000009995", False, "insufficient_funds"),
        ("4000000000000069", False, "expired_card"),
        ("4000000000000127", False, "incorrect_cvc"),
        ("4012888888881881", False, "test_mode_live_card"),
    ],
)
async def test_sandbox_test_cards(number: str, approved: bool, code: str | None) -> None:
    result = await SandboxProvider().charge(request_for(number))
    assert (result.approved, result.failure_code) == (approved, code)
    assert (result.failure_message is None) == approved


async def test_sandbox_charges_once_per_reference() -> None:
    sandbox = SandboxProvider()
    first = await sandbox.charge(request_for("4242424242424242", reference="a"))
    # The same reference with another card answers as the first time: no second charge.
    again = await sandbox.charge(request_for("4000000000000002", reference="a"))
    other = await sandbox.charge(request_for("4242424242424242", reference="b"))
    assert first == again
    assert first.provider_ref != other.provider_ref
    assert await sandbox.lookup("a") == first
    assert await sandbox.lookup("never-sent") is None


async def test_sandbox_outage_card_raises_and_charges_nothing() -> None:
    sandbox = SandboxProvider()
    with pytest.raises(ProviderUnavailable):
        await sandbox.charge(request_for("4000000000000119", reference="down"))
    assert await sandbox.lookup("down") is None


async def test_sandbox_timeout_card_charges_but_never_answers_in_time() -> None:
    sandbox = SandboxProvider(hang_seconds=30)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await sandbox.charge(request_for("4000 0000 0000 3410", reference="slow"))
    found = await sandbox.lookup("slow")
    assert found is not None
    assert found.approved


async def test_database_ledger_dedupes_across_providers(payments_db: str) -> None:
    """Two sandbox instances (two processes) on one ledger still charge once."""
    ledgers = [DatabaseLedger(payments_db) for _ in range(2)]
    try:
        sandboxes = [SandboxProvider(ledger) for ledger in ledgers]
        reference = str(uuid.uuid4())
        results = await asyncio.gather(
            sandboxes[0].charge(request_for("4242424242424242", reference=reference)),
            sandboxes[1].charge(request_for("4000000000000002", reference=reference)),
        )
        assert results[0] == results[1]
        assert await sandboxes[1].lookup(reference) == results[0]
        assert await sandboxes[0].lookup(str(uuid.uuid4())) is None
    finally:
        for ledger in ledgers:
            await ledger.aclose()


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4242424242424242", True), ("4242424242424241", False), ("79927398713", True)],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "VISA"),
        ("5555555555554444", "MASTERCARD"),
        ("2223003122003222", "MASTERCARD"),
        ("378282246310005", "AMEX"),
        ("6011111111111117", "DISCOVER"),
        ("3056930009020004", "UNKNOWN"),
    ],
)
def test_brand(number: str, brand: str) -> None:
    assert brand_of(number) == brand


def test_card_keeps_the_number_out_of_its_repr() -> None:
    card = Card.parse("4242 4242 4242 4242", 1, 27, "123", NOW)
    assert (card.exp_year, card.last4) == (2027, "4242")
    assert "4242424242424242" not in repr(card)
    assert "123" not in repr(card)


def test_provider_is_chosen_by_setting() -> None:
    assert isinstance(load_provider("sandbox"), SandboxProvider)
    settings = PaymentsSettings(payments_provider_timeout=0.5, payments_reconcile_after=1)
    plugged = load_provider("tests.support.payments:slow_provider", settings)
    assert isinstance(plugged, SlowProvider)
    assert plugged.delay == 5.0
    with pytest.raises(ValueError, match="unknown payment provider"):
        load_provider("stripe")
    with pytest.raises(TypeError):
        load_provider("tests.support.payments:not_a_provider")


def test_reconciliation_never_overtakes_the_provider_timeout() -> None:
    with pytest.raises(ValueError, match="payments_reconcile_after"):
        PaymentsSettings(payments_provider_timeout=30, payments_reconcile_after=10)


async def test_app_closes_its_provider(settings: PaymentsSettings, nc: Client) -> None:
    """(``nc`` removes the streams the app's event runtime may create.)"""
    provider = SlowProvider(delay=0)
    app = create_app(settings, verify_tokens=False, provider=provider)
    async with app.router.lifespan_context(app):
        assert not provider.closed
        assert app.state.resources.reconciler.running
    assert provider.closed
    assert not app.state.resources.reconciler.running


async def test_provider_timeout_leaves_the_payment_initiated_with_no_event(
    sessionmaker: async_sessionmaker[AsyncSession], sql: asyncpg.Connection
) -> None:
    user = str(uuid.uuid4())
    order_id = await seed_order(sessionmaker, user_id=user)
    slow = SlowProvider(delay=5)
    request = service.PayRequest(
        order_id=order_id,
        card=Card.parse("4242424242424242", 12, FUTURE_YEAR, "123", NOW),
        idempotency_key=uuid.uuid4().hex,
    )
    payment = await service.pay_order(
        sessionmaker, request, Principal(subject=user), slow, provider_timeout=0.1
    )
    assert payment.status == "INITIATED"
    # The reference the provider was given is the payment's id.
    assert list(slow.charged) == [str(payment.id)]
    row = await sql.fetchrow(
        "SELECT status, provider_ref FROM payments WHERE order_id = $1", order_id
    )
    assert row is not None
    assert (row["status"], row["provider_ref"]) == ("INITIATED", None)
    assert (
        await sql.fetchval("SELECT count(*) FROM outbox WHERE data->>'order_id' = $1", order_id)
        == 0
    )
    # A retry with the same key returns it and does not call the provider again.
    again = await service.pay_order(
        sessionmaker, request, Principal(subject=user), slow, provider_timeout=0.1
    )
    assert (again.id, again.status, slow.calls) == (payment.id, "INITIATED", 1)
