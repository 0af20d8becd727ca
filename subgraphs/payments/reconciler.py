"""Settles payments left ``INITIATED`` when the provider gave no answer in time.

`reconcile` asks the provider, by reference, about every payment ``INITIATED`` for longer
than ``older_than`` seconds, and records what it says with `service.settle` (row lock and
status check: a payment is settled and published once, however many reconcilers run). A
reference the provider never charged becomes ``FAILED`` (``provider_no_charge``), so the
saga cancels the order and releases its stock. A provider still without an answer leaves
the payment for the next round. `Reconciler` runs it every interval in the app's lifespan.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.events.worker import Worker
from subgraphs.kit.logging import get_logger
from subgraphs.payments.models import Payment, PaymentStatus
from subgraphs.payments.providers import ChargeResult, PaymentProvider
from subgraphs.payments.service import NO_CHARGE, settle

log = get_logger("polyshop.payments.reconciler")

NOT_CHARGED = ChargeResult(
    approved=False,
    failure_code=NO_CHARGE,
    failure_message="The provider has no charge for this payment (it never reached it)",
)


@dataclass(slots=True)
class ReconcileReport:
    """What one round did, by payment id."""

    settled: list[uuid.UUID] = field(default_factory=list)
    unanswered: list[uuid.UUID] = field(default_factory=list)


async def stale_payments(
    sessionmaker: async_sessionmaker[AsyncSession], older_than: float, limit: int
) -> list[uuid.UUID]:
    """Ids of payments ``INITIATED`` for more than ``older_than`` seconds (database clock)."""
    cutoff = func.now() - timedelta(seconds=older_than)
    async with sessionmaker() as session:
        ids = await session.scalars(
            select(Payment.id)
            .where(Payment.status == PaymentStatus.INITIATED.value, Payment.created_at <= cutoff)
            .order_by(Payment.created_at)
            .limit(limit)
        )
        return list(ids)


async def reconcile(
    sessionmaker: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    *,
    older_than: float,
    event_source: str = "payments",
    lookup_timeout: float = 20.0,
    limit: int = 100,
) -> ReconcileReport:
    """One round over the stale ``INITIATED`` payments (see the module docstring)."""
    report = ReconcileReport()
    for payment_id in await stale_payments(sessionmaker, older_than, limit):
        try:
            async with asyncio.timeout(lookup_timeout):
                found = await provider.lookup(str(payment_id))
        except Exception as exc:
            log.warning("provider lookup failed", payment_id=str(payment_id), error=repr(exc))
            report.unanswered.append(payment_id)
            continue
        async with sessionmaker() as session, session.begin():
            payment = await settle(
                session, payment_id, found or NOT_CHARGED, event_source=event_source
            )
        log.info("payment reconciled", payment_id=str(payment_id), status=payment.status)
        report.settled.append(payment_id)
    return report


class Reconciler(Worker):
    """`reconcile` every ``interval`` seconds until the app stops."""

    name = "payments-reconciler"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        provider: PaymentProvider,
        *,
        interval: float,
        older_than: float,
        event_source: str,
        lookup_timeout: float,
        limit: int,
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.provider = provider
        self.interval = interval
        self.older_than = older_than
        self.event_source = event_source
        self.lookup_timeout = lookup_timeout
        self.limit = limit
        self.rounds = 0

    async def run(self) -> None:
        while True:
            await self.sleep(self.interval)
            try:
                await reconcile(
                    self.sessionmaker,
                    self.provider,
                    older_than=self.older_than,
                    event_source=self.event_source,
                    lookup_timeout=self.lookup_timeout,
                    limit=self.limit,
                )
            except Exception as exc:  # the database may be away; try again next round
                log.warning("reconcile round failed", error=repr(exc))
            self.rounds += 1
