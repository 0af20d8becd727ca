"""Business rules of payments: who may pay which order, for how much, and only once.

``pay_order`` holds the read model's row lock from its first check to the commit, so two
requests for one order run one after the other: the second sees the first's payment and
either replays it (same idempotency key) or is refused. The amount always comes from the
read model. A decline is an outcome, written and published like a success; only a provider
that gives no answer leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.auth import Forbidden, Identity, Unauthenticated
from subgraphs.kit.errors import BadUserInput, Conflict, NotFound, ServiceError, constraint_of
from subgraphs.kit.events import add_event
from subgraphs.kit.logging import get_logger
from subgraphs.payments.cards import Card
from subgraphs.payments.events import outcome_event
from subgraphs.payments.models import PayableOrder, PayableStatus, Payment, PaymentStatus
from subgraphs.payments.providers import ChargeRequest, PaymentProvider, ProviderUnavailable

log = get_logger("polyshop.payments")

ADMIN_ROLE = "admin"
MAX_KEY_LENGTH = 255

CONSTRAINT_MESSAGES = {
    "uq_payments_idempotency_key": "This idempotency key was already used",
}


class PaymentProviderUnavailable(ServiceError):
    """The provider did not answer; nothing was written. A retry with the same idempotency
    key is safe: the provider deduplicates a charge that did happen."""

    code = "PAYMENT_PROVIDER_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class PayRequest:
    order_id: str
    card: Card
    idempotency_key: str


def may_see(identity: Identity | None, user_id: str) -> bool:
    """Services, admins and the order's own user see its payments."""
    if identity is None:
        return False
    return identity.is_service or identity.has_role(ADMIN_ROLE) or identity.subject == user_id


def check_payer(identity: Identity | None, order: PayableOrder) -> None:
    if identity is None:
        raise Unauthenticated("Authentication required")
    if identity.has_role(ADMIN_ROLE):
        return
    if identity.is_service or identity.subject != order.user_id:
        raise Forbidden("Only the order's customer or an admin may pay for it")


def check_idempotency_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise BadUserInput(
            f"The idempotency key must have 1 to {MAX_KEY_LENGTH} characters",
            field="idempotencyKey",
        )
    return key


async def pay_order(
    session: AsyncSession,
    request: PayRequest,
    identity: Identity | None,
    provider: PaymentProvider,
    *,
    event_source: str = "payments",
    provider_timeout: float = 20.0,
) -> Payment:
    """Charge the order's amount to the card and record the outcome with its event."""
    if identity is None:
        raise Unauthenticated("Authentication required")
    order = await session.scalar(
        select(PayableOrder).where(PayableOrder.order_id == request.order_id).with_for_update()
    )
    if order is None:
        raise NotFound(
            "No order awaiting payment has this id (a new order becomes payable within moments)",
            orderId=request.order_id,
        )
    check_payer(identity, order)

    earlier = await session.scalar(
        select(Payment).where(Payment.idempotency_key == request.idempotency_key)
    )
    if earlier is not None:
        return _replay(earlier, request)
    if order.status != PayableStatus.AWAITING:
        raise Conflict(
            f"The order is {order.status.lower()}, not awaiting payment", status=order.status
        )
    attempted = await session.scalar(
        select(Payment.id).where(Payment.order_id == order.order_id).limit(1)
    )
    if attempted is not None:
        # A success awaits orders' confirmation; a failure makes orders cancel the order.
        raise Conflict("The order already has a payment", paymentId=str(attempted))

    payment_id = uuid.uuid4()
    charge = ChargeRequest(
        payment_id=payment_id,
        order_id=order.order_id,
        amount=order.amount,
        currency=order.currency,
        card=request.card,
        idempotency_key=request.idempotency_key,
    )
    try:
        async with asyncio.timeout(provider_timeout):
            result = await provider.charge(charge)
    except (ProviderUnavailable, TimeoutError) as exc:
        log.warning("payment provider unavailable", order_id=order.order_id, error=repr(exc))
        raise PaymentProviderUnavailable(
            "The payment provider did not answer; nothing was recorded, retry with the same "
            "idempotency key"
        ) from exc
    payment = Payment(
        id=payment_id,
        order_id=order.order_id,
        user_id=order.user_id,
        amount=order.amount,
        currency=order.currency,
        status=(PaymentStatus.SUCCESS if result.approved else PaymentStatus.FAILED).value,
        provider=provider.name,
        provider_ref=result.provider_ref,
        failure_code=None if result.approved else (result.failure_code or "declined"),
        failure_reason=None if result.approved else result.failure_message,
        card_brand=request.card.brand,
        card_last4=request.card.last4,
        idempotency_key=request.idempotency_key,
    )
    session.add(payment)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Only a concurrent request for another order with the same key gets here (the
        # order's row lock serialises everything else); the transaction is rolled back.
        if constraint_of(exc) == "uq_payments_idempotency_key":
            raise Conflict("This idempotency key was used for a different payment request") from exc
        raise
    await add_event(session, outcome_event(payment, event_source))
    await session.refresh(payment)
    log.info(
        "payment recorded",
        order_id=payment.order_id,
        payment_id=str(payment.id),
        status=payment.status,
        failure_code=payment.failure_code,
    )
    return payment


def _replay(earlier: Payment, request: PayRequest) -> Payment:
    """The first answer again, if the retry asks for the same thing."""
    if earlier.order_id != request.order_id or earlier.card_last4 != request.card.last4:
        raise Conflict(
            "This idempotency key was used for a different payment request",
            paymentId=str(earlier.id),
        )
    return earlier
