"""Helpers of the analytics tests (imported by name: this directory is on sys.path):
a reproducible stream of order events and the rollups they must produce, computed here in
plain Python, independently of the service's SQL."""

from __future__ import annotations

import json
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from nats.js import JetStreamContext
from starlette.types import ASGIApp, Receive, Scope, Send

from subgraphs.kit.auth import Principal
from subgraphs.kit.events import Envelope, EventSettings, ensure_event_stream, new_envelope

IDENTITY_HEADER = b"x-test-identity"
ADMIN = {IDENTITY_HEADER.decode(): json.dumps({"sub": "admin-1", "roles": ["admin"]})}
USER = {IDENTITY_HEADER.decode(): json.dumps({"sub": "user-1"})}


class WithTestIdentity:
    """Puts the ``x-test-identity`` header's claims where the kit's token middleware would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = dict(scope["headers"]).get(IDENTITY_HEADER)
            if raw:
                scope.setdefault("state", {})["identity"] = Principal.from_claims(json.loads(raw))
        await self.app(scope, receive, send)


@dataclass
class Expected:
    daily: dict[tuple[date, str], tuple[int, Decimal]] = field(default_factory=dict)
    monthly: dict[tuple[int, int, str], tuple[int, Decimal]] = field(default_factory=dict)
    products: dict[tuple[date, str, str], tuple[int, Decimal]] = field(default_factory=dict)


@dataclass
class Scenario:
    events: list[Envelope]
    expected: Expected


def scenario(seed: int, *, orders: int = 30, start: date = date(2019, 1, 28)) -> Scenario:
    """Orders over a few days around a month end, in two currencies: some paid (a few paid
    twice, by a retried payment), some paid then cancelled, some never paid, plus payment
    and stock events that must not count."""
    rng = random.Random(seed)
    events: list[Envelope] = []
    daily: defaultdict[tuple[date, str], list[Decimal]] = defaultdict(list)
    products: defaultdict[tuple[date, str, str], list[tuple[int, Decimal]]] = defaultdict(list)
    for n in range(orders):
        order_id = f"order-{seed}-{n}"
        currency = rng.choice(["EUR", "EUR", "USD"])
        created = datetime.combine(start, datetime.min.time(), UTC) + timedelta(
            hours=rng.randint(0, 24 * 6), minutes=rng.randint(0, 59)
        )
        items = [
            (f"{rng.randint(1, 6)}", rng.randint(1, 3), Decimal(rng.randint(100, 9999)) / 100)
            for _ in range(rng.randint(1, 3))
        ]
        total = sum((q * p for _, q, p in items), Decimal("0"))
        data = {
            "order_id": order_id,
            "user_id": f"user-{n % 7}",
            "currency": currency,
            "total_amount": str(total),
            "items": [
                {"product_id": pid, "quantity": q, "unit_price": str(p)} for pid, q, p in items
            ],
        }
        events.append(new_envelope("orders", "order.created", data, occurred_at=created))
        events.append(
            new_envelope(
                "inventory",
                "stock.reserved",
                {
                    "order_id": order_id,
                    "items": [{"product_id": pid, "quantity": q} for pid, q, _ in items],
                },
                occurred_at=created + timedelta(seconds=5),
            )
        )
        fate = rng.random()
        if fate < 0.2:
            continue  # never paid
        paid = created + timedelta(hours=rng.randint(0, 30))
        events.append(
            new_envelope(
                "payments",
                "payment.succeeded",
                {
                    "order_id": order_id,
                    "payment_id": f"p{n}",
                    "amount": str(total),
                    "currency": currency,
                },
                occurred_at=paid - timedelta(seconds=1),
            )
        )
        events.append(
            new_envelope("orders", "order.paid", {"order_id": order_id}, occurred_at=paid)
        )
        if fate > 0.9:  # a second order.paid (later): the first one decides the day
            events.append(
                new_envelope(
                    "orders",
                    "order.paid",
                    {"order_id": order_id},
                    occurred_at=paid + timedelta(days=2),
                )
            )
        if 0.2 <= fate < 0.3:
            events.append(
                new_envelope(
                    "orders",
                    "order.cancelled",
                    {"order_id": order_id, "reason": "refund"},
                    occurred_at=paid + timedelta(hours=1),
                )
            )
            continue
        day = paid.date()
        daily[(day, currency)].append(total)
        for pid, q, p in items:
            products[(day, pid, currency)].append((q, q * p))
    expected = Expected()
    monthly: defaultdict[tuple[int, int, str], list[Decimal]] = defaultdict(list)
    for (day, currency), totals in daily.items():
        expected.daily[(day, currency)] = (len(totals), sum(totals, Decimal("0")))
        monthly[(day.year, day.month, currency)].extend(totals)
    for key, totals in monthly.items():
        expected.monthly[key] = (len(totals), sum(totals, Decimal("0")))
    for key, lines in products.items():
        expected.products[key] = (
            sum(q for q, _ in lines),
            sum((r for _, r in lines), Decimal("0")),
        )
    return Scenario(events=events, expected=expected)


def copy_of(envelope: Envelope) -> Envelope:
    """The same event (same id) as a redelivery would bring it."""
    return Envelope.from_json(envelope.to_json())


async def publish(js: JetStreamContext, settings: EventSettings, envelope: Envelope) -> None:
    """Publish like a producer's relay; calling it again is a redelivery (new message id)."""
    await ensure_event_stream(js, envelope.source, settings)
    msg_id = f"{envelope.id}-{uuid.uuid4().hex}"
    await js.publish(envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": msg_id})
