"""The inventory step of the checkout saga: event handlers and what they publish.

Each handler runs in the consumer's inbox transaction, so an event changes stock exactly
once however often it is delivered. ``order.created`` is answered with ``stock.reserved``
(every item held) or ``stock.rejected`` (nothing held); payment and cancellation settle the
reservation. Both order events go through one consumer so they are applied in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.inventory import service
from subgraphs.inventory.service import INVALID_ORDER, Line, Rejected
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.events import ConsumerSpec, Envelope, add_event, new_envelope
from subgraphs.kit.logging import get_logger

SERVICE = "inventory"
STOCK_RESERVED = "stock.reserved"
STOCK_REJECTED = "stock.rejected"
STOCK_CHANGED = "stock.changed"
"""Units of products changed outside a reservation (released, confirmed, set by an admin):
``{"product_ids": [...], "cause": ...}``, for subscribers (``stockChanged``)."""

log = get_logger("polyshop.inventory.events")


def order_id_of(envelope: Envelope) -> str:
    """The order an event is about; without one the event is unusable (dead-lettered)."""
    value = envelope.data.get("order_id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{envelope.type} {envelope.id} has no order_id")
    return value.strip()


def lines_of(data: Mapping[str, Any]) -> list[Line] | None:
    """The order's items as lines, or None when any item is malformed."""
    items = data.get("items")
    if not isinstance(items, list) or not items:
        return None
    lines: list[Line] = []
    for item in items:
        if not isinstance(item, dict):
            return None
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            return None
        try:
            product_id = service.product_id(item.get("product_id"), field="product_id")
        except BadUserInput:
            return None
        lines.append(Line(product_id, quantity))
    return lines


async def on_order_created(session: AsyncSession, envelope: Envelope) -> None:
    order_id = order_id_of(envelope)
    lines = lines_of(envelope.data)
    outcome = (
        Rejected(INVALID_ORDER, ())
        if lines is None
        else await service.reserve(session, order_id, lines)
    )
    if outcome is None:
        log.info("order already holds stock; nothing to do", order_id=order_id)
        return
    if isinstance(outcome, Rejected):
        data: dict[str, Any] = {
            "order_id": order_id,
            "reason": outcome.reason,
            "product_ids": [str(pid) for pid in outcome.product_ids],
        }
        event_type = STOCK_REJECTED
    else:
        data = {
            "order_id": order_id,
            "items": [
                {"product_id": str(line.product_id), "quantity": line.quantity}
                for line in outcome.lines
            ],
        }
        event_type = STOCK_RESERVED
    await add_event(session, new_envelope(SERVICE, event_type, data, caused_by=envelope))
    log.info(event_type, order_id=order_id)


def changed_products(envelope: Envelope) -> list[str]:
    """The products whose stock an inventory event says changed (for live subscribers)."""
    data = envelope.data
    if envelope.type == STOCK_RESERVED:
        items = data.get("items")
        return [
            str(item["product_id"])
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and "product_id" in item
        ]
    if envelope.type == STOCK_CHANGED:
        ids = data.get("product_ids")
        return [str(pid) for pid in ids] if isinstance(ids, list) else []
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
        data = {"product_ids": [str(pid) for pid in sorted(set(product_ids))], "cause": cause}
        await add_event(session, new_envelope(SERVICE, STOCK_CHANGED, data, caused_by=caused_by))


async def on_release(session: AsyncSession, envelope: Envelope) -> None:
    """``order.cancelled`` or ``payment.failed``: the held units become available again."""
    order_id = order_id_of(envelope)
    lines = await service.release(session, order_id)
    await add_stock_changed(
        session, [line.product_id for line in lines], "released", caused_by=envelope
    )
    log.info("stock released", order_id=order_id, lines=len(lines), cause=envelope.type)


async def on_payment_succeeded(session: AsyncSession, envelope: Envelope) -> None:
    order_id = order_id_of(envelope)
    lines = await service.confirm(session, order_id)
    await add_stock_changed(
        session, [line.product_id for line in lines], "confirmed", caused_by=envelope
    )
    log.info("stock confirmed", order_id=order_id, lines=len(lines))


CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec(
        "order-events",
        "orders",
        {"order.created": on_order_created, "order.cancelled": on_release},
    ),
    ConsumerSpec(
        "payment-events",
        "payments",
        {"payment.succeeded": on_payment_succeeded, "payment.failed": on_release},
    ),
)
