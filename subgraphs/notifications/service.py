"""Business rules of notifications: queue a message once, remember orders, read the logs.

Queueing inserts a ``PENDING`` log row in the event handler's transaction (so it exists
exactly when the event counts as handled) and wakes the dispatcher with ``NOTIFY``; the
unique key ``(event_id, template)`` turns a second queueing of the same message into nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.errors import BadUserInput
from subgraphs.notifications.models import EmailLog, OrderContact, Recipient, SmsLog

NOTIFY_CHANNEL = "polyshop_notifications"

DeliveryModel = type[EmailLog] | type[SmsLog]


@dataclass(frozen=True, slots=True)
class EventRef:
    id: uuid.UUID
    type: str


async def wake_dispatcher(session: AsyncSession) -> None:
    """Transactional: delivered to the dispatcher only if the caller commits."""
    await session.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))


async def queue_email(
    session: AsyncSession,
    *,
    event: EventRef,
    template: str,
    user_id: str | None,
    to_address: str,
    subject: str,
    body: str,
    meta: Mapping[str, Any],
) -> bool:
    """True if queued now, False if this event already queued this template."""
    result = await session.execute(
        insert(EmailLog)
        .values(
            user_id=user_id,
            template=template,
            to_address=to_address,
            subject=subject,
            body=body,
            event_id=event.id,
            event_type=event.type,
            meta=dict(meta),
        )
        .on_conflict_do_nothing(constraint="uq_email_logs_event_template")
        .returning(EmailLog.id)
    )
    queued = result.first() is not None
    if queued:
        await wake_dispatcher(session)
    return queued


async def queue_sms(
    session: AsyncSession,
    *,
    event: EventRef,
    template: str,
    user_id: str | None,
    phone_number: str,
    body: str,
    meta: Mapping[str, Any],
) -> bool:
    result = await session.execute(
        insert(SmsLog)
        .values(
            user_id=user_id,
            template=template,
            phone_number=phone_number,
            body=body,
            event_id=event.id,
            event_type=event.type,
            meta=dict(meta),
        )
        .on_conflict_do_nothing(constraint="uq_sms_logs_event_template")
        .returning(SmsLog.id)
    )
    queued = result.first() is not None
    if queued:
        await wake_dispatcher(session)
    return queued


async def remember_order(
    session: AsyncSession,
    *,
    order_id: str,
    user_id: str,
    currency: str | None,
    total_amount: str | None,
) -> None:
    """Record (or complete) who placed an order; later facts fill gaps, never overwrite."""
    statement = insert(OrderContact).values(
        order_id=order_id, user_id=user_id, currency=currency, total_amount=total_amount
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[OrderContact.order_id],
            set_={
                "currency": func.coalesce(OrderContact.currency, statement.excluded.currency),
                "total_amount": func.coalesce(
                    OrderContact.total_amount, statement.excluded.total_amount
                ),
            },
        )
    )


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164


async def save_recipient(
    session: AsyncSession,
    *,
    user_id: str,
    email: str | None,
    phone_number: str | None,
    name: str | None,
) -> Recipient:
    """Create or replace a user's local addresses (`recipients.TableDirectory` reads them)."""
    if not user_id.strip():
        raise BadUserInput("`userId` must not be empty", argument="userId")
    if email is not None and not _EMAIL.match(email):
        raise BadUserInput("Not an e-mail address", argument="email")
    if phone_number is not None and not _PHONE.match(phone_number):
        raise BadUserInput(
            "A phone number is in E.164 form, e.g. +4915112345678", argument="phoneNumber"
        )
    values = {"email": email, "phone_number": phone_number, "name": name}
    statement = insert(Recipient).values(user_id=user_id, **values)
    row = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=[Recipient.user_id], set_={**values, "updated_at": func.now()}
        )
        .returning(Recipient)
        .execution_options(populate_existing=True)
    )
    assert row is not None  # an upsert always returns its row
    return row


async def order_contact(session: AsyncSession, order_id: str) -> OrderContact | None:
    return await session.get(OrderContact, order_id)


@dataclass(frozen=True, slots=True)
class LogFilter:
    status: str | None = None
    template: str | None = None
    user_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    def validated(self) -> LogFilter:
        if (
            self.created_from is not None
            and self.created_to is not None
            and self.created_from > self.created_to
        ):
            raise BadUserInput("`from` must not be after `to`", argument="filter")
        return self


def log_query(model: DeliveryModel, wanted: LogFilter) -> Select[Any]:
    """Logs of one channel matching ``wanted`` (``to`` is exclusive); no ordering yet."""
    statement: Select[Any] = select(model)
    if wanted.status is not None:
        statement = statement.where(model.status == wanted.status)
    if wanted.template is not None:
        statement = statement.where(model.template == wanted.template)
    if wanted.user_id is not None:
        statement = statement.where(model.user_id == wanted.user_id)
    if wanted.created_from is not None:
        statement = statement.where(model.created_at >= wanted.created_from)
    if wanted.created_to is not None:
        statement = statement.where(model.created_at < wanted.created_to)
    return statement


async def count_logs(session: AsyncSession, model: DeliveryModel, wanted: LogFilter) -> int:
    subquery = log_query(model, wanted).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


def latest_per_user(model: DeliveryModel, user_ids: list[str], limit: int) -> Select[Any]:
    """The ``limit`` newest logs of each user, in one statement (a window per user)."""
    rank = (
        func.row_number()
        .over(partition_by=model.user_id, order_by=(model.created_at.desc(), model.id.desc()))
        .label("rank")
    )
    ranked = select(model.id, rank).where(model.user_id.in_(user_ids)).subquery()
    return (
        select(model)
        .join(ranked, ranked.c.id == model.id)
        .where(ranked.c.rank <= limit)
        .order_by(model.user_id, model.created_at.desc(), model.id.desc())
    )
