"""The inventory step of the checkout saga: event handlers and what they publish.

Each handler runs in the consumer's inbox transaction, so an event changes stock exactly
once however often it is delivered. ``order.created`` is answered with ``stock.reserved``
(every item held) or ``stock.rejected`` (nothing held); payment and cancellation settle the
reservation. Both order events go through one consumer so they are applied in order.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.inventory import service
from subgraphs.inventory.service import INVALID_ORDER, Line, Rejected
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.events import (
    ConsumerSpec,
    ContractError,
    Envelope,
    EventPayload,
    add_event,
    handlers,
    new_event,
    on,
)
from subgraphs.kit.events.contracts import (
    OrderCancelled,
    OrderCreated,
    PaymentFailed,
    PaymentSucceeded,
    ReservedItem,
    StockChanged,
    StockRejected,
    StockReserved,
)
from subgraphs.kit.logging import get_logger

SERVICE = "inventory"

log = get_logger("polyshop.inventory.events")


def lines_of(order: OrderCreated) -> list[Line] | None:
    """The order's items as lines, or None when a product id is out of inventory's range."""
    try:
        return [
            Line(service.product_id(item.product_id, field="product_id"), item.quantity)
            for item in order.items
        ]
    except BadUserInput:
        return None


async def on_order_created(session: AsyncSession, envelope: Envelope, order: OrderCreated) -> None:
    order_id = order.order_id
    lines = lines_of(order)
    outcome = (
        Rejected(INVALID_ORDER, ())
        if lines is None
        else await service.reserve(session, order_id, lines)
    )
    if outcome is None:
        log.info("order already holds stock; nothing to do", order_id=order_id)
        return
    answer: EventPayload
    if isinstance(outcome, Rejected):
        answer = StockRejected(
            order_id=order_id,
            reason=outcome.reason,
            product_ids=[str(pid) for pid in outcome.product_ids],
        )
    else:
        answer = StockReserved(
            order_id=order_id,
            items=[
                ReservedItem(product_id=str(line.product_id), quantity=line.quantity)
                for line in outcome.lines
            ],
        )
    await add_event(session, new_event(SERVICE, answer, caused_by=envelope))
    log.info(answer.event_type, order_id=order_id)


def changed_products(envelope: Envelope) -> list[str]:
    """The products whose stock an inventory event says changed (for live subscribers)."""
    try:
        if envelope.type == StockReserved.event_type:
            return [item.product_id for item in StockReserved.parse(envelope).items]
        if envelope.type == StockChanged.event_type:
            return list(StockChanged.parse(envelope).product_ids)
    except ContractError:
        log.warning("live event breaks its contract", event_type=envelope.type)
    return []


async def add_stock_changed(
    session: AsyncSession,
    product_ids: list[int],
    cause: str,
    *,
    caused_by: Envelope | None = None,
) -> None:
    """Records ``stock.changed`` in the outbox of the transaction that changed the units."""
    if product_ids:
        changed = StockChanged(
            product_ids=[str(pid) for pid in sorted(set(product_ids))], cause=cause
        )
        await add_event(session, new_event(SERVICE, changed, caused_by=caused_by))


async def on_release(
    session: AsyncSession, envelope: Envelope, event: OrderCancelled | PaymentFailed
) -> None:
    """``order.cancelled`` or ``payment.failed``: the held units become available again."""
    lines = await service.release(session, event.order_id)
    await add_stock_changed(
        session, [line.product_id for line in lines], "released", caused_by=envelope
    )
    log.info("stock released", order_id=event.order_id, lines=len(lines), cause=envelope.type)


async def on_payment_succeeded(
    session: AsyncSession, envelope: Envelope, event: PaymentSucceeded
) -> None:
    lines = await service.confirm(session, event.order_id)
    await add_stock_changed(
        session, [line.product_id for line in lines], "confirmed", caused_by=envelope
    )
    log.info("stock confirmed", order_id=event.order_id, lines=len(lines))


CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec(
        "order-events",
        "orders",
        handlers(on(OrderCreated, on_order_created), on(OrderCancelled, on_release)),
    ),
    ConsumerSpec(
        "payment-events",
        "payments",
        handlers(on(PaymentSucceeded, on_payment_succeeded), on(PaymentFailed, on_release)),
    ),
)
