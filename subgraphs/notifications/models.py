"""Tables of ``notification_db`` (DDL in ``migrations/notifications``).

``email_logs`` and ``sms_logs`` follow seed 001 and add what delivery needs: the rendered
message (so a retry sends exactly what the first attempt tried), the attempt count, when to
try next, and the event that caused it. One row is one message: the unique key
``(event_id, template)`` per table (the table is the channel) makes queueing idempotent, and
its ``status`` moves ``PENDING`` → ``SENT`` or ``FAILED`` (retried until the attempts run out).
``order_contacts`` remembers who placed each order (payment events name only the order);
``recipients`` is the local address book read by `recipients.TableDirectory`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kit.events import add_event_tables


class Base(DeclarativeBase):
    pass


EVENT_TABLES = add_event_tables(Base.metadata)


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


_STATUS_CHECK = "status IN ('PENDING', 'SENT', 'FAILED')"


class _Delivery:
    """Columns shared by both channels."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default=text("'PENDING'"))
    error_message: Mapped[str | None] = mapped_column(Text)
    # "metadata" is reserved by SQLAlchemy's declarative classes, hence the attribute name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default=text("'{}'"))
    body: Mapped[str] = mapped_column(Text)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EmailLog(_Delivery, Base):
    __tablename__ = "email_logs"
    __table_args__ = (
        UniqueConstraint("event_id", "template", name="uq_email_logs_event_template"),
        CheckConstraint(_STATUS_CHECK, name="ck_email_logs_status"),
        Index("ix_email_logs_due", "next_attempt_at", postgresql_where=text("status <> 'SENT'")),
        Index("ix_email_logs_user", "user_id", "created_at"),
        Index("ix_email_logs_created", "created_at", "id"),
    )

    to_address: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)


class SmsLog(_Delivery, Base):
    __tablename__ = "sms_logs"
    __table_args__ = (
        UniqueConstraint("event_id", "template", name="uq_sms_logs_event_template"),
        CheckConstraint(_STATUS_CHECK, name="ck_sms_logs_status"),
        Index("ix_sms_logs_due", "next_attempt_at", postgresql_where=text("status <> 'SENT'")),
        Index("ix_sms_logs_user", "user_id", "created_at"),
        Index("ix_sms_logs_created", "created_at", "id"),
    )

    phone_number: Mapped[str] = mapped_column(Text)


class OrderContact(Base):
    """Who an order belongs to, from ``order.created``/``order.awaiting_payment``."""

    __tablename__ = "order_contacts"

    order_id: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[str] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(Text)
    total_amount: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Recipient(Base):
    """A user's addresses, kept locally (filled by an operator or, later, by user events)."""

    __tablename__ = "recipients"

    user_id: Mapped[str] = mapped_column(Text, primary_key=True)
    email: Mapped[str | None] = mapped_column(Text)
    phone_number: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
