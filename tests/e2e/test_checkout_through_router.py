"""The checkout, end to end, as a customer sees it: only the router, on a real `polyshop up`.

A new customer registers, browses, orders one product and then five, watches both orders
reach PENDING_PAYMENT, pays, watches PAID. Then one query per order reads the order from
five subgraphs, with the same fetches whatever the number of items; stock went down by the
quantities; the e-mails reached the dev stack's mail catcher and notifications logged them
SENT; and the admin's sales reports moved by exactly these orders.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from polyshop.devstack.demo_flow import ADMIN, DEMO_PASSWORD, Client, GraphQLFailure
from polyshop.devstack.mailcatcher import read_maildir
from router.engine import Engine
from router.http.runtime import engine_config
from router.planning import fetch_nodes
from router.settings import RouterSettings
from router.supergraph import load_supergraph
from tests.e2e.test_stack_up import RunningStack, running_stack
from tests.support.eventually import eventually

T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[2]
SUCCESS_CARD = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2040, "cvc": "123"}
SETTLE_SECONDS = 30.0
FETCH_METRIC = "polyshop_router_subgraph_request_duration_seconds"

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken user { id email roles } }
}
"""
LOGIN = (
    "mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
)
SAVE_RECIPIENT = """
mutation Recipient($userId: ID!, $email: String) {
  saveRecipient(userId: $userId, email: $email) { userId email }
}
"""
BROWSE = """
query Browse {
  products(first: 40, orderBy: NEWEST, filter: {currency: "USD"}) {
    totalCount
    edges { node { id name price currency inStock stock { available reserved } } }
  }
}
"""
STOCK = "query Stock($id: ID!) { product(id: $id) { stock { available reserved } } }"
PLACE = """
mutation Place($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) { id status totalAmount items { quantity } }
}
"""
STATUS = "query Status($id: ID!) { order(id: $id) { status } }"
PAY = """
mutation Pay($orderId: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $orderId, card: $card, idempotencyKey: $key) { status amount provider }
}
"""
ORDER_DETAILS = """
query OrderDetails($id: ID!) {
  order(id: $id) {
    id status totalAmount
    items { quantity unitPrice product { name price stock { available } } }
    payment { status provider }
    user { email }
  }
}
"""
NOTIFICATION_LOGS = """
query Logs($userId: ID!) {
  notificationLogs(filter: {userId: $userId}, first: 50) {
    edges { node { recipient template status subject attempts } }
  }
}
"""
SALES = """
query Sales($from: Date!, $to: Date!) {
  salesDaily(from: $from, to: $to, currency: "USD") { date totalOrders totalRevenue }
  topProducts(from: $from, to: $to, limit: 100, currency: "USD") {
    product { name } units revenue
  }
}
"""


@dataclass
class Product:
    id: str
    name: str
    price: Decimal
    available: int
    reserved: int


@dataclass
class PlacedOrder:
    id: str
    lines: list[tuple[Product, int]]
    total: Decimal
    statuses: list[str] = field(default_factory=list)
    payment: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sales:
    orders: int
    revenue: Decimal
    by_product: dict[str, tuple[int, Decimal]]


@dataclass
class Checkout:
    stack: RunningStack
    client: Client
    session: aiohttp.ClientSession
    admin: str
    customer: str
    user_id: str
    email: str
    sales_before: Sales
    small: PlacedOrder
    large: PlacedOrder
    stock_while_reserved: dict[str, tuple[int, int]] = field(default_factory=dict)


def sales_window() -> dict[str, str]:
    """Yesterday to tomorrow (UTC), so a run across midnight still sees its orders."""
    today = datetime.now(UTC).date()
    return {
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }


async def sales(client: Client, admin: str) -> Sales:
    data = await client.call(SALES, admin, **sales_window())
    by_product: dict[str, tuple[int, Decimal]] = {}
    for row in data["topProducts"]:
        by_product[row["product"]["name"]] = (row["units"], Decimal(row["revenue"]))
    return Sales(
        orders=sum(day["totalOrders"] for day in data["salesDaily"]),
        revenue=sum((Decimal(day["totalRevenue"]) for day in data["salesDaily"]), Decimal(0)),
        by_product=by_product,
    )


async def watch(client: Client, token: str, order: PlacedOrder, target: str) -> None:
    """Poll the order, keeping each status it shows, until it reaches ``target``."""

    async def reached() -> bool | None:
        status: str = (await client.call(STATUS, token, id=order.id))["order"]["status"]
        if not order.statuses or order.statuses[-1] != status:
            order.statuses.append(status)
        return True if status == target else None

    await eventually(
        reached,
        f"order {order.id} to reach {target} (seen {order.statuses})",
        within=SETTLE_SECONDS,
    )


async def place(client: Client, token: str, lines: list[tuple[Product, int]]) -> PlacedOrder:
    items = [{"productId": product.id, "quantity": quantity} for product, quantity in lines]
    data = await client.call(
        PLACE, token, input={"items": items, "currency": "USD"}, key=str(uuid.uuid4())
    )
    placed = data["placeOrder"]
    order = PlacedOrder(placed["id"], lines, Decimal(placed["totalAmount"]), [placed["status"]])
    assert sorted(item["quantity"] for item in placed["items"]) == sorted(q for _, q in lines)
    return order


async def pay(client: Client, token: str, order: PlacedOrder) -> None:
    """payOrder; payments learns from an event that the order awaits payment, so a
    NOT_FOUND right after PENDING_PAYMENT is retried."""
    key = f"e2e-{order.id}"

    async def attempt() -> dict[str, Any] | None:
        try:
            data = await client.call(PAY, token, orderId=order.id, card=SUCCESS_CARD, key=key)
        except GraphQLFailure as failure:
            if failure.codes == ["NOT_FOUND"]:
                return None
            raise
        payment: dict[str, Any] = data["payOrder"]
        return payment

    order.payment = await eventually(
        attempt, f"payments to accept order {order.id}", within=SETTLE_SECONDS
    )


async def stock_of(client: Client, product: Product) -> tuple[int, int]:
    level = (await client.call(STOCK, id=product.id))["product"]["stock"]
    return level["available"], level["reserved"]


@pytest.fixture(scope="module")
def stack_dir() -> Iterator[Path]:
    """Outside pytest's temp root, as in tests/conftest.py (the server runs as another user)."""
    path = Path(tempfile.mkdtemp(prefix="polyshop-checkout-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest_asyncio.fixture(scope="module")
async def checkout(stack_dir: Path) -> AsyncIterator[Checkout]:
    async with (
        running_stack(stack_dir / "data") as stack,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
    ):
        client = Client(session, stack.router_url)
        admin = (await client.call(LOGIN, e=ADMIN, p=DEMO_PASSWORD))["login"]["accessToken"]

        email = f"shopper-{uuid.uuid4().hex[:10]}@example.com"
        registration = {"email": email, "password": "a long enough passphrase", "name": "Shopper"}
        registered = (await client.call(REGISTER, input=registration))["register"]
        assert registered["user"]["email"] == email
        assert registered["user"]["roles"] == ["customer"]
        customer, user_id = registered["accessToken"], registered["user"]["id"]
        # auth publishes no user events yet: an admin tells notifications the address
        await client.call(SAVE_RECIPIENT, admin, userId=user_id, email=email)

        browsed = (await client.call(BROWSE, customer))["products"]
        assert browsed["totalCount"] >= 100
        stocked = [
            Product(
                node["id"],
                node["name"],
                Decimal(node["price"]),
                node["stock"]["available"],
                node["stock"]["reserved"],
            )
            for node in (edge["node"] for edge in browsed["edges"])
            if node["inStock"] and node["stock"]["available"] >= 10
        ]
        assert len(stocked) >= 6, "the demo catalogue has well-stocked USD products"

        sales_before = await sales(client, admin)
        small = await place(client, customer, [(stocked[0], 3)])
        large = await place(client, customer, [(p, 1 + i % 2) for i, p in enumerate(stocked[1:6])])
        result = Checkout(
            stack, client, session, admin, customer, user_id, email, sales_before, small, large
        )
        for order in (small, large):
            await watch(client, customer, order, "PENDING_PAYMENT")
        for product, _ in small.lines + large.lines:
            result.stock_while_reserved[product.id] = await stock_of(client, product)
        for order in (small, large):
            await pay(client, customer, order)
            await watch(client, customer, order, "PAID")
        yield result


async def test_orders_go_through_the_saga_to_paid(checkout: Checkout) -> None:
    for order in (checkout.small, checkout.large):
        seen = [status for status in order.statuses if status != "CREATED"]
        assert seen == ["PENDING_PAYMENT", "PAID"], order.statuses
        assert order.payment == {
            "status": "SUCCESS",
            "amount": str(order.total),
            "provider": "sandbox",
        }
        assert order.total == sum(p.price * q for p, q in order.lines)


def fetch_counts(metrics_text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for family in text_string_to_metric_families(metrics_text):
        if family.name == FETCH_METRIC:
            for sample in family.samples:
                if sample.name == f"{FETCH_METRIC}_count":
                    counts[sample.labels["subgraph"]] = int(sample.value)
    return counts


async def planned_fetches() -> Counter[str]:
    """The plan of ORDER_DETAILS from the supergraph the router serves (as `polyshop plan`)."""
    settings = RouterSettings(supergraph=str(REPO_ROOT / "schema" / "supergraph.graphql"))
    engine = Engine(await load_supergraph(settings.supergraph), engine_config(settings))
    plan = engine.plan(ORDER_DETAILS, "OrderDetails", {"id": "any"})
    return Counter(fetch.service for fetch in fetch_nodes(plan))


async def test_one_query_reads_five_subgraphs_with_fetches_independent_of_items(
    checkout: Checkout,
) -> None:
    planned = await planned_fetches()
    assert planned == Counter(
        {"orders": 1, "products": 1, "inventory": 1, "payments": 1, "auth": 1}
    ), "one fetch per subgraph: items are batched into one _entities call each"

    metrics_url = checkout.stack.router_url.removesuffix("/graphql") + "/metrics"

    async def scrape() -> Counter[str]:
        async with checkout.session.get(metrics_url) as response:
            assert response.status == 200
            return fetch_counts(await response.text())

    for order in (checkout.small, checkout.large):
        before = await scrape()
        data = await checkout.client.call(ORDER_DETAILS, checkout.customer, id=order.id)
        after = await scrape()
        assert after - before == planned, (len(order.lines), after - before)

        details = data["order"]
        assert details["id"] == order.id
        assert details["status"] == "PAID"
        assert Decimal(details["totalAmount"]) == order.total
        assert details["payment"] == {"status": "SUCCESS", "provider": "sandbox"}
        assert details["user"] == {"email": checkout.email}
        ordered = {product.name: (product, quantity) for product, quantity in order.lines}
        assert sorted(item["product"]["name"] for item in details["items"]) == sorted(ordered)
        for item in details["items"]:
            product, quantity = ordered[item["product"]["name"]]
            assert item["quantity"] == quantity
            assert Decimal(item["unitPrice"]) == product.price
            assert item["product"]["name"] == product.name
            assert Decimal(item["product"]["price"]) == product.price
            assert item["product"]["stock"]["available"] == product.available - quantity


async def test_stock_went_down_by_the_quantities(checkout: Checkout) -> None:
    for product, quantity in checkout.small.lines + checkout.large.lines:
        # reserved while awaiting payment, then the reservation was confirmed
        assert checkout.stock_while_reserved[product.id] == (
            product.available - quantity,
            product.reserved + quantity,
        )
        # inventory confirms on the order.paid event, which may land just after PAID is read
        settled = (product.available - quantity, product.reserved)

        async def confirmed(
            product: Product = product, settled: tuple[int, int] = settled
        ) -> tuple[int, int] | None:
            stock = await stock_of(checkout.client, product)
            return stock if stock == settled else None

        await eventually(
            confirmed, f"the reservation of product {product.id} confirmed", within=SETTLE_SECONDS
        )


def mails_to(mail_dir: Path, address: str) -> list[Message]:
    return [message for message in read_maildir(mail_dir) if message["To"] == address]


def _flat(header: object) -> str:
    """A header's text with folding undone."""
    return " ".join(str(header).split())


async def test_the_customer_got_mail_and_notifications_logged_it_sent(
    checkout: Checkout,
) -> None:
    orders = (checkout.small, checkout.large)
    expected = {
        (template, order.id)
        for order in orders
        for template in ("order_confirmation", "payment_receipt")
    }

    async def all_sent() -> list[dict[str, Any]] | None:
        data = await checkout.client.call(
            NOTIFICATION_LOGS, checkout.admin, userId=checkout.user_id
        )
        logs = [edge["node"] for edge in data["notificationLogs"]["edges"]]
        done = len(logs) == len(expected) and all(log["status"] == "SENT" for log in logs)
        return logs if done else None

    logs = await eventually(
        all_sent, "notifications to send both orders' e-mails", within=SETTLE_SECONDS
    )
    assert {log["recipient"] for log in logs} == {checkout.email}
    assert {(log["template"], _order_in(log["subject"], orders)) for log in logs} == expected

    caught = {_flat(m["Subject"]): m for m in mails_to(checkout.stack.mail_dir, checkout.email)}
    assert sorted(caught) == sorted(_flat(log["subject"]) for log in logs)
    confirmation = caught[f"PolyShop: order {checkout.large.id} received"]
    body = confirmation.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert f"Total: {checkout.large.total} USD" in body.decode()


def _order_in(subject: str, orders: tuple[PlacedOrder, ...]) -> str:
    return next(order.id for order in orders if order.id in subject)


async def test_admin_sales_reports_moved_by_the_orders(checkout: Checkout) -> None:
    before = checkout.sales_before
    orders = (checkout.small, checkout.large)

    async def counted() -> Sales | None:
        now = await sales(checkout.client, checkout.admin)
        return now if now.orders >= before.orders + len(orders) else None

    after = await eventually(counted, "analytics to count the paid orders", within=SETTLE_SECONDS)
    assert after.orders == before.orders + len(orders)
    assert after.revenue - before.revenue == sum(order.total for order in orders)
    for product, quantity in checkout.small.lines + checkout.large.lines:
        units, revenue = after.by_product[product.name]
        units_before, revenue_before = before.by_product.get(product.name, (0, Decimal(0)))
        assert units - units_before == quantity, product.name
        assert revenue - revenue_before == product.price * quantity, product.name
