"""Events between services: transactional outbox, JetStream relay, idempotent consumers.

Producing (in a resolver or service function, inside the request's transaction)::

    await add_event(session, new_envelope("orders", "order.created", {"order_id": ...}))

Relaying and consuming (in the app's lifespan)::

    consumers = [ConsumerSpec("reserve-stock", "orders", {"order.created": reserve_stock})]
    async with EventRuntime(service="inventory", settings=settings, engine=engine,
                            sessionmaker=sessionmaker, consumers=consumers):
        yield

A handler is ``async def handle(session, envelope)``; it runs in the transaction that also
records the event in the inbox, and an event it emits should say
``new_envelope(..., caused_by=envelope)`` to keep the correlation id.

Streams: one per producing service (``POLYSHOP_ORDERS`` over ``polyshop.orders.>``) and
``POLYSHOP_DLQ`` over ``polyshop.dlq.>``; see `subjects`. Delivery is at least once from
the outbox to the stream (deduplicated by ``Nats-Msg-Id`` inside the duplicate window) and
exactly once in effect at each consumer (inbox table).
"""

from subgraphs.kit.events.connection import EventBus
from subgraphs.kit.events.consumer import EventConsumer, Handler
from subgraphs.kit.events.envelope import Envelope, EnvelopeError, new_envelope
from subgraphs.kit.events.outbox import add_event, prune_inbox, prune_published
from subgraphs.kit.events.relay import OutboxRelay
from subgraphs.kit.events.runtime import ConsumerSpec, EventRuntime
from subgraphs.kit.events.settings import EventSettings
from subgraphs.kit.events.streams import ensure_dlq_stream, ensure_event_stream
from subgraphs.kit.events.subjects import dlq_subject, event_subject, stream_name
from subgraphs.kit.events.tables import DEFAULT_TABLES, EventTables, add_event_tables

__all__ = [
    "DEFAULT_TABLES",
    "ConsumerSpec",
    "Envelope",
    "EnvelopeError",
    "EventBus",
    "EventConsumer",
    "EventRuntime",
    "EventSettings",
    "EventTables",
    "Handler",
    "OutboxRelay",
    "add_event",
    "add_event_tables",
    "dlq_subject",
    "ensure_dlq_stream",
    "ensure_event_stream",
    "event_subject",
    "new_envelope",
    "prune_inbox",
    "prune_published",
    "stream_name",
]
