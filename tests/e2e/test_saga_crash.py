"""The checkout saga survives crashes: real PostgreSQL, real NATS, inventory and orders as
real processes killed and restarted mid-flow, payments and products in this process.

What is proved, for one order:

1. inventory is dead when ``order.created`` is published: the order stays CREATED and the
   event waits in the stream; inventory comes back and reserves.
2. inventory dies right after committing its reservation, before the ack: the event is
   redelivered on restart and the inbox skips it, so the stock is reserved once.
3. orders is dead when ``payment.succeeded`` is published, and the first orders to come back
   dies right after committing PAID, before the ack: the next one skips the redelivery, so
   the order is PAID once with one ``order.paid``.

Run as ``python -m tests.e2e.test_saga_crash <service> [<event type>]`` this module is also
the launcher of those processes: the service on uvicorn, with settings from ``POLYSHOP_*``,
and optionally a crash (``os._exit``) right after the commit of the named event's handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import ConsumerInfo
from nats.js.errors import NotFoundError

from polyshop.devstack.nats import EmbeddedNats
from polyshop.devstack.ports import free_port
from polyshop.devstack.postgres import plain_url
from subgraphs.kit.auth import TokenSettings, install_token_auth
from subgraphs.kit.events import ConsumerSpec, Envelope, Handler, stream_name
from subgraphs.payments.app import create_app as create_payments_app
from subgraphs.payments.settings import PaymentsSettings
from tests.conftest import server_data_dir
from tests.support.eventually import eventually
from tests.support.keys import TestKeys
from tests.support.orders import (
    PLACE,
    Catalog,
    Issuer,
    ServiceDatabaseFactory,
    catalog_writer,
    stream_events,
)

CRASH_EXIT = 75
REPO = Path(__file__).resolve().parents[2]

# Production logic with test-sized delays; a short ack wait makes redelivery quick.
FAST_EVENTS: dict[str, str] = {
    "POLYSHOP_LOG_LEVEL": "WARNING",
    "POLYSHOP_NATS_RECONNECT_WAIT": "1",
    "POLYSHOP_EVENTS_RELAY_POLL_INTERVAL": "0.2",
    "POLYSHOP_EVENTS_PUBLISH_TIMEOUT": "1",
    "POLYSHOP_EVENTS_RETRY_BACKOFF_INITIAL": "0.05",
    "POLYSHOP_EVENTS_RETRY_BACKOFF_MAX": "0.5",
    "POLYSHOP_EVENTS_CONSUMER_BACKOFF_INITIAL": "0.2",
    "POLYSHOP_EVENTS_CONSUMER_BACKOFF_MAX": "1",
    "POLYSHOP_EVENTS_CONSUMER_ACK_WAIT": "2",
    "POLYSHOP_EVENTS_CONSUMER_FETCH_TIMEOUT": "0.3",
    "POLYSHOP_SHUTDOWN_TIMEOUT": "2",
    "POLYSHOP_METRICS": "false",
}


# --- the launcher (runs in the child process) -------------------------------------------


def crash_after_commit(handler: Handler) -> Handler:
    """``handler``, then the process dies the moment its transaction has committed: the
    effect and the inbox record are durable, the ack is never sent."""
    from sqlalchemy import event

    async def wrapped(session: Any, envelope: Envelope) -> None:
        await handler(session, envelope)
        event.listen(session.sync_session, "after_commit", lambda _s: os._exit(CRASH_EXIT))

    return wrapped


def with_crash(consumers: tuple[ConsumerSpec, ...], event_type: str) -> tuple[ConsumerSpec, ...]:
    return tuple(
        ConsumerSpec(
            spec.name,
            spec.source,
            {
                kind: crash_after_commit(handler) if kind == event_type else handler
                for kind, handler in spec.handlers.items()
            },
        )
        for spec in consumers
    )


def launch(service: str, crash_on: str | None) -> None:
    import uvicorn

    app: FastAPI
    if service == "inventory":
        from subgraphs.inventory import app as inventory

        if crash_on:
            # create_app reads the module's CONSUMERS; the crash wraps one handler.
            inventory.CONSUMERS = with_crash(inventory.CONSUMERS, crash_on)  # type: ignore[attr-defined]
        settings: Any = inventory.InventorySettings()
        app = inventory.create_app(settings, verify_tokens=False)
    elif service == "orders":
        from subgraphs.orders import app as orders
        from subgraphs.orders.settings import OrdersSettings

        if crash_on:
            orders.CONSUMERS = with_crash(orders.CONSUMERS, crash_on)  # type: ignore[attr-defined]
        settings = OrdersSettings()
        app = orders.create_app(settings)
    else:
        raise SystemExit(f"unknown service {service!r}")
    uvicorn.run(app, host="127.0.0.1", port=settings.port, log_level="warning")


# --- the test side ----------------------------------------------------------------------


class ServiceProcess:
    """One service as a child process on a fixed port, started, killed and restarted."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.env = {**os.environ, **env, "POLYSHOP_PORT": str(self.port)}
        self.log = log_dir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, crash_on: str | None = None) -> None:
        assert self.process is None or self.process.returncode is not None
        args = [sys.executable, "-m", "tests.e2e.test_saga_crash", self.name]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *args,
                *([crash_on] if crash_on else []),
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=log,
            )

    async def ready(self, within: float = 30.0) -> None:
        async def answers() -> bool:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient(timeout=1) as http:
                    return (await http.get(f"{self.url}/ready")).status_code == 200
            return False

        await eventually(answers, within=within, what=f"{self.name} to be ready")

    async def kill(self) -> None:
        """SIGKILL: no shutdown hook, no drain, no ack — a crash."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def exited(self, within: float = 20.0) -> int:
        assert self.process is not None
        async with asyncio.timeout(within):
            return await self.process.wait()


@pytest.fixture(scope="module")
def nats_url() -> Iterator[str]:
    """A NATS of this module's own: the services' stream names are fixed, and other modules
    publish on them in the session's NATS."""
    with server_data_dir("nats-crash") as data_dir, EmbeddedNats(data_dir) as server:
        yield server.url


@pytest.fixture(scope="module")
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture(scope="module")
def js(nc: Client) -> JetStreamContext:
    return nc.jetstream()


@pytest.fixture(scope="module")
async def databases(service_database: ServiceDatabaseFactory) -> dict[str, str]:
    return {name: await service_database(name) for name in ("inventory", "orders", "payments")}


@pytest.fixture(scope="module")
async def payments(
    databases: dict[str, str], nats_url: str, keys: TestKeys
) -> AsyncIterator[httpx.AsyncClient]:
    settings = PaymentsSettings.model_validate(
        {
            **{k.removeprefix("POLYSHOP_").lower(): v for k, v in FAST_EVENTS.items()},
            "database_url": databases["payments"],
            "nats_url": nats_url,
            "payments_provider_timeout": 2,
            "payments_reconcile_after": 2,
        }
    )
    app = create_payments_app(settings, verify_tokens=False)
    install_token_auth(
        app, dev_mode=False, settings=TokenSettings(allow_anonymous=False), verifier=keys.verifier()
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://payments") as http:
            yield http


@pytest.fixture(scope="module")
async def services(
    databases: dict[str, str],
    nats_url: str,
    products_url: str,
    issuer: Issuer,
    embedded_log_dir: Path,
) -> AsyncIterator[dict[str, ServiceProcess]]:
    common = {**FAST_EVENTS, "POLYSHOP_NATS_URL": nats_url}
    inventory = ServiceProcess(
        "inventory",
        {**common, "POLYSHOP_DATABASE_URL": databases["inventory"]},
        embedded_log_dir,
    )
    orders = ServiceProcess(
        "orders",
        {
            **common,
            "POLYSHOP_DATABASE_URL": databases["orders"],
            "POLYSHOP_ORDERS_PRODUCTS_URL": products_url,
            "POLYSHOP_AUTH_JWKS_URL": issuer.jwks_url,
        },
        embedded_log_dir,
    )
    try:
        yield {"inventory": inventory, "orders": orders}
    finally:
        await asyncio.gather(inventory.kill(), orders.kill())


@pytest.fixture(scope="module")
def embedded_log_dir() -> Iterator[Path]:
    with server_data_dir("saga-crash") as path:
        yield path


async def connect(url: str) -> asyncpg.Connection:
    connection: asyncpg.Connection = await asyncpg.connect(plain_url(url))
    return connection


async def consumer(js: JetStreamContext, source: str, durable: str) -> ConsumerInfo | None:
    try:
        info: ConsumerInfo = await js.consumer_info(stream_name(source), durable)
    except NotFoundError:
        return None
    return info


async def no_pull_waiting(js: JetStreamContext, source: str, durable: str) -> bool:
    """The server holds no pull request of ``durable`` (a dead client's has expired)."""
    info = await consumer(js, source, durable)
    return info is not None and not info.num_waiting


async def events_of(js: JetStreamContext, source: str, order_id: str) -> list[str]:
    found = await stream_events(js, stream_name(source))
    return [e.type for e in found if e.data.get("order_id") == order_id]


async def test_saga_survives_consumers_crashing_between_steps(
    services: dict[str, ServiceProcess],
    payments: httpx.AsyncClient,
    databases: dict[str, str],
    products_url: str,
    keys: TestKeys,
    js: JetStreamContext,
) -> None:
    inventory, orders = services["inventory"], services["orders"]
    inv_sql, ord_sql, pay_sql = [
        await connect(databases[name]) for name in ("inventory", "orders", "payments")
    ]
    try:
        async with httpx.AsyncClient(timeout=10, headers=catalog_writer(keys)) as http:
            product_id = await Catalog(http, products_url).add("25.00")
        await inv_sql.execute(
            "INSERT INTO stock (product_id, available) VALUES ($1, 10)", int(product_id)
        )

        # Both services up once, so inventory's durable consumer exists; then inventory dies.
        await asyncio.gather(inventory.start(), orders.start())
        await asyncio.gather(inventory.ready(), orders.ready())

        async def subscribed() -> bool:
            return await consumer(js, "orders", "inventory-order-events") is not None

        await eventually(subscribed, what="inventory's durable consumer")
        await inventory.kill()
        # Past the dead client's last pull request (it expires after the fetch timeout): the
        # server holds no waiting request to hand the next event to.
        await eventually(
            lambda: no_pull_waiting(js, "orders", "inventory-order-events"),
            what="the dead consumer's pull request to expire",
        )

        # 1. order.created is published while inventory is dead: it waits in the stream.
        user = str(uuid.uuid4())
        token = keys.user_token(user)
        async with httpx.AsyncClient(base_url=orders.url, timeout=10) as http:
            response = await http.post(
                "/graphql",
                json={
                    "query": PLACE,
                    "variables": {
                        "items": [{"productId": product_id, "quantity": 2}],
                        "currency": "USD",
                        "key": uuid.uuid4().hex,
                    },
                },
                headers={"Authorization": f"Bearer {token}"},
            )
        body = response.json()
        assert "errors" not in body, body
        order_id = body["data"]["placeOrder"]["id"]

        async def waiting_for_inventory() -> bool:
            info = await consumer(js, "orders", "inventory-order-events")
            return info is not None and info.num_pending == 1

        await eventually(waiting_for_inventory, what="order.created to wait for inventory")
        assert await order_status(ord_sql, order_id) == "CREATED"
        assert await stock(inv_sql, product_id) == (10, 0)

        # 2. inventory handles it and dies after its commit, before the ack.
        await inventory.start(crash_on="order.created")
        assert await inventory.exited() == CRASH_EXIT
        assert await stock(inv_sql, product_id) == (8, 2)
        assert (
            await inv_sql.fetchval(
                "SELECT count(*) FROM outbox WHERE type = 'stock.reserved' AND published_at IS NULL"
            )
            == 1
        ), "stock.reserved committed with the reservation, not yet relayed"
        info = await consumer(js, "orders", "inventory-order-events")
        assert info is not None
        assert info.num_ack_pending == 1, "delivered, never acked"
        assert await order_status(ord_sql, order_id) == "CREATED"

        # ... restarted: the redelivery is skipped by the inbox, the relay sends the answer.
        await inventory.start()
        await wait_for_status(ord_sql, order_id, "PENDING_PAYMENT")

        async def all_acked() -> bool:
            info = await consumer(js, "orders", "inventory-order-events")
            return info is not None and info.num_ack_pending == 0 and info.num_pending == 0

        await eventually(all_acked, what="the redelivered order.created to be acked")
        info = await consumer(js, "orders", "inventory-order-events")
        assert info is not None
        assert info.delivered is not None
        assert info.delivered.consumer_seq >= 2, "delivered again"
        assert await stock(inv_sql, product_id) == (8, 2), "reserved exactly once"
        assert (
            await inv_sql.fetchval(
                "SELECT count(*) FROM reservations WHERE order_id = $1", order_id
            )
            == 1
        )
        assert await events_of(js, "inventory", order_id) == ["stock.reserved"]

        # 3. Payment while orders is dead: payment.succeeded waits for it.
        async def payable() -> bool:
            status = await pay_sql.fetchval(
                "SELECT status FROM payable_orders WHERE order_id = $1", order_id
            )
            return bool(status == "AWAITING")

        await eventually(payable, what="payments to learn the order awaits payment")
        await orders.kill()
        await eventually(
            lambda: no_pull_waiting(js, "payments", "orders-payments"),
            what="the dead consumer's pull request to expire",
        )
        paid = await pay(payments, token, order_id)
        assert paid["status"] == "SUCCESS", paid

        async def waiting_for_orders() -> bool:
            info = await consumer(js, "payments", "orders-payments")
            return info is not None and info.num_pending == 1

        await eventually(waiting_for_orders, what="payment.succeeded to wait for orders")
        assert await order_status(ord_sql, order_id) == "PENDING_PAYMENT"

        # orders comes back, commits PAID and dies before the ack; then comes back again.
        await orders.start(crash_on="payment.succeeded")
        assert await orders.exited() == CRASH_EXIT
        assert await order_status(ord_sql, order_id) == "PAID"
        await orders.start()
        await orders.ready()

        async def settled() -> bool:
            info = await consumer(js, "payments", "orders-payments")
            return info is not None and info.num_ack_pending == 0 and info.num_pending == 0

        await eventually(settled, what="the redelivered payment.succeeded to be acked")
        await eventually(
            lambda: stream_has(js, "orders", order_id, "order.paid"), what="order.paid relayed"
        )
        assert await order_status(ord_sql, order_id) == "PAID"
        assert await events_of(js, "orders", order_id) == [
            "order.created",
            "order.awaiting_payment",
            "order.paid",
        ]
        assert (
            await ord_sql.fetchval(
                "SELECT count(*) FROM outbox WHERE type = 'order.paid' AND data->>'order_id' = $1",
                order_id,
            )
            == 1
        )

        # The rest of the saga carried on: stock confirmed once, the payments read model paid.
        async def confirmed() -> bool:
            rows = await inv_sql.fetch(
                "SELECT status FROM reservations WHERE order_id = $1", order_id
            )
            return [r["status"] for r in rows] == ["CONFIRMED"]

        await eventually(confirmed, what="the reservation to be confirmed")
        assert await stock(inv_sql, product_id) == (8, 0)
        await eventually(
            lambda: pay_status(pay_sql, order_id, "PAID"), what="payments to see the order paid"
        )
    finally:
        for connection in (inv_sql, ord_sql, pay_sql):
            await connection.close()


async def order_status(sql: asyncpg.Connection, order_id: str) -> str | None:
    status: str | None = await sql.fetchval(
        "SELECT status FROM orders WHERE id = $1", uuid.UUID(order_id)
    )
    return status


async def wait_for_status(sql: asyncpg.Connection, order_id: str, status: str) -> None:
    async def reached() -> bool:
        return await order_status(sql, order_id) == status

    await eventually(reached, within=20, what=f"order {order_id} to become {status}")


async def stock(sql: asyncpg.Connection, product_id: str) -> tuple[int, int]:
    row = await sql.fetchrow(
        "SELECT available, reserved FROM stock WHERE product_id = $1", int(product_id)
    )
    assert row is not None
    return row["available"], row["reserved"]


async def stream_has(js: JetStreamContext, source: str, order_id: str, event_type: str) -> bool:
    return event_type in await events_of(js, source, order_id)


async def pay_status(sql: asyncpg.Connection, order_id: str, status: str) -> bool:
    found = await sql.fetchval("SELECT status FROM payable_orders WHERE order_id = $1", order_id)
    return bool(found == status)


PAY = """
mutation($order: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $order, card: $card, idempotencyKey: $key) { id status }
}
"""


async def pay(client: httpx.AsyncClient, token: str, order_id: str) -> dict[str, Any]:
    card = {"number": "4242424242424242", "expMonth": 12, "expYear": 2031, "cvc": "123"}
    response = await client.post(
        "/graphql",
        json={
            "query": PAY,
            "variables": {"order": order_id, "card": card, "key": uuid.uuid4().hex},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    payment: dict[str, Any] = body["data"]["payOrder"]
    return payment


if __name__ == "__main__":
    launch(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
