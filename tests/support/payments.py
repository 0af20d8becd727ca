"""Helpers of the payments tests: signed tokens, events, waiting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.events import Envelope, new_envelope, stream_name
from subgraphs.payments.events import ORDER_HANDLERS
from subgraphs.payments.providers import ChargeRequest, ChargeResult
from subgraphs.payments.settings import PaymentsSettings

FUTURE_YEAR = datetime.now(UTC).year + 3
ServiceDatabaseFactory = Callable[[str], Awaitable[str]]

# Production logic with test-sized delays.
FAST_EVENTS: dict[str, Any] = {
    "nats_reconnect_wait": 1,
    "events_relay_poll_interval": 0.2,
    "events_publish_timeout": 1.0,
    "events_retry_backoff_initial": 0.05,
    "events_retry_backoff_max": 0.5,
    "events_consumer_backoff_initial": 0.2,
    "events_consumer_backoff_max": 2.0,
    "events_consumer_ack_wait": 5.0,
    "events_consumer_fetch_timeout": 0.5,
}

OK_CARD = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": FUTURE_YEAR, "cvc": "123"}


def card(number: str, **changes: Any) -> dict[str, Any]:
    return {**OK_CARD, "number": number, **changes}


def awaiting_payment(
    source: str, order_id: str, user_id: str, amount: str, currency: str = "USD"
) -> Envelope:
    return new_envelope(
        source,
        "order.awaiting_payment",
        {"order_id": order_id, "user_id": user_id, "total_amount": amount, "currency": currency},
    )


async def handle_order_event(session: AsyncSession, envelope: Envelope) -> None:
    """Apply an orders event as the consumer does (parsed into its contract first)."""
    await ORDER_HANDLERS[envelope.type](session, envelope)


async def seed_order(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    user_id: str,
    amount: str = "42.50",
    currency: str = "USD",
    order_id: str | None = None,
) -> str:
    """An order awaiting payment in the read model, written by the real event handler."""
    order_id = order_id or str(uuid.uuid4())
    async with sessionmaker() as session, session.begin():
        await handle_order_event(
            session, awaiting_payment("orders", order_id, user_id, amount, currency)
        )
    return order_id


def money(value: str) -> Decimal:
    return Decimal(value)


async def stream_events(js: JetStreamContext, source: str) -> list[Envelope]:
    """Every event stored in ``source``'s stream, in order."""
    stream = stream_name(source)
    try:
        state = (await js.stream_info(stream)).state
    except NotFoundError:
        return []
    if state.messages == 0:
        return []
    messages = [await js.get_msg(stream, seq) for seq in range(state.first_seq, state.last_seq + 1)]
    return [Envelope.from_json(message.data or b"") for message in messages]


class SlowProvider:
    """A provider plugged in by setting, as a real one would be; never answers in time,
    though it does charge (``charged``), so the reconciler can find the charge."""

    name = "slow"

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.closed = False
        self.calls = 0
        self.charged: dict[str, ChargeResult] = {}

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.calls += 1
        result = self.charged.setdefault(
            request.reference, ChargeResult(approved=True, provider_ref=f"slow-{self.calls}")
        )
        await asyncio.sleep(self.delay)
        return result

    async def lookup(self, reference: str) -> ChargeResult | None:
        return self.charged.get(reference)

    async def aclose(self) -> None:
        self.closed = True


def slow_provider(settings: PaymentsSettings) -> SlowProvider:
    """``POLYSHOP_PAYMENTS_PROVIDER=tests.support.payments:slow_provider``."""
    return SlowProvider(delay=settings.payments_provider_timeout * 10)


async def backdate(sql: Any, payment_id: str, seconds: float) -> None:
    """As if ``seconds`` had passed since the payment was written."""
    await sql.execute(
        "UPDATE payments SET created_at = created_at - make_interval(secs => $2) WHERE id = $1",
        uuid.UUID(payment_id),
        float(seconds),
    )


def not_a_provider(_settings: object) -> object:
    return object()
