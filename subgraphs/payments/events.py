"""Events payments consumes (the orders read model) and publishes (payment outcomes).

Handlers run inside the consumer's inbox transaction, so each event changes the read model
exactly once. Orders is the authority on an order's state and its stream is consumed in
order, so the read model simply mirrors the last word; ``order.awaiting_payment`` never
reopens an order the read model already saw paid or cancelled.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.events import ConsumerSpec, Envelope, EventPayload, handlers, new_event, on
from subgraphs.kit.events.contracts import (
    OrderAwaitingPayment,
    OrderCancelled,
    OrderPaid,
    PaymentFailed,
    PaymentSucceeded,
)
from subgraphs.payments.models import PayableOrder, PayableStatus, Payment, PaymentStatus


async def on_awaiting_payment(
    session: AsyncSession, envelope: Envelope, order: OrderAwaitingPayment
) -> None:
    values = {
        "order_id": order.order_id,
        "user_id": order.user_id,
        "amount": order.total_amount,
        "currency": order.currency.upper(),
        "status": PayableStatus.AWAITING.value,
    }
    statement = insert(PayableOrder).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[PayableOrder.order_id],
        set_={
            "user_id": statement.excluded.user_id,
            "amount": statement.excluded.amount,
            "currency": statement.excluded.currency,
            "updated_at": func.now(),
        },
        where=PayableOrder.status == PayableStatus.AWAITING.value,
    )
    await session.execute(statement)


async def _set_status(session: AsyncSession, order_id: str, status: PayableStatus) -> None:
    # An order cancelled before it awaited payment (stock rejected) was never payable here.
    await session.execute(
        update(PayableOrder)
        .where(PayableOrder.order_id == order_id)
        .values(status=status.value, updated_at=func.now())
    )


async def on_order_paid(session: AsyncSession, envelope: Envelope, order: OrderPaid) -> None:
    await _set_status(session, order.order_id, PayableStatus.PAID)


async def on_order_cancelled(
    session: AsyncSession, envelope: Envelope, order: OrderCancelled
) -> None:
    await _set_status(session, order.order_id, PayableStatus.CANCELLED)


ORDER_HANDLERS = handlers(
    on(OrderAwaitingPayment, on_awaiting_payment),
    on(OrderPaid, on_order_paid),
    on(OrderCancelled, on_order_cancelled),
)


def consumers(orders_source: str = "orders") -> tuple[ConsumerSpec, ...]:
    """The durable consumer ``payments-orders`` over the orders stream."""
    return (ConsumerSpec("orders", orders_source, ORDER_HANDLERS),)


def outcome_event(payment: Payment, source: str = "payments") -> Envelope:
    """``payment.succeeded`` or ``payment.failed`` for a finished payment."""
    outcome: EventPayload
    if payment.status == PaymentStatus.SUCCESS:
        outcome = PaymentSucceeded(
            order_id=payment.order_id,
            payment_id=str(payment.id),
            amount=payment.amount,
            currency=payment.currency,
        )
    elif payment.status == PaymentStatus.FAILED:
        outcome = PaymentFailed(
            order_id=payment.order_id,
            payment_id=str(payment.id),
            reason=payment.failure_code or "failed",
        )
    else:
        raise ValueError(f"payment {payment.id} has no outcome yet ({payment.status})")
    return new_event(source, outcome)
