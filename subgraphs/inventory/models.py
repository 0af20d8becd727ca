"""SQLAlchemy models of ``inventory_db`` (DDL in ``migrations/inventory``).

Stock changes go through single guarded UPDATE statements in ``service.py`` (never
read-modify-write in Python), so concurrent reservations cannot oversell; the CHECK
constraints are the last line of defence.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kit.events import add_event_tables


class Base(DeclarativeBase):
    metadata = MetaData()


EVENT_TABLES = add_event_tables(Base.metadata)


class ReservationStatus(enum.StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    CONFIRMED = "CONFIRMED"


class Stock(Base):
    """Units of one product: ``available`` to sell, ``reserved`` for unpaid orders."""

    __tablename__ = "stock"
    __table_args__ = (
        CheckConstraint("available >= 0", name="stock_available_not_negative"),
        CheckConstraint("reserved >= 0", name="stock_reserved_not_negative"),
        CheckConstraint("product_id > 0", name="stock_product_id_positive"),
    )

    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    available: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reserved: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    row_version: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))


class Reservation(Base):
    """Units of one product held for one order, and what became of them."""

    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id", name="reservations_order_product_key"),
        CheckConstraint("quantity > 0", name="reservations_quantity_positive"),
        CheckConstraint(
            "status IN ('RESERVED', 'RELEASED', 'CONFIRMED')", name="reservations_status_valid"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    order_id: Mapped[str] = mapped_column(Text)
    product_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stock.product_id", ondelete="RESTRICT")
    )
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, server_default=text("'RESERVED'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
