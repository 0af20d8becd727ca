"""Events payments consumes (the orders read model) and publishes (payment outcomes).

Handlers run inside the consumer's inbox transaction, so each event changes the read model
exactly once. Orders is the authority on an order's state and its stream is consumed in
order, so the read model simply mirrors the last word; ``order.awaiting_payment`` never
reopens an order the read model already saw paid or cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.events import ConsumerSpec, Envelope, Handler, new_envelope
from subgraphs.payments.models import PayableOrder, PayableStatus, Payment, PaymentStatus

AWAITING_PAYMENT = "order.awaiting_payment"
ORDER_PAID = "order.paid"
ORDER_CANCELLED = "order.cancelled"
PAYMENT_SUCCEEDED = "payment.succeeded"
PAYMENT_FAILED = "payment.failed"


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or isinstance(value, bool | dict | list) or str(value) == "":
        raise ValueError(f"event data lacks {key!r}")
    return str(value)


def _amount(data: Mapping[str, Any]) -> Decimal:
    try:
        amount = Decimal(_text(data, "total_amount"))
    except InvalidOperation:
        raise ValueError("total_amount is not a decimal") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError("total_amount must be positive")
    return amount


async def on_awaiting_payment(session: AsyncSession, envelope: Envelope) -> None:
    data = envelope.data
    values = {
        "order_id": _text(data, "order_id"),
        "user_id": _text(data, "user_id"),
        "amount": _amount(data),
        "currency": _text(data, "currency").upper(),
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


async def _set_status(session: AsyncSession, envelope: Envelope, status: PayableStatus) -> None:
    # An order cancelled before it awaited payment (stock rejected) was never payable here.
    await session.execute(
        update(PayableOrder)
        .where(PayableOrder.order_id == _text(envelope.data, "order_id"))
        .values(status=status.value, updated_at=func.now())
    )


async def on_order_paid(session: AsyncSession, envelope: Envelope) -> None:
    await _set_status(session, envelope, PayableStatus.PAID)


async def on_order_cancelled(session: AsyncSession, envelope: Envelope) -> None:
    await _set_status(session, envelope, PayableStatus.CANCELLED)


ORDER_HANDLERS: dict[str, Handler] = {
    AWAITING_PAYMENT: on_awaiting_payment,
    ORDER_PAID: on_order_paid,
    ORDER_CANCELLED: on_order_cancelled,
}


def consumers(orders_source: str = "orders") -> tuple[ConsumerSpec, ...]:
    """The durable consumer ``payments-orders`` over the orders stream."""
    return (ConsumerSpec("orders", orders_source, ORDER_HANDLERS),)


def outcome_event(payment: Payment, source: str = "payments") -> Envelope:
    """``payment.succeeded`` or ``payment.failed`` for a finished payment."""
    if payment.status == PaymentStatus.SUCCESS:
        return new_envelope(
            source,
            PAYMENT_SUCCEEDED,
            {
                "order_id": payment.order_id,
                "payment_id": str(payment.id),
                "amount": payment.amount,
                "currency": payment.currency,
            },
        )
    if payment.status == PaymentStatus.FAILED:
        return new_envelope(
            source,
            PAYMENT_FAILED,
            {
                "order_id": payment.order_id,
                "payment_id": str(payment.id),
                "reason": payment.failure_code or "failed",
            },
        )
    raise ValueError(f"payment {payment.id} has no outcome yet ({payment.status})")
