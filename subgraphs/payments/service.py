"""Business rules of payments: who may pay which order, for how much, and only once.

A payment goes through three steps, none of which holds a lock while the provider works:

1. `initiate`: under the read model's row lock, check the payer and the order, then write
   the payment ``INITIATED`` and commit. Its id is the reference the provider dedupes on.
2. the provider call, outside any transaction, bounded by a timeout;
3. `settle`: under the payment's row lock, record ``SUCCESS``/``FAILED`` and its event in
   one transaction, unless the payment was settled already (by the reconciler).

No answer in step 2 leaves the payment ``INITIATED`` and returns it; `reconcile` settles it
later from the provider's records. A retry with the same idempotency key returns the payment
as it stands and never calls the provider again. The amount always comes from the read model.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.auth import Forbidden, Principal, Unauthenticated
from subgraphs.kit.errors import BadUserInput, Conflict, NotFound, constraint_of
from subgraphs.kit.events import add_event
from subgraphs.kit.logging import get_logger
from subgraphs.payments.cards import Card
from subgraphs.payments.events import outcome_event
from subgraphs.payments.models import PayableOrder, PayableStatus, Payment, PaymentStatus
from subgraphs.payments.providers import ChargeRequest, ChargeResult, PaymentProvider

log = get_logger("polyshop.payments")

ADMIN_ROLE = "admin"
READ_SCOPE = "payments:read"
MAX_KEY_LENGTH = 255
NO_CHARGE = "provider_no_charge"

CONSTRAINT_MESSAGES = {
    "uq_payments_user_idempotency_key": "This idempotency key was already used",
    "uq_payments_order_open": "The order already has a payment",
}

SessionScope = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""A session whose transactions the service commits itself (``ctx.db``, a sessionmaker)."""


@dataclass(frozen=True, slots=True)
class PayRequest:
    order_id: str
    card: Card
    idempotency_key: str


def may_see(identity: Principal | None, user_id: str) -> bool:
    """Admins, the order's own user and services granted ``payments:read`` see its payments."""
    if identity is None:
        return False
    if identity.is_service:
        return identity.has_scope(READ_SCOPE)
    return identity.has_role(ADMIN_ROLE) or identity.subject == user_id


def check_payer(identity: Principal | None, order: PayableOrder) -> None:
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
    db: SessionScope,
    request: PayRequest,
    identity: Principal | None,
    provider: PaymentProvider,
    *,
    event_source: str = "payments",
    provider_timeout: float = 20.0,
) -> Payment:
    """Charge the order's amount to the card; the payment as it stands afterwards."""
    async with db() as session:
        payment, fresh = await initiate(session, request, identity, provider.name)
        await session.commit()
    if not fresh:
        return payment
    charge = ChargeRequest(
        reference=str(payment.id),
        order_id=payment.order_id,
        amount=payment.amount,
        currency=payment.currency,
        card=request.card,
    )
    try:
        async with asyncio.timeout(provider_timeout):
            result = await provider.charge(charge)
    except Exception as exc:
        # Charged or not, we cannot tell: the reconciler will ask the provider.
        log.warning(
            "payment provider gave no answer; payment left INITIATED",
            order_id=payment.order_id,
            payment_id=str(payment.id),
            error=repr(exc),
        )
        return payment
    async with db() as session:
        settled = await settle(session, payment.id, result, event_source=event_source)
        await session.commit()
    return settled


async def initiate(
    session: AsyncSession, request: PayRequest, identity: Principal | None, provider_name: str
) -> tuple[Payment, bool]:
    """The payment ``INITIATED`` for this request (flushed, not committed), or the earlier
    payment of the same idempotency key; True when it is new and must be charged."""
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
        # Keys are scoped to the order's customer: another customer reusing one starts afresh
        # and learns nothing about the first customer's payment.
        select(Payment).where(
            Payment.user_id == order.user_id, Payment.idempotency_key == request.idempotency_key
        )
    )
    if earlier is not None:
        return _replay(earlier, request), False
    if order.status != PayableStatus.AWAITING:
        raise Conflict(
            f"The order is {order.status.lower()}, not awaiting payment", status=order.status
        )
    attempted = await session.scalar(
        select(Payment.id).where(Payment.order_id == order.order_id).limit(1)
    )
    if attempted is not None:
        # In flight, succeeded (awaiting orders' confirmation) or failed (orders cancels).
        raise Conflict("The order already has a payment", paymentId=str(attempted))

    payment = Payment(
        id=uuid.uuid4(),
        order_id=order.order_id,
        user_id=order.user_id,
        amount=order.amount,
        currency=order.currency,
        status=PaymentStatus.INITIATED.value,
        provider=provider_name,
        card_brand=request.card.brand,
        card_last4=request.card.last4,
        idempotency_key=request.idempotency_key,
    )
    session.add(payment)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Only a concurrent request for another order with the same key gets here (the
        # order's row lock serialises everything else).
        if constraint_of(exc) == "uq_payments_user_idempotency_key":
            raise Conflict("This idempotency key was used for a different payment request") from exc
        raise
    await session.refresh(payment)
    log.info("payment initiated", order_id=payment.order_id, payment_id=str(payment.id))
    return payment, True


async def settle(
    session: AsyncSession,
    payment_id: uuid.UUID,
    result: ChargeResult,
    *,
    event_source: str = "payments",
) -> Payment:
    """Record the provider's answer and its event, once: under the payment's row lock, a
    payment no longer ``INITIATED`` is returned unchanged."""
    payment = await session.scalar(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        raise NotFound("No such payment", paymentId=str(payment_id))
    if payment.status != PaymentStatus.INITIATED:
        return payment
    payment.status = (PaymentStatus.SUCCESS if result.approved else PaymentStatus.FAILED).value
    payment.provider_ref = result.provider_ref
    payment.failure_code = None if result.approved else (result.failure_code or "declined")
    payment.failure_reason = None if result.approved else result.failure_message
    await session.flush()
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
    """The first payment again (as it stands), if the retry asks for the same thing."""
    if earlier.order_id != request.order_id or earlier.card_last4 != request.card.last4:
        raise Conflict(
            "This idempotency key was used for a different payment request",
            paymentId=str(earlier.id),
        )
    return earlier


async def latest_payment(session: AsyncSession, order_id: str) -> Payment | None:
    """The order's newest payment attempt, read afresh (a subscription outlives loaders)."""
    statement = (
        select(Payment)
        .where(Payment.order_id == order_id)
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one_or_none()
