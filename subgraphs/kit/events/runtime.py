"""Everything a service process runs for events, started and stopped as one unit.

The app factory's lifespan wraps its ``yield`` in ``async with EventRuntime(...)``: the relay
publishes this service's outbox, each `ConsumerSpec` becomes a durable consumer. On exit the
consumers finish their message in hand first, then the relay its batch, then NATS is closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from opentelemetry.trace import Tracer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from subgraphs.kit.events.connection import EventBus
from subgraphs.kit.events.consumer import EventConsumer, Handler
from subgraphs.kit.events.relay import OutboxRelay
from subgraphs.kit.events.settings import EventSettings
from subgraphs.kit.events.tables import DEFAULT_TABLES, EventTables


@dataclass(frozen=True, slots=True)
class ConsumerSpec:
    """What a service consumes: ``handlers`` by event type of ``source``, under ``name``."""

    name: str
    source: str
    handlers: Mapping[str, Handler] = field(default_factory=dict)


class EventRuntime:
    """Relay plus consumers of one service process (see the module docstring)."""

    def __init__(
        self,
        *,
        service: str,
        settings: EventSettings,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        consumers: Sequence[ConsumerSpec] = (),
        relay: bool = True,
        tables: EventTables = DEFAULT_TABLES,
        stop_grace: float = 30.0,
        tracer: Tracer | None = None,
    ) -> None:
        self.bus = EventBus(settings, name=service)
        self.stop_grace = stop_grace
        self.relay = (
            OutboxRelay(
                engine=engine,
                bus=self.bus,
                settings=settings,
                tables=tables,
                name=f"{service}-outbox-relay",
                tracer=tracer,
            )
            if relay
            else None
        )
        self.consumers = [
            EventConsumer(
                service=service,
                name=spec.name,
                source=spec.source,
                handlers=spec.handlers,
                sessionmaker=sessionmaker,
                bus=self.bus,
                settings=settings,
                tables=tables,
                tracer=tracer,
            )
            for spec in consumers
        ]

    async def start(self) -> None:
        """Start in the background; never waits for NATS (it may be down at boot)."""
        if self.relay is not None:
            self.relay.start()
        for consumer in self.consumers:
            consumer.start()

    async def stop(self) -> None:
        for consumer in self.consumers:
            await consumer.stop(grace=self.stop_grace)
        if self.relay is not None:
            await self.relay.stop(grace=self.stop_grace)
        await self.bus.close()

    async def __aenter__(self) -> EventRuntime:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
