"""The analytics consumers: every order, payment and stock event goes through `service.ingest`
(stored raw once, folded into the order facts, its days' rollups recomputed).

Each event is checked against its contract on the way in (a mismatch is dead-lettered, see
`subgraphs.kit.events.contracts`); what is stored and folded is the event's data as sent,
since ``rebuildRollups`` replays the stored events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.analytics import service
from subgraphs.kit.events import ConsumerSpec, Envelope, EventPayload, handlers, on
from subgraphs.kit.events.contracts import (
    OrderAwaitingPayment,
    OrderCancelled,
    OrderCreated,
    OrderFulfilled,
    OrderPaid,
    PaymentFailed,
    PaymentSucceeded,
    StockRejected,
    StockReserved,
)


async def ingest(session: AsyncSession, envelope: Envelope, _valid: EventPayload) -> None:
    await service.ingest(session, envelope)


def consumers() -> list[ConsumerSpec]:
    return [
        ConsumerSpec(
            "orders",
            "orders",
            handlers(
                on(OrderCreated, ingest),
                on(OrderAwaitingPayment, ingest),
                on(OrderPaid, ingest),
                on(OrderCancelled, ingest),
                on(OrderFulfilled, ingest),
            ),
        ),
        ConsumerSpec(
            "payments",
            "payments",
            handlers(on(PaymentSucceeded, ingest), on(PaymentFailed, ingest)),
        ),
        ConsumerSpec(
            "inventory",
            "inventory",
            handlers(on(StockReserved, ingest), on(StockRejected, ingest)),
        ),
    ]
