"""The saga step end to end: the inventory app runs with a real NATS, events are published
to ``polyshop.orders.*``/``polyshop.payments.*`` with the kit, and the answers
(``stock.reserved``/``stock.rejected``) are read back from the inventory stream.

Product ids 9100001.. and fresh order ids keep this module apart from other tests that
share the session's NATS server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from subgraphs.inventory.app import create_app
from subgraphs.inventory.settings import InventorySettings
from subgraphs.kit.events import (
    Envelope,
    EventBus,
    ensure_event_stream,
    new_envelope,
    stream_name,
)
from subgraphs.kit.events.runtime import EventRuntime
from tests.support.eventually import eventually

A, B = 9_100_001, 9_100_002


@pytest.fixture(scope="module")
async def events_app(
    inventory_settings: InventorySettings, nats_url: str
) -> AsyncIterator[FastAPI]:
    settings = inventory_settings.model_copy(
        update={
            "nats_url": nats_url,
            "events_relay_poll_interval": 0.2,
            "events_retry_backoff_initial": 0.05,
            "events_retry_backoff_max": 0.5,
            "events_consumer_backoff_initial": 0.2,
            "events_consumer_backoff_max": 1.0,
            "events_consumer_ack_wait": 5.0,
            "events_consumer_fetch_timeout": 0.5,
        }
    )
    app = create_app(settings, verify_tokens=False, events=True)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def bus(inventory_settings: InventorySettings, nats_url: str) -> AsyncIterator[EventBus]:
    bus = EventBus(inventory_settings.model_copy(update={"nats_url": nats_url}), name="test")
    try:
        yield bus
    finally:
        await bus.close()


@pytest.fixture(scope="module")
async def js(bus: EventBus) -> JetStreamContext:
    return await bus.jetstream()


@pytest.fixture(scope="module")
def publish(js: JetStreamContext, inventory_settings: InventorySettings) -> Callable[..., Any]:
    """Publish an envelope as its producer's relay would (``Nats-Msg-Id`` = event id)."""

    async def send(envelope: Envelope, *, msg_id: str | None = None) -> None:
        await ensure_event_stream(js, envelope.source, inventory_settings)
        await js.publish(
            envelope.subject,
            envelope.to_json(),
            headers={"Nats-Msg-Id": msg_id or str(envelope.id)},
        )

    return send


async def inventory_events(js: JetStreamContext, order_id: str) -> list[Envelope]:
    """Every event of the inventory stream about ``order_id``, in stream order."""
    try:
        info = await js.stream_info(stream_name("inventory"))
    except NotFoundError:
        return []
    if info.state.messages == 0:
        return []
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        envelope = Envelope.from_json((await js.get_msg(stream_name("inventory"), seq)).data)
        if envelope.data.get("order_id") == order_id:
            found.append(envelope)
    return found


async def stock(sql: asyncpg.Connection, pid: int) -> tuple[int, int]:
    row = await sql.fetchrow("SELECT available, reserved FROM stock WHERE product_id = $1", pid)
    assert row is not None
    return row["available"], row["reserved"]


def runtime(app: FastAPI) -> EventRuntime:
    events: EventRuntime = app.state.events
    return events


def order_created(
    order_id: str, *items: tuple[int, int], correlation_id: str | None = None
) -> Envelope:
    return new_envelope(
        "orders",
        "order.created",
        {
            "order_id": order_id,
            "user_id": str(uuid.uuid4()),
            "currency": "USD",
            "total_amount": "10.00",
            "items": [
                {"product_id": str(pid), "quantity": qty, "unit_price": "5.00"}
                for pid, qty in items
            ],
        },
        correlation_id=correlation_id,
    )


@pytest.fixture(scope="module", autouse=True)
async def stocked(sql: asyncpg.Connection) -> None:
    await sql.executemany(
        "INSERT INTO stock (product_id, available) VALUES ($1, $2)", [(A, 5), (B, 2)]
    )


async def wait_for_answer(js: JetStreamContext, order_id: str) -> Envelope:
    async def answered() -> bool:
        return bool(await inventory_events(js, order_id))

    await eventually(answered, what=f"the answer to {order_id}")
    (answer,) = await inventory_events(js, order_id)
    return answer


async def test_order_created_is_answered_with_stock_reserved_once(
    events_app: FastAPI, js: JetStreamContext, publish: Any, sql: asyncpg.Connection
) -> None:
    order_id = str(uuid.uuid4())
    event = order_created(order_id, (A, 2), (B, 1), correlation_id=f"corr-{order_id}")
    await publish(event)
    answer = await wait_for_answer(js, order_id)
    assert answer.type == "stock.reserved"
    assert answer.source == "inventory"
    assert answer.correlation_id == f"corr-{order_id}"
    assert answer.data == {
        "order_id": order_id,
        "items": [{"product_id": str(A), "quantity": 2}, {"product_id": str(B), "quantity": 1}],
    }
    assert await stock(sql, A) == (3, 2)
    assert await stock(sql, B) == (1, 1)

    # The same event delivered again (a producer retry past the duplicate window): the inbox
    # skips it, so nothing moves and no second answer is published.
    order_consumer = runtime(events_app).consumers[0]
    skipped = order_consumer.skipped

    async def was_skipped() -> bool:
        return order_consumer.skipped > skipped

    await publish(event, msg_id=f"retry-{event.id}")
    await eventually(was_skipped, what="the duplicate to be skipped")
    assert await stock(sql, A) == (3, 2)
    assert len(await inventory_events(js, order_id)) == 1

    # Payment settles it: the reserved units leave the warehouse.
    await publish(
        new_envelope(
            "payments",
            "payment.succeeded",
            {"order_id": order_id, "payment_id": "p-1", "amount": "15.00", "currency": "USD"},
        )
    )

    async def confirmed() -> bool:
        return await stock(sql, A) == (3, 0) and await stock(sql, B) == (1, 0)

    await eventually(confirmed, what="the confirmation")
    statuses = await sql.fetch("SELECT status FROM reservations WHERE order_id = $1", order_id)
    assert {r["status"] for r in statuses} == {"CONFIRMED"}


async def test_short_stock_is_answered_with_stock_rejected(
    events_app: FastAPI, js: JetStreamContext, publish: Any, sql: asyncpg.Connection
) -> None:
    before = (await stock(sql, A), await stock(sql, B))
    order_id = str(uuid.uuid4())
    await publish(order_created(order_id, (A, 1), (B, 50)))
    answer = await wait_for_answer(js, order_id)
    assert answer.type == "stock.rejected"
    assert answer.data == {"order_id": order_id, "reason": "OUT_OF_STOCK", "product_ids": [str(B)]}
    assert (await stock(sql, A), await stock(sql, B)) == before
    assert (
        await sql.fetchval("SELECT count(*) FROM reservations WHERE order_id = $1", order_id) == 0
    )


@pytest.mark.parametrize(
    ("source", "event_type"), [("orders", "order.cancelled"), ("payments", "payment.failed")]
)
async def test_cancellation_and_failed_payment_release_the_units(
    events_app: FastAPI,
    js: JetStreamContext,
    publish: Any,
    sql: asyncpg.Connection,
    source: str,
    event_type: str,
) -> None:
    before = await stock(sql, A)
    order_id = str(uuid.uuid4())
    await publish(order_created(order_id, (A, 1)))
    assert (await wait_for_answer(js, order_id)).type == "stock.reserved"
    assert await stock(sql, A) == (before[0] - 1, before[1] + 1)

    data = {"order_id": order_id, "reason": "test", "payment_id": str(uuid.uuid4())}
    await publish(new_envelope(source, event_type, data))

    async def released() -> bool:
        status = await sql.fetchval("SELECT status FROM reservations WHERE order_id = $1", order_id)
        return bool(status == "RELEASED")

    await eventually(released, what="the release")
    assert await stock(sql, A) == before
