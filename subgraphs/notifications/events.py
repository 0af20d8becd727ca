"""What notifications does with order and payment events.

Each handler runs in the kit's inbox transaction and only *queues* messages (a ``PENDING``
log row); the `dispatcher` sends them. So a slow or broken SMTP server never holds up the
event stream, and a redelivered event queues nothing new (inbox, then the unique key
``(event_id, template)`` per channel).

Payment events name only the order. Its owner comes from ``order.created`` (or
``order.awaiting_payment``), remembered in ``order_contacts``. The two arrive on different
streams, so a payment event may come first: the handler then raises `UnknownOrder` and
the consumer retries it with backoff (dead-lettered after the kit's maximum deliveries).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.events import ConsumerSpec, Envelope, handlers, on
from subgraphs.kit.events.contracts import (
    OrderAwaitingPayment,
    OrderCancelled,
    OrderCreated,
    PaymentFailed,
    PaymentSucceeded,
)
from subgraphs.notifications import service
from subgraphs.notifications.recipients import RecipientDirectory
from subgraphs.notifications.settings import NotificationsSettings
from subgraphs.notifications.templates import TemplateName, item_lines, render_email, render_sms


class UnknownOrder(LookupError):
    """A payment or cancellation event for an order we have not seen created yet."""


class NotificationHandlers:
    """Handlers bound to the settings and the recipient directory of the process."""

    def __init__(self, settings: NotificationsSettings, directory: RecipientDirectory) -> None:
        self.settings = settings
        self.directory = directory

    def consumers(self) -> list[ConsumerSpec]:
        return [
            ConsumerSpec(
                "orders",
                "orders",
                handlers(
                    on(OrderCreated, self.order_created),
                    on(OrderAwaitingPayment, self.order_awaiting_payment),
                    on(OrderCancelled, self.order_cancelled),
                ),
            ),
            ConsumerSpec(
                "payments",
                "payments",
                handlers(
                    on(PaymentSucceeded, self.payment_succeeded),
                    on(PaymentFailed, self.payment_failed),
                ),
            ),
        ]

    async def order_created(
        self, session: AsyncSession, envelope: Envelope, order: OrderCreated
    ) -> None:
        total = str(order.total_amount)
        await service.remember_order(
            session,
            order_id=order.order_id,
            user_id=order.user_id,
            currency=order.currency,
            total_amount=total,
        )
        values = {
            "order_id": order.order_id,
            "total_amount": total,
            "currency": order.currency,
            "items": item_lines([item.model_dump(mode="json") for item in order.items]),
        }
        await self.notify(session, envelope, order.user_id, TemplateName.ORDER_CONFIRMATION, values)

    async def order_awaiting_payment(
        self, session: AsyncSession, envelope: Envelope, order: OrderAwaitingPayment
    ) -> None:
        await service.remember_order(
            session,
            order_id=order.order_id,
            user_id=order.user_id,
            currency=order.currency,
            total_amount=str(order.total_amount),
        )

    async def order_cancelled(
        self, session: AsyncSession, envelope: Envelope, order: OrderCancelled
    ) -> None:
        user_id = await self._owner(session, order.order_id)
        values = {"order_id": order.order_id, "reason": order.reason or "-"}
        await self.notify(session, envelope, user_id, TemplateName.ORDER_CANCELLED, values)

    async def payment_succeeded(
        self, session: AsyncSession, envelope: Envelope, payment: PaymentSucceeded
    ) -> None:
        user_id = await self._owner(session, payment.order_id)
        values = {
            "order_id": payment.order_id,
            "payment_id": payment.payment_id,
            "amount": str(payment.amount),
            "currency": payment.currency,
        }
        await self.notify(session, envelope, user_id, TemplateName.PAYMENT_RECEIPT, values)

    async def payment_failed(
        self, session: AsyncSession, envelope: Envelope, payment: PaymentFailed
    ) -> None:
        user_id = await self._owner(session, payment.order_id)
        values = {
            "order_id": payment.order_id,
            "payment_id": payment.payment_id,
            "reason": payment.reason or "declined",
        }
        await self.notify(session, envelope, user_id, TemplateName.PAYMENT_FAILURE, values)

    async def _owner(self, session: AsyncSession, order_id: str) -> str:
        contact = await service.order_contact(session, order_id)
        if contact is None:
            raise UnknownOrder(f"order {order_id} is not known yet")
        return contact.user_id

    async def notify(
        self,
        session: AsyncSession,
        envelope: Envelope,
        user_id: str,
        template: TemplateName,
        values: Mapping[str, object],
    ) -> None:
        """Queue the e-mail and, when the template has one and the user a phone, the SMS."""
        contact = await self.directory.lookup(session, user_id)
        full = {"shop_name": self.settings.shop_name, **values}
        event = service.EventRef(id=envelope.id, type=envelope.type)
        meta = {
            "order_id": values.get("order_id"),
            "correlation_id": envelope.correlation_id,
            "source": envelope.source,
        }
        if contact.email:
            email = render_email(template, full)
            await service.queue_email(
                session,
                event=event,
                template=template.value,
                user_id=user_id,
                to_address=contact.email,
                subject=email.subject,
                body=email.body,
                meta=meta,
            )
        sms = render_sms(template, full)
        if contact.phone_number and sms is not None:
            await service.queue_sms(
                session,
                event=event,
                template=template.value,
                user_id=user_id,
                phone_number=contact.phone_number,
                body=sms,
                meta=meta,
            )
