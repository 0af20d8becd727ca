"""SQLAlchemy models of ``payment_db`` (DDL in ``migrations/payments``).

``payable_orders`` is a read model fed by the orders service's events: payments never asks
orders whether an order may be paid, or for how much, it only trusts what orders published.
Order and user ids are kept as the strings the events carry, so payments does not depend on
how orders or auth shape their keys. Card numbers are never stored: brand and last four only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CHAR,
    Boolean,
    CheckConstraint,
    DateTime,
    Index,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kit.events import add_event_tables


class Base(DeclarativeBase):
    metadata = MetaData()


EVENT_TABLES = add_event_tables(Base.metadata)


class PaymentStatus(StrEnum):
    INITIATED = "INITIATED"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


class PayableStatus(StrEnum):
    AWAITING = "AWAITING"
    PAID = "PAID"
    CANCELLED = "CANCELLED"


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _updated() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, server_default=text("gen_random_uuid()")
    )
    order_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    # Unconstrained NUMERIC keeps the amount exactly as orders published it.
    amount: Mapped[Decimal] = mapped_column(Numeric)
    currency: Mapped[str] = mapped_column(CHAR(3))
    status: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    card_brand: Mapped[str] = mapped_column(String(16))
    card_last4: Mapped[str] = mapped_column(CHAR(4))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        # A key is the paying customer's: another customer's request never meets it.
        UniqueConstraint("user_id", "idempotency_key", name="uq_payments_user_idempotency_key"),
        CheckConstraint("amount > 0", name="ck_payments_amount_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_payments_currency_iso"),
        CheckConstraint(
            "status IN ('INITIATED', 'SUCCESS', 'FAILED')", name="ck_payments_status_known"
        ),
        CheckConstraint("card_last4 ~ '^[0-9]{4}$'", name="ck_payments_card_last4_digits"),
        Index("ix_payments_order_id_created_at", "order_id", "created_at"),
        Index(
            "uq_payments_order_open",
            "order_id",
            unique=True,
            postgresql_where=text("status IN ('INITIATED', 'SUCCESS')"),
        ),
        Index(
            "ix_payments_initiated_created_at",
            "created_at",
            postgresql_where=text("status = 'INITIATED'"),
        ),
    )


class PayableOrder(Base):
    __tablename__ = "payable_orders"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    currency: Mapped[str] = mapped_column(CHAR(3))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_payable_orders_amount_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_payable_orders_currency_iso"),
        CheckConstraint(
            "status IN ('AWAITING', 'PAID', 'CANCELLED')", name="ck_payable_orders_status_known"
        ),
    )


class SandboxCharge(Base):
    """The sandbox provider's ledger: what a remote provider would remember, keyed by the
    reference we send (our payment id), so a charge is never made twice."""

    __tablename__ = "sandbox_charges"

    reference: Mapped[str] = mapped_column(String(128), primary_key=True)
    charge_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Numeric)
    currency: Mapped[str] = mapped_column(CHAR(3))
    approved: Mapped[bool] = mapped_column(Boolean)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (UniqueConstraint("charge_id", name="uq_sandbox_charges_charge_id"),)
