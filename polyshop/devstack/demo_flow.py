"""Demo orders placed through the public API, so every service holds data that agrees.

`polyshop up` runs this once the router is healthy. The demo users sign in through the router,
place orders under fixed idempotency keys, and pay (or fail to pay, or cancel) them; the
checkout saga does the rest, so orders, inventory, payments, notifications and analytics
each see the very events a real customer would cause. A second start sends the same
requests: orders come back as they are, payments replay, and nothing new is created.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import aiohttp
import structlog

log = structlog.get_logger("polyshop.demo_flow")

DEMO_PASSWORD = "polyshop-demo"
ALICE = "alice@example.com"
BOB = "bob@example.com"
ADMIN = "admin@example.com"
CURRENCY = "USD"
SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
POLL_SECONDS = 0.2
MIN_STOCK = 10  # products the demo orders from keep enough units for the developer too


class Outcome(StrEnum):
    """Where a demo order ends up, and how it gets there."""

    PAID = "paid"  # success card → PAID
    DECLINED = "declined"  # declined card → payment FAILED → CANCELLED
    CANCELLED = "cancelled"  # the customer cancels while it awaits payment
    AWAITING = "awaiting"  # left PENDING_PAYMENT


FINAL_STATUS = {
    Outcome.PAID: "PAID",
    Outcome.DECLINED: "CANCELLED",
    Outcome.CANCELLED: "CANCELLED",
    Outcome.AWAITING: "PENDING_PAYMENT",
}


@dataclass(frozen=True, slots=True)
class DemoOrder:
    """``lines`` are (index into the demo products, quantity)."""

    key: str
    customer: str
    lines: tuple[tuple[int, int], ...]
    outcome: Outcome


DEMO_ORDERS: tuple[DemoOrder, ...] = (
    DemoOrder("demo-order-alice-1", ALICE, ((0, 1), (1, 2)), Outcome.PAID),
    DemoOrder("demo-order-alice-2", ALICE, ((2, 1),), Outcome.PAID),
    DemoOrder("demo-order-bob-1", BOB, ((0, 1), (3, 3)), Outcome.PAID),
    DemoOrder("demo-order-alice-3", ALICE, ((4, 1),), Outcome.DECLINED),
    DemoOrder("demo-order-bob-2", BOB, ((5, 2),), Outcome.DECLINED),
    DemoOrder("demo-order-alice-4", ALICE, ((6, 1), (7, 1)), Outcome.CANCELLED),
    DemoOrder("demo-order-bob-3", BOB, ((1, 1),), Outcome.CANCELLED),
    DemoOrder("demo-order-alice-5", ALICE, ((3, 1),), Outcome.AWAITING),
    DemoOrder("demo-order-bob-4", BOB, ((2, 2), (8, 1)), Outcome.AWAITING),
)
PRODUCT_SLOTS = 1 + max(index for order in DEMO_ORDERS for index, _ in order.lines)

LOGIN = """
mutation DemoLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id email name } }
}
"""
SAVE_RECIPIENT = """
mutation DemoRecipient($userId: ID!, $email: String, $name: String) {
  saveRecipient(userId: $userId, email: $email, name: $name) { userId }
}
"""
PRODUCTS = """
query DemoProducts($currency: String!) {
  products(first: 40, orderBy: OLDEST, filter: {currency: $currency, active: true}) {
    edges { node { id stock { available } } }
  }
}
"""
PLACE = """
mutation DemoPlace($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) { id number status createdAt }
}
"""
STATUS = "query DemoStatus($id: ID!) { order(id: $id) { id status } }"
PAY = """
mutation DemoPay($orderId: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $orderId, card: $card, idempotencyKey: $key) { id status }
}
"""
CANCEL = """
mutation DemoCancel($id: ID!, $reason: String) { cancelOrder(id: $id, reason: $reason) { id } }
"""


class GraphQLFailure(Exception):
    """The router answered with errors (``codes`` are their ``extensions.code``)."""

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        self.errors = list(errors)
        self.codes = [str(e.get("extensions", {}).get("code", "")) for e in self.errors]
        super().__init__("; ".join(str(e.get("message")) for e in self.errors))


class DemoFlowError(RuntimeError):
    """A demo order did not reach its state in time, or the API refused the flow."""


@dataclass
class Client:
    """A minimal GraphQL client of the router (one session, JSON over POST)."""

    session: aiohttp.ClientSession
    url: str

    async def call(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        payload = {"query": query, "variables": variables}
        async with self.session.post(self.url, json=payload, headers=headers) as response:
            body: dict[str, Any] = await response.json(content_type=None)
        if body.get("errors"):
            raise GraphQLFailure(body["errors"])
        data: dict[str, Any] = body["data"]
        return data


@dataclass
class Report:
    """What one run did; ``statuses`` maps idempotency key to the order's final status."""

    created: int = 0
    statuses: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for status in self.statuses.values():
            counts[status] = counts.get(status, 0) + 1
        states = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        text = f"{len(self.statuses)} demo orders ({states}); {self.created} new"
        if self.skipped:
            text += f"; skipped {len(self.skipped)}"
        return text


async def run_demo_flow(router_url: str, *, settle_seconds: float = 60.0) -> Report:
    """Place and settle the demo orders through the router at ``router_url`` (its /graphql)."""
    deadline = time.monotonic() + settle_seconds
    started = time.time()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        client = Client(session, router_url)
        tokens = await sign_in_everyone(client)
        products = await demo_products(client, tokens[ADMIN])
        report = Report()
        outcomes = await asyncio.gather(
            *(
                settle(client, tokens[order.customer], order, products, deadline, started)
                for order in DEMO_ORDERS
            ),
            return_exceptions=True,
        )
    for order, outcome in zip(DEMO_ORDERS, outcomes, strict=True):
        if isinstance(outcome, GraphQLFailure) and "CONFLICT" in outcome.codes:
            report.skipped[order.key] = str(outcome)  # the key holds another order: leave it
        elif isinstance(outcome, BaseException):
            raise DemoFlowError(f"demo order {order.key}: {outcome}") from outcome
        else:
            status, new = outcome
            report.statuses[order.key] = status
            report.created += int(new)
    log.info("demo_flow.done", summary=report.summary())
    return report


async def sign_in_everyone(client: Client) -> dict[str, str]:
    """Access tokens of the demo users; also tells notifications where their mail goes
    (the auth service publishes no user events yet)."""
    tokens: dict[str, str] = {}
    users: list[dict[str, Any]] = []
    for email in (ADMIN, ALICE, BOB):
        data = await client.call(LOGIN, email=email, password=DEMO_PASSWORD)
        tokens[email] = data["login"]["accessToken"]
        users.append(data["login"]["user"])
    for user in users:
        await client.call(
            SAVE_RECIPIENT, tokens[ADMIN], userId=user["id"], email=user["email"], name=user["name"]
        )
    return tokens


async def demo_products(client: Client, token: str) -> list[str]:
    """The oldest (demo catalogue) products in the demo currency with plenty of stock."""
    data = await client.call(PRODUCTS, token, currency=CURRENCY)
    ids = [
        edge["node"]["id"]
        for edge in data["products"]["edges"]
        if edge["node"]["stock"]["available"] >= MIN_STOCK
    ]
    if len(ids) < PRODUCT_SLOTS:
        raise DemoFlowError(f"only {len(ids)} {CURRENCY} products have stock to order")
    return ids[:PRODUCT_SLOTS]


async def settle(
    client: Client,
    token: str,
    order: DemoOrder,
    products: Sequence[str],
    deadline: float,
    started: float,
) -> tuple[str, bool]:
    """Take one demo order to its state; returns its final status and whether it is new."""
    items = [{"productId": products[index], "quantity": qty} for index, qty in order.lines]
    placed = (
        await client.call(PLACE, token, input={"items": items, "currency": CURRENCY}, key=order.key)
    )["placeOrder"]
    new = _timestamp(placed["createdAt"]) >= started - 1.0
    order_id: str = placed["id"]
    status = await wait_for(client, token, order_id, {"CREATED"}, deadline, leave=True)
    if status == "PENDING_PAYMENT":
        status = await advance(client, token, order, order_id, deadline)
    return status, new


async def advance(
    client: Client, token: str, order: DemoOrder, order_id: str, deadline: float
) -> str:
    """From PENDING_PAYMENT to the order's outcome."""
    if order.outcome is Outcome.AWAITING:
        return "PENDING_PAYMENT"
    if order.outcome is Outcome.CANCELLED:
        await client.call(CANCEL, token, id=order_id, reason="changed my mind (demo)")
    else:
        card = SUCCESS_CARD if order.outcome is Outcome.PAID else DECLINED_CARD
        await pay(client, token, order_id, card, f"{order.key}-payment", deadline)
    return await wait_for(
        client, token, order_id, {FINAL_STATUS[order.outcome]}, deadline, leave=False
    )


async def pay(
    client: Client, token: str, order_id: str, card: str, key: str, deadline: float
) -> None:
    """payOrder, retried while payments has not yet heard that the order awaits payment."""
    card_input = {"number": card, "expMonth": 12, "expYear": 2040, "cvc": "123"}
    while True:
        try:
            await client.call(PAY, token, orderId=order_id, card=card_input, key=key)
            return
        except GraphQLFailure as failure:
            if "NOT_FOUND" not in failure.codes or time.monotonic() > deadline:
                raise
        await asyncio.sleep(POLL_SECONDS)


async def wait_for(
    client: Client,
    token: str,
    order_id: str,
    statuses: set[str],
    deadline: float,
    *,
    leave: bool,
) -> str:
    """Poll the order until its status is in ``statuses`` (``leave=False``) or out of them
    (``leave=True``); returns that status."""
    while True:
        data = await client.call(STATUS, token, id=order_id)
        status: str = data["order"]["status"]
        if (status in statuses) != leave:
            return status
        if time.monotonic() > deadline:
            wanted = f"leave {sorted(statuses)}" if leave else f"reach {sorted(statuses)}"
            raise DemoFlowError(f"order {order_id} is {status}; it did not {wanted} in time")
        await asyncio.sleep(POLL_SECONDS)


def _timestamp(value: str) -> float:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
