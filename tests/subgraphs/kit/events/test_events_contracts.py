"""Event contracts on the wire: a consumer registered with ``on(Contract, handle)`` gets the
payload typed; one whose data breaks the contract is dead-lettered at once (no retries) and
counted, and the next event is handled as usual. Real NATS and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import orjson
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.events import (
    CONTRACTS,
    Envelope,
    EventBus,
    EventConsumer,
    EventSettings,
    dlq_subject,
    ensure_event_stream,
    handlers,
    new_envelope,
    new_event,
    on,
)
from subgraphs.kit.events.contracts import OrderCancelled, OrderCreated, OrderedItem
from subgraphs.kit.events.subjects import DLQ_STREAM
from tests.support.eventually import eventually


def test_every_event_type_has_one_contract() -> None:
    assert sorted(CONTRACTS) == [
        "order.awaiting_payment",
        "order.cancelled",
        "order.created",
        "order.fulfilled",
        "order.paid",
        "order.rejected",
        "payment.failed",
        "payment.succeeded",
        "product.created",
        "product.deleted",
        "product.restored",
        "product.updated",
        "stock.changed",
        "stock.rejected",
        "stock.reserved",
    ]
    assert all(CONTRACTS[name].event_type == name for name in CONTRACTS)


def test_a_payload_survives_the_wire_exactly() -> None:
    created = OrderCreated(
        order_id="o-1",
        user_id="u-1",
        currency="EUR",
        total_amount=Decimal("12.50"),
        items=[OrderedItem(product_id="7", quantity=2, unit_price=Decimal("6.25"))],
    )
    envelope = Envelope.from_json(new_event("orders", created).to_json())
    assert envelope.type == "order.created"
    assert envelope.data["total_amount"] == "12.50"
    assert envelope.data["items"] == [{"product_id": "7", "quantity": 2, "unit_price": "6.25"}]
    assert OrderCreated.parse(envelope) == created


async def test_a_payload_that_breaks_its_contract_is_dead_lettered_at_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus,
    settings: EventSettings,
    service: str,
    js: JetStreamContext,
) -> None:
    handled: list[OrderCancelled] = []

    async def cancelled(session: AsyncSession, envelope: Envelope, event: OrderCancelled) -> None:
        handled.append(event)

    await ensure_event_stream(js, service, settings)
    broken = new_envelope(service, "order.cancelled", {"reason": "no order id"})
    good = new_event(service, OrderCancelled(order_id="o-2", reason="changed my mind"))
    for envelope in (broken, good):
        await js.publish(envelope.subject, envelope.to_json())
    consumer = EventConsumer(
        service="sink",
        name="contracts",
        source=service,
        handlers=handlers(on(OrderCancelled, cancelled)),
        sessionmaker=sessionmaker,
        bus=bus,
        settings=settings,
    )
    consumer.start()
    try:
        await eventually(lambda: consumer.handled == 1, what="the valid event handled")
    finally:
        await consumer.stop()
    assert (consumer.dead_lettered, consumer.invalid_payloads, consumer.failures) == (1, 1, 1)
    assert handled == [OrderCancelled(order_id="o-2", reason="changed my mind")]
    letter = await js.get_msg(DLQ_STREAM, subject=dlq_subject(service, "order.cancelled"))
    body = orjson.loads(letter.data)
    assert body["deliveries"] == 1  # not retried: no redelivery makes it valid
    assert body["error"]["type"] == "ContractError"
    assert "order_id" in body["error"]["message"]
    assert body["envelope"]["id"] == str(broken.id)
