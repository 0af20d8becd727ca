"""How orders reacts to the checkout saga's events from inventory and payments.

Each handler runs inside the consumer's inbox transaction, so the status change, the event
orders emits in turn, and the record that this event was handled commit together.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.events import ConsumerSpec, Envelope
from subgraphs.kit.logging import get_logger
from subgraphs.orders.models import OrderStatus
from subgraphs.orders.service import SagaStep, advance

log = get_logger("polyshop.orders.events")

S = OrderStatus
AWAIT_PAYMENT = SagaStep(S.CREATED, S.PENDING_PAYMENT, emits="order.awaiting_payment")
# Nothing was reserved, so inventory has nothing to release: ``order.rejected``, which
# inventory does not consume, tells subscribers and the others.
REJECT = SagaStep(S.CREATED, S.CANCELLED, emits="order.rejected")
PAY = SagaStep(S.PENDING_PAYMENT, S.PAID, emits="order.paid")
FAIL_PAYMENT = SagaStep(S.PENDING_PAYMENT, S.CANCELLED, emits="order.cancelled")


async def _apply(
    session: AsyncSession, envelope: Envelope, step: SagaStep, reason: str | None = None
) -> None:
    order = await advance(session, envelope, step, reason=reason)
    if order is None:
        log.info("stale saga event ignored", order_id=envelope.data.get("order_id"))
    else:
        log.info("order status changed", order_id=str(order.id), status=order.status.value)


async def on_stock_reserved(session: AsyncSession, envelope: Envelope) -> None:
    await _apply(session, envelope, AWAIT_PAYMENT)


async def on_stock_rejected(session: AsyncSession, envelope: Envelope) -> None:
    reason = str(envelope.data.get("reason") or "out of stock")
    await _apply(session, envelope, REJECT, f"stock rejected: {reason}")


async def on_payment_succeeded(session: AsyncSession, envelope: Envelope) -> None:
    order = await advance(session, envelope, PAY)
    if order is None:
        # Money taken for an order that cannot be paid (cancelled meanwhile): a person or a
        # refund flow must act on it.
        log.error(
            "payment for an order that is not awaiting payment",
            order_id=envelope.data.get("order_id"),
            payment_id=envelope.data.get("payment_id"),
        )


async def on_payment_failed(session: AsyncSession, envelope: Envelope) -> None:
    reason = str(envelope.data.get("reason") or "payment failed")
    await _apply(session, envelope, FAIL_PAYMENT, f"payment failed: {reason}")


CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec(
        "inventory",
        "inventory",
        {"stock.reserved": on_stock_reserved, "stock.rejected": on_stock_rejected},
    ),
    ConsumerSpec(
        "payments",
        "payments",
        {"payment.succeeded": on_payment_succeeded, "payment.failed": on_payment_failed},
    ),
)
