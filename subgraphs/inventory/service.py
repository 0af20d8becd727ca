"""Business rules of inventory: stock levels, and reservations that never oversell.

Every stock change is one guarded UPDATE (``... WHERE available >= q``), so PostgreSQL's row
lock decides between concurrent buyers and ``available`` never goes below zero. Rows of one
order are touched in product-id order, so two orders sharing products cannot deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.inventory.models import Reservation, ReservationStatus, Stock
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.ids import bigint_id

MAX_UNITS = 1_000_000_000  # stays well inside INTEGER
MAX_PRODUCT_ID = 2**63 - 1

OUT_OF_STOCK = "OUT_OF_STOCK"
INVALID_ORDER = "INVALID_ORDER"

CONSTRAINT_MESSAGES = {
    "stock_available_not_negative": "Available stock cannot go below zero",
    "stock_reserved_not_negative": "Reserved stock cannot go below zero",
    "stock_product_id_positive": "A product id is a positive integer",
}

_NO_SYNC: dict[str, Any] = {"synchronize_session": False}


@dataclass(frozen=True, slots=True)
class Line:
    """``quantity`` units of ``product_id``."""

    product_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Reserved:
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    product_ids: tuple[int, ...]


def product_id(value: object, *, field: str = "productId") -> int:
    """A product's BIGINT id from its GraphQL/event form (a decimal string)."""
    number = bigint_id(value)
    if number is None or number > MAX_PRODUCT_ID:
        raise BadUserInput(f"`{field}` is not a product id: {value!r}", field=field)
    return number


def merge_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    """One line per product (quantities summed), in product-id order (the lock order)."""
    totals: defaultdict[int, int] = defaultdict(int)
    for line in lines:
        totals[line.product_id] += line.quantity
    return tuple(Line(pid, totals[pid]) for pid in sorted(totals))


class _ShortOfStock(Exception):
    def __init__(self, product_ids: Sequence[int]) -> None:
        super().__init__(f"short of stock: {list(product_ids)}")
        self.product_ids = tuple(product_ids)


async def reserve(
    session: AsyncSession, order_id: str, lines: Iterable[Line]
) -> Reserved | Rejected | None:
    """Hold every line of ``order_id`` or none of them (None: the order already holds some).

    The stock updates run in a savepoint: when a product is short, they are undone while the
    caller's transaction (the consumer's inbox record, the rejection event) goes on.
    """
    merged = merge_lines(lines)
    if not merged or any(not 0 < line.quantity <= MAX_UNITS for line in merged):
        return Rejected(INVALID_ORDER, tuple(line.product_id for line in merged))
    existing = await session.scalar(
        select(func.count()).select_from(Reservation).where(Reservation.order_id == order_id)
    )
    if existing:
        return None
    try:
        async with session.begin_nested():
            short = [line.product_id for line in merged if not await _take(session, line)]
            if short:
                raise _ShortOfStock(short)
            session.add_all(
                Reservation(order_id=order_id, product_id=line.product_id, quantity=line.quantity)
                for line in merged
            )
            await session.flush()
    except _ShortOfStock as short_of_stock:
        return Rejected(OUT_OF_STOCK, short_of_stock.product_ids)
    return Reserved(merged)


async def _take(session: AsyncSession, line: Line) -> bool:
    """Move ``line.quantity`` units from available to reserved, if that many are available."""
    taken = await session.scalar(
        update(Stock)
        .where(Stock.product_id == line.product_id, Stock.available >= line.quantity)
        .values(
            available=Stock.available - line.quantity,
            reserved=Stock.reserved + line.quantity,
            row_version=Stock.row_version + 1,
            updated_at=func.now(),
        )
        .returning(Stock.product_id)
        .execution_options(**_NO_SYNC)
    )
    return taken is not None


async def _settle(
    session: AsyncSession, order_id: str, status: ReservationStatus
) -> tuple[Line, ...]:
    """Move the order's RESERVED rows to ``status``; returns them in product-id order."""
    rows = await session.execute(
        update(Reservation)
        .where(
            Reservation.order_id == order_id,
            Reservation.status == ReservationStatus.RESERVED.value,
        )
        .values(status=status.value, updated_at=func.now())
        .returning(Reservation.product_id, Reservation.quantity)
        .execution_options(**_NO_SYNC)
    )
    return tuple(sorted((Line(pid, qty) for pid, qty in rows), key=lambda line: line.product_id))


async def release(session: AsyncSession, order_id: str) -> tuple[Line, ...]:
    """Give the order's held units back (available += q, reserved -= q); idempotent."""
    lines = await _settle(session, order_id, ReservationStatus.RELEASED)
    for line in lines:
        await session.execute(
            update(Stock)
            .where(Stock.product_id == line.product_id)
            .values(
                available=Stock.available + line.quantity,
                reserved=Stock.reserved - line.quantity,
                row_version=Stock.row_version + 1,
                updated_at=func.now(),
            )
            .execution_options(**_NO_SYNC)
        )
    return lines


async def confirm(session: AsyncSession, order_id: str) -> tuple[Line, ...]:
    """The order is paid: its held units leave the warehouse (reserved -= q); idempotent."""
    lines = await _settle(session, order_id, ReservationStatus.CONFIRMED)
    for line in lines:
        await session.execute(
            update(Stock)
            .where(Stock.product_id == line.product_id)
            .values(
                reserved=Stock.reserved - line.quantity,
                row_version=Stock.row_version + 1,
                updated_at=func.now(),
            )
            .execution_options(**_NO_SYNC)
        )
    return lines


def _units(value: int, *, field: str) -> int:
    if not 0 <= value <= MAX_UNITS:
        raise BadUserInput(
            f"`{field}` must be between 0 and {MAX_UNITS} (got {value})", field=field
        )
    return value


async def set_stock(session: AsyncSession, pid: int, available: int) -> Stock:
    """Set the available units of a product (creating its stock row); reserved is kept."""
    _units(available, field="available")
    statement = (
        insert(Stock)
        .values(product_id=pid, available=available)
        .on_conflict_do_update(
            index_elements=[Stock.product_id],
            set_={
                "available": available,
                "row_version": Stock.row_version + 1,
                "updated_at": func.now(),
            },
        )
        .returning(Stock)
    )
    result = await session.scalars(statement, execution_options={"populate_existing": True})
    return result.one()


async def adjust_stock(session: AsyncSession, pid: int, delta: int) -> Stock:
    """Add ``delta`` (possibly negative) units; BAD_USER_INPUT if fewer than none would remain."""
    if abs(delta) > MAX_UNITS:
        raise BadUserInput(f"`delta` must be between -{MAX_UNITS} and {MAX_UNITS}", field="delta")
    # A missing row counts as 0 units; the request's rollback removes it if we refuse.
    await session.execute(insert(Stock).values(product_id=pid).on_conflict_do_nothing())
    statement = (
        update(Stock)
        .where(
            Stock.product_id == pid,
            Stock.available + delta >= 0,
            Stock.available + delta <= MAX_UNITS,
        )
        .values(
            available=Stock.available + delta,
            row_version=Stock.row_version + 1,
            updated_at=func.now(),
        )
        .returning(Stock)
    )
    result = await session.scalars(
        statement, execution_options={"populate_existing": True, **_NO_SYNC}
    )
    row = result.one_or_none()
    if row is None:
        current = await session.scalar(select(Stock.available).where(Stock.product_id == pid))
        raise BadUserInput(
            f"Adjusting by {delta} would leave {(current or 0) + delta} units available "
            f"(currently {current or 0}; allowed 0 to {MAX_UNITS})",
            field="delta",
            available=current or 0,
        )
    return row


async def reservations_of(session: AsyncSession, order_id: str) -> list[Reservation]:
    rows = await session.scalars(
        select(Reservation).where(Reservation.order_id == order_id).order_by(Reservation.product_id)
    )
    return list(rows)
