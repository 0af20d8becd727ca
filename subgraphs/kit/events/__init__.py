"""Events between services: transactional outbox, JetStream relay, idempotent consumers.

Producing (in a resolver or service function, inside the request's transaction), with the
event's typed payload (`contracts`)::

    await add_event(session, new_event("orders", OrderCreated(order_id=..., ...)))

Relaying and consuming (in the app's lifespan)::

    consumers = [ConsumerSpec("reserve-stock", "orders", handlers(on(OrderCreated, reserve)))]
    async with EventRuntime(service="inventory", settings=settings, engine=engine,
                            sessionmaker=sessionmaker, consumers=consumers):
        yield

``on(OrderCreated, reserve)`` parses the data into the contract (dead-lettering what does not
match) and calls ``async def reserve(session, envelope, payload)``; it runs in the
transaction that also records the event in the inbox, and an event it emits should say
``new_event(..., caused_by=envelope)`` to keep the correlation id.

Streams: one per producing service (``POLYSHOP_ORDERS`` over ``polyshop.orders.>``) and
``POLYSHOP_DLQ`` over ``polyshop.dlq.>``; see `subjects`. Delivery is at least once from
the outbox to the stream (deduplicated by ``Nats-Msg-Id`` inside the duplicate window) and
exactly once in effect at each consumer (inbox table).
"""

from subgraphs.kit.events.connection import EventBus
from subgraphs.kit.events.consumer import EventConsumer, Handler
from subgraphs.kit.events.contracts import CONTRACTS, EventPayload, handlers, new_event, on
from subgraphs.kit.events.envelope import ContractError, Envelope, EnvelopeError, new_envelope
from subgraphs.kit.events.outbox import add_event, prune_inbox, prune_published
from subgraphs.kit.events.relay import OutboxRelay
from subgraphs.kit.events.runtime import ConsumerSpec, EventRuntime
from subgraphs.kit.events.settings import EventSettings
from subgraphs.kit.events.streams import ensure_dlq_stream, ensure_event_stream
from subgraphs.kit.events.subjects import dlq_subject, event_subject, stream_name
from subgraphs.kit.events.tables import DEFAULT_TABLES, EventTables, add_event_tables

__all__ = [
    "CONTRACTS",
    "DEFAULT_TABLES",
    "ConsumerSpec",
    "ContractError",
    "Envelope",
    "EnvelopeError",
    "EventBus",
    "EventConsumer",
    "EventPayload",
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
    "handlers",
    "new_envelope",
    "new_event",
    "on",
    "prune_inbox",
    "prune_published",
    "stream_name",
]
