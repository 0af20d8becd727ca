"""The analytics consumers: every order, payment and stock event goes through `service.ingest`
(stored raw once, folded into the order facts, its days' rollups recomputed)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.analytics import service
from subgraphs.kit.events import ConsumerSpec, Envelope

ORDER_EVENTS = (
    "order.created",
    "order.awaiting_payment",
    "order.paid",
    "order.cancelled",
    "order.fulfilled",
)
PAYMENT_EVENTS = ("payment.succeeded", "payment.failed")
STOCK_EVENTS = ("stock.reserved", "stock.rejected")


async def ingest(session: AsyncSession, envelope: Envelope) -> None:
    await service.ingest(session, envelope)


def consumers() -> list[ConsumerSpec]:
    return [
        ConsumerSpec("orders", "orders", dict.fromkeys(ORDER_EVENTS, ingest)),
        ConsumerSpec("payments", "payments", dict.fromkeys(PAYMENT_EVENTS, ingest)),
        ConsumerSpec("inventory", "inventory", dict.fromkeys(STOCK_EVENTS, ingest)),
    ]
