"""The built-in sandbox provider: documented test cards, no network, no money.

It keeps a ledger of the charges it made, keyed by our reference, the way a remote provider
keeps its records: a second charge with the same reference returns the first answer, and
`SandboxProvider.lookup` reports it later. Built from settings, the ledger is the
``sandbox_charges`` table in payment_db, reached through the sandbox's own connection (not
the payment's transaction), so it survives restarts like a provider's would. Built bare
(``SandboxProvider()``) it is a dict in memory, forgotten when the process stops — enough
for unit tests, not for reconciliation across restarts.

Test cards (any future expiry, any CVC of the right length):

==========================  =================================================
4242 4242 4242 4242         approved (Visa)
5555 5555 5555 4444         approved (Mastercard)
3782 822463 10005           approved (American Express, 4-digit CVC)
4000 0000 0000 0002         declined: ``card_declined``
4000 0000 0000 9995         declined: ``insufficient_funds``
4000 0000 0000 0069         declined: ``expired_card``
4000 0000 0000 0127         declined: ``incorrect_cvc``
4000 0000 0000 3410         timeout: charged, but the answer never comes in time
                            (the payment stays INITIATED; the reconciler finds SUCCESS)
4000 0000 0000 0119         unavailable: no answer and no charge (the reconciler
                            finds nothing and records FAILED ``provider_no_charge``)
other Luhn-valid numbers    declined: ``test_mode_live_card`` (never charge real cards)
==========================  =================================================

A number failing the Luhn check never reaches a provider (``BAD_USER_INPUT``).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from subgraphs.payments.models import SandboxCharge
from subgraphs.payments.providers import ChargeRequest, ChargeResult, ProviderUnavailable

SANDBOX_APPROVED = frozenset({"4242424242424242", "5555555555554444", "378282246310005"})
SANDBOX_DECLINES: dict[str, tuple[str, str]] = {
    "4000000000000002": ("card_declined", "The card was declined"),
    "4000000000009995": ("insufficient_funds", "The card has insufficient funds"),
    "4000000000000069": ("expired_card", "The card has expired"),
    "4000000000000127": ("incorrect_cvc", "The card's security code is incorrect"),
}
SANDBOX_UNAVAILABLE = "4000000000000119"
SANDBOX_TIMEOUT = "4000000000003410"
LIVE_CARD = ("test_mode_live_card", "The sandbox accepts only its documented test cards")


class Ledger(Protocol):
    """The provider's memory of its charges, keyed by reference."""

    async def record(
        self, reference: str, request: ChargeRequest, result: ChargeResult
    ) -> ChargeResult:
        """Stores ``result`` unless the reference is known; returns what is stored."""
        ...

    async def find(self, reference: str) -> ChargeResult | None: ...


class MemoryLedger:
    """Forgets everything when the process ends (see the module docstring)."""

    def __init__(self) -> None:
        self._charges: dict[str, ChargeResult] = {}

    async def record(
        self, reference: str, request: ChargeRequest, result: ChargeResult
    ) -> ChargeResult:
        return self._charges.setdefault(reference, result)

    async def find(self, reference: str) -> ChargeResult | None:
        return self._charges.get(reference)


class DatabaseLedger:
    """The ``sandbox_charges`` table; the primary key on the reference forbids a second
    charge even between two processes racing on one reference."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engine: AsyncEngine | None = None

    def _sessions(self) -> async_sessionmaker[Any]:
        if self._engine is None:
            self._engine = create_async_engine(self.database_url, pool_size=2, max_overflow=2)
        return async_sessionmaker(self._engine, expire_on_commit=False)

    async def record(
        self, reference: str, request: ChargeRequest, result: ChargeResult
    ) -> ChargeResult:
        async with self._sessions()() as session, session.begin():
            await session.execute(
                insert(SandboxCharge)
                .values(
                    reference=reference,
                    charge_id=result.provider_ref,
                    amount=request.amount,
                    currency=request.currency,
                    approved=result.approved,
                    failure_code=result.failure_code,
                    failure_message=result.failure_message,
                )
                .on_conflict_do_nothing(index_elements=[SandboxCharge.reference])
            )
            row = await session.scalar(
                select(SandboxCharge).where(SandboxCharge.reference == reference)
            )
        assert row is not None
        return _result(row)

    async def find(self, reference: str) -> ChargeResult | None:
        async with self._sessions()() as session:
            row = await session.scalar(
                select(SandboxCharge).where(SandboxCharge.reference == reference)
            )
        return None if row is None else _result(row)

    async def aclose(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.dispose()


def _result(row: SandboxCharge) -> ChargeResult:
    return ChargeResult(
        approved=row.approved,
        provider_ref=row.charge_id,
        failure_code=row.failure_code,
        failure_message=row.failure_message,
    )


def answer_for(request: ChargeRequest) -> ChargeResult:
    """What the sandbox decides for a card, before it remembers it."""
    reference = f"sbx_{hashlib.sha256(request.reference.encode()).hexdigest()[:24]}"
    number = request.card.number
    if number in SANDBOX_APPROVED or number == SANDBOX_TIMEOUT:
        return ChargeResult(approved=True, provider_ref=reference)
    code, message = SANDBOX_DECLINES.get(number, LIVE_CARD)
    return ChargeResult(
        approved=False, provider_ref=reference, failure_code=code, failure_message=message
    )


class SandboxProvider:
    """Answers from the table in the module docstring; ``hang_seconds`` is how long the
    timeout card keeps the caller waiting (far beyond any sane provider timeout)."""

    name = "sandbox"

    def __init__(self, ledger: Ledger | None = None, *, hang_seconds: float = 3600.0) -> None:
        self.ledger: Ledger = ledger or MemoryLedger()
        self.hang_seconds = hang_seconds

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        number = request.card.number
        if number == SANDBOX_UNAVAILABLE:
            raise ProviderUnavailable("sandbox: simulated provider outage")
        known = await self.ledger.find(request.reference)
        if known is None:
            known = await self.ledger.record(request.reference, request, answer_for(request))
        if number == SANDBOX_TIMEOUT:
            await asyncio.sleep(self.hang_seconds)
        return known

    async def lookup(self, reference: str) -> ChargeResult | None:
        return await self.ledger.find(reference)

    async def aclose(self) -> None:
        aclose = getattr(self.ledger, "aclose", None)
        if aclose is not None:
            await aclose()


def sandbox_from_settings(settings: Any) -> SandboxProvider:
    """The ledger in the service's own database when settings name one, else in memory."""
    url = getattr(settings, "database_url", None)
    return SandboxProvider(DatabaseLedger(url) if url else None)
