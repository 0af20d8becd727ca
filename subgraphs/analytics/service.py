"""Exact sales rollups from events, whatever their order and however often they arrive.

An event is stored in ``events_raw`` (once: the event id is the key), then folded into the
order's facts (`apply_event`): every fold is commutative and idempotent (``COALESCE`` fills
gaps, ``LEAST`` keeps the earliest payment/cancellation), so replays and any arrival order
give the same facts. Then every day the event touched is recomputed from the facts
(`recompute`), and its month from the days: the rollups never drift.

What counts: an order is a sale on the UTC day of its (first) ``order.paid``, for the
``total_amount`` and lines of its ``order.created``, unless it was cancelled. A paid order
whose ``order.created`` has not arrived yet counts as soon as it does.

Writers of one month serialise on an advisory lock, so two consumers recomputing days of the
same month never interleave; `rebuild` takes an exclusive lock that ingestion shares.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    cast,
    delete,
    extract,
    func,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.analytics.models import (
    EventRaw,
    ProductSalesDaily,
    SalesDaily,
    SalesMonthly,
    SalesOrder,
    SalesOrderLine,
)
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.events import Envelope

REBUILD_LOCK = 7_410_001  # advisory lock key: ingestion shares it, a rebuild holds it alone
MONTH_LOCK_BASE = 7_420_000_000  # + year * 100 + month

Month = tuple[int, int]


async def ingest(session: AsyncSession, envelope: Envelope) -> bool:
    """Store and apply one event; False (and nothing changes) when it was already stored."""
    await session.execute(select(func.pg_advisory_xact_lock_shared(REBUILD_LOCK)))
    stored = await session.execute(
        insert(EventRaw)
        .values(
            id=envelope.id,
            event_type=envelope.type,
            source=envelope.source,
            correlation_id=envelope.correlation_id,
            payload=envelope.data,
            occurred_at=envelope.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=[EventRaw.id])
        .returning(EventRaw.id)
    )
    if stored.first() is None:
        return False
    days = await apply_event(session, envelope.type, envelope.data, envelope.occurred_at)
    if days:
        await recompute(session, days)
    return True


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None or value == "" else str(value)


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return amount


def _utc_day(moment: Any) -> ColumnElement[date]:
    return cast(func.timezone("UTC", moment), Date)


async def apply_event(
    session: AsyncSession, event_type: str, data: Mapping[str, Any], occurred_at: datetime
) -> set[date]:
    """Fold one event into the order facts; returns the sale days whose totals it changes."""
    order_id = _text(data, "order_id")
    if order_id is None or not event_type.startswith("order."):
        return set()  # payments and stock events are kept raw only
    previous = await session.scalar(
        select(SalesOrder.sale_date).where(SalesOrder.order_id == order_id).with_for_update()
    )
    values: dict[str, Any] = {"order_id": order_id}
    if event_type in ("order.created", "order.awaiting_payment"):
        values.update(
            user_id=_text(data, "user_id"),
            currency=_text(data, "currency"),
            total_amount=_money(data.get("total_amount")),
        )
        if event_type == "order.created":
            values["created_at"] = occurred_at
            await _add_lines(session, order_id, data.get("items"))
    elif event_type == "order.paid":
        values.update(paid_at=occurred_at, sale_date=occurred_at.astimezone(UTC).date())
    elif event_type == "order.cancelled":
        values["cancelled_at"] = occurred_at
    else:
        return set()
    statement = insert(SalesOrder).values(**values)
    new = statement.excluded
    current = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=[SalesOrder.order_id],
            set_={
                "user_id": func.coalesce(SalesOrder.user_id, new.user_id),
                "currency": func.coalesce(SalesOrder.currency, new.currency),
                "total_amount": func.coalesce(SalesOrder.total_amount, new.total_amount),
                "created_at": func.least(SalesOrder.created_at, new.created_at),
                "paid_at": func.least(SalesOrder.paid_at, new.paid_at),
                "cancelled_at": func.least(SalesOrder.cancelled_at, new.cancelled_at),
                "sale_date": _utc_day(func.least(SalesOrder.paid_at, new.paid_at)),
            },
        ).returning(SalesOrder.sale_date)
    )
    return {day for day in (previous, current) if day is not None}


async def _add_lines(session: AsyncSession, order_id: str, items: Any) -> None:
    if not isinstance(items, list) or not items:
        return
    rows = []
    for line_no, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise ValueError(f"order {order_id}: item {line_no} is not an object")
        product_id, price = _text(item, "product_id"), _money(item.get("unit_price"))
        if product_id is None or price is None:
            raise ValueError(f"order {order_id}: item {line_no} lacks product_id or unit_price")
        rows.append(
            {
                "order_id": order_id,
                "line_no": line_no,
                "product_id": product_id,
                "quantity": int(item.get("quantity") or 0),
                "unit_price": price,
            }
        )
    await session.execute(insert(SalesOrderLine).values(rows).on_conflict_do_nothing())


def _counted() -> list[ColumnElement[bool]]:
    """An order that is a sale: paid, not cancelled, with its amount known."""
    return [
        SalesOrder.sale_date.is_not(None),
        SalesOrder.cancelled_at.is_(None),
        SalesOrder.total_amount.is_not(None),
        SalesOrder.currency.is_not(None),
    ]


async def recompute(session: AsyncSession, days: Collection[date] | None) -> None:
    """Rebuild the rollups of ``days`` (every day when None) from the order facts."""
    months: list[Month] | None = None if days is None else sorted({(d.year, d.month) for d in days})
    for year, month in months or ():
        await session.execute(
            select(func.pg_advisory_xact_lock(MONTH_LOCK_BASE + year * 100 + month))
        )
    day_list = None if days is None else sorted(days)

    def on_days(column: Any) -> ColumnElement[bool]:
        return true() if day_list is None else column.in_(day_list)

    await session.execute(delete(SalesDaily).where(on_days(SalesDaily.date)))
    await session.execute(
        insert(SalesDaily).from_select(
            ["date", "currency", "total_orders", "total_revenue"],
            select(
                SalesOrder.sale_date,
                SalesOrder.currency,
                func.count(),
                func.sum(SalesOrder.total_amount),
            )
            .where(on_days(SalesOrder.sale_date), *_counted())
            .group_by(SalesOrder.sale_date, SalesOrder.currency),
        )
    )
    await session.execute(delete(ProductSalesDaily).where(on_days(ProductSalesDaily.date)))
    await session.execute(
        insert(ProductSalesDaily).from_select(
            ["date", "product_id", "currency", "units", "revenue"],
            select(
                SalesOrder.sale_date,
                SalesOrderLine.product_id,
                SalesOrder.currency,
                func.sum(SalesOrderLine.quantity),
                func.sum(SalesOrderLine.quantity * SalesOrderLine.unit_price),
            )
            .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.order_id)
            .where(on_days(SalesOrder.sale_date), *_counted())
            .group_by(SalesOrder.sale_date, SalesOrderLine.product_id, SalesOrder.currency),
        )
    )
    await _recompute_months(session, months)


async def _recompute_months(session: AsyncSession, months: list[Month] | None) -> None:
    year = extract("year", SalesDaily.date)
    month = extract("month", SalesDaily.date)

    def on_months(columns: tuple[Any, Any]) -> ColumnElement[bool]:
        return true() if months is None else tuple_(*columns).in_(months)

    await session.execute(
        delete(SalesMonthly).where(on_months((SalesMonthly.year, SalesMonthly.month)))
    )
    await session.execute(
        insert(SalesMonthly).from_select(
            ["year", "month", "currency", "total_orders", "total_revenue"],
            select(
                year,
                month,
                SalesDaily.currency,
                func.sum(SalesDaily.total_orders),
                func.sum(SalesDaily.total_revenue),
            )
            .where(on_months((year, month)))
            .group_by(year, month, SalesDaily.currency),
        )
    )


@dataclass(frozen=True, slots=True)
class RebuildResult:
    events: int
    orders: int
    days: int


async def rebuild(session: AsyncSession) -> RebuildResult:
    """Forget every fact and rollup and derive them again from ``events_raw``."""
    await session.execute(select(func.pg_advisory_xact_lock(REBUILD_LOCK)))
    for table in (SalesOrderLine, SalesOrder, SalesDaily, SalesMonthly, ProductSalesDaily):
        await session.execute(delete(table))
    result = await session.execute(
        select(EventRaw.event_type, EventRaw.payload, EventRaw.occurred_at).order_by(
            EventRaw.occurred_at, EventRaw.id
        )
    )
    events = 0
    for event_type, payload, occurred_at in result.all():
        await apply_event(session, event_type, payload, occurred_at)
        events += 1
    await recompute(session, None)
    orders = await session.scalar(select(func.count()).select_from(SalesOrder)) or 0
    days = await session.scalar(select(func.count(func.distinct(SalesDaily.date)))) or 0
    return RebuildResult(events=events, orders=int(orders), days=int(days))


def check_range(start: date, end: date, *, max_days: int = 3660) -> None:
    if start > end:
        raise BadUserInput("`from` must not be after `to`", argument="from")
    if (end - start).days > max_days:
        raise BadUserInput(f"The range may span at most {max_days} days", argument="to")


async def sales_daily(
    session: AsyncSession, start: date, end: date, currency: str | None
) -> list[SalesDaily]:
    statement = select(SalesDaily).where(SalesDaily.date.between(start, end))
    if currency is not None:
        statement = statement.where(SalesDaily.currency == currency)
    rows = await session.scalars(statement.order_by(SalesDaily.date, SalesDaily.currency))
    return list(rows)


async def sales_monthly(
    session: AsyncSession, year: int, currency: str | None
) -> list[SalesMonthly]:
    statement = select(SalesMonthly).where(SalesMonthly.year == year)
    if currency is not None:
        statement = statement.where(SalesMonthly.currency == currency)
    rows = await session.scalars(statement.order_by(SalesMonthly.month, SalesMonthly.currency))
    return list(rows)


@dataclass(frozen=True, slots=True)
class ProductSales:
    product_id: str
    currency: str
    units: int
    revenue: Decimal


async def top_products(
    session: AsyncSession, start: date, end: date, limit: int, currency: str | None
) -> list[ProductSales]:
    """Best sellers by units, then revenue (per currency: revenues do not add across)."""
    units = func.sum(ProductSalesDaily.units).label("units")
    revenue = func.sum(ProductSalesDaily.revenue).label("revenue")
    statement = (
        select(ProductSalesDaily.product_id, ProductSalesDaily.currency, units, revenue)
        .where(ProductSalesDaily.date.between(start, end))
        .group_by(ProductSalesDaily.product_id, ProductSalesDaily.currency)
        .order_by(units.desc(), revenue.desc(), ProductSalesDaily.product_id)
        .limit(limit)
    )
    if currency is not None:
        statement = statement.where(ProductSalesDaily.currency == currency)
    result = await session.execute(statement)
    return [ProductSales(r.product_id, r.currency, int(r.units), r.revenue) for r in result]
