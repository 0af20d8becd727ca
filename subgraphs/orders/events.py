"""How orders reacts to the checkout saga's events from inventory and payments.

Each handler runs inside the consumer's inbox transaction, so the status change, the event
orders emits in turn, and the record that this event was handled commit together.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.events import ConsumerSpec, Envelope, handlers, on
from subgraphs.kit.events.contracts import (
    PaymentFailed,
    PaymentSucceeded,
    StockRejected,
    StockReserved,
)
from subgraphs.kit.logging import get_logger
from subgraphs.orders.models import OrderStatus
from subgraphs.orders.service import (
    SagaStep,
    advance,
    awaiting_payment,
    cancelled,
    paid,
    rejected,
)

log = get_logger("polyshop.orders.events")

S = OrderStatus
AWAIT_PAYMENT = SagaStep(S.CREATED, S.PENDING_PAYMENT, emits=awaiting_payment)
# Nothing was reserved, so inventory has nothing to release: ``order.rejected``, which
# inventory does not consume, tells subscribers and the others.
REJECT = SagaStep(S.CREATED, S.CANCELLED, emits=rejected)
PAY = SagaStep(S.PENDING_PAYMENT, S.PAID, emits=paid)
FAIL_PAYMENT = SagaStep(S.PENDING_PAYMENT, S.CANCELLED, emits=cancelled)


async def _apply(
    session: AsyncSession,
    envelope: Envelope,
    order_id: str,
    step: SagaStep,
    reason: str | None = None,
) -> None:
    order = await advance(session, order_id, step, caused_by=envelope, reason=reason)
    if order is None:
        log.info("stale saga event ignored", order_id=order_id)
    else:
        log.info("order status changed", order_id=str(order.id), status=order.status.value)


async def on_stock_reserved(
    session: AsyncSession, envelope: Envelope, event: StockReserved
) -> None:
    await _apply(session, envelope, event.order_id, AWAIT_PAYMENT)


async def on_stock_rejected(
    session: AsyncSession, envelope: Envelope, event: StockRejected
) -> None:
    reason = event.reason or "out of stock"
    await _apply(session, envelope, event.order_id, REJECT, f"stock rejected: {reason}")


async def on_payment_succeeded(
    session: AsyncSession, envelope: Envelope, event: PaymentSucceeded
) -> None:
    order = await advance(session, event.order_id, PAY, caused_by=envelope)
    if order is None:
        # Money taken for an order that cannot be paid (cancelled meanwhile): a person or a
        # refund flow must act on it.
        log.error(
            "payment for an order that is not awaiting payment",
            order_id=event.order_id,
            payment_id=event.payment_id,
        )


async def on_payment_failed(
    session: AsyncSession, envelope: Envelope, event: PaymentFailed
) -> None:
    reason = event.reason or "payment failed"
    await _apply(session, envelope, event.order_id, FAIL_PAYMENT, f"payment failed: {reason}")


CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec(
        "inventory",
        "inventory",
        handlers(on(StockReserved, on_stock_reserved), on(StockRejected, on_stock_rejected)),
    ),
    ConsumerSpec(
        "payments",
        "payments",
        handlers(on(PaymentSucceeded, on_payment_succeeded), on(PaymentFailed, on_payment_failed)),
    ),
)
