"""Tables of ``analytics_db`` (DDL in ``migrations/analytics``).

``events_raw`` keeps every event received, keyed by event id (seed 001). ``sales_orders``
and ``sales_order_lines`` are the facts those events establish about each order, written so
that applying an event twice, or events in any order, leaves the same rows. The rollups
``sales_daily``, ``sales_monthly`` and ``product_sales_daily`` are recomputed from the facts
for each day an event touches, so they are always exact. Seed 001 keys the rollups by date
(and year/month) alone; we add the currency to the key, since amounts in different
currencies cannot be added up.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kit.events import add_event_tables

MONEY = Numeric()  # unbounded: sums of exact decimal strings stay exact


class Base(DeclarativeBase):
    pass


EVENT_TABLES = add_event_tables(Base.metadata)


class EventRaw(Base):
    __tablename__ = "events_raw"
    __table_args__ = (Index("ix_events_raw_type_occurred", "event_type", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_type: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    correlation_id: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SalesOrder(Base):
    """One order as the events describe it; a sale once paid and never cancelled."""

    __tablename__ = "sales_orders"
    __table_args__ = (Index("ix_sales_orders_sale_date", "sale_date"),)

    order_id: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(Text)
    total_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The UTC day of paid_at, kept as a column so a day's orders are one index range.
    sale_date: Mapped[date | None] = mapped_column(Date)


class SalesOrderLine(Base):
    __tablename__ = "sales_order_lines"

    order_id: Mapped[str] = mapped_column(Text, primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)


class SalesDaily(Base):
    __tablename__ = "sales_daily"

    date: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(Text, primary_key=True)
    total_orders: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    total_revenue: Mapped[Decimal] = mapped_column(MONEY, server_default=text("0"))


class SalesMonthly(Base):
    __tablename__ = "sales_monthly"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    month: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    currency: Mapped[str] = mapped_column(Text, primary_key=True)
    total_orders: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    total_revenue: Mapped[Decimal] = mapped_column(MONEY, server_default=text("0"))


class ProductSalesDaily(Base):
    __tablename__ = "product_sales_daily"

    date: Mapped[date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[str] = mapped_column(Text, primary_key=True)
    currency: Mapped[str] = mapped_column(Text, primary_key=True)
    units: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    revenue: Mapped[Decimal] = mapped_column(MONEY, server_default=text("0"))
