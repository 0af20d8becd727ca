"""The outbox relay: publishes committed events to JetStream, in order, at least once.

One batch is one database transaction: lock the oldest unpublished rows (``FOR UPDATE SKIP
LOCKED``), publish them one by one with ``Nats-Msg-Id = event id``, mark those JetStream
acknowledged, commit. A crash before the commit leaves the rows unpublished, so they are sent
again; JetStream drops the copy inside its duplicate window and consumers' inboxes drop it
after. Several replicas may run: a replica only publishes a batch that starts at the oldest
unpublished row, so while one holds the head of the queue the others wait, which keeps the
outbox order on the stream (a replica takes over within a poll interval when one dies).
The order is that of ``seq``, taken at insert: an event committed before another event's
transaction began is always published first (one writer, one aggregate under its row lock);
events of transactions that ran side by side may interleave either way.

The relay wakes on ``NOTIFY polyshop_outbox`` (sent by `add_event` on commit) and also
polls every ``events_relay_poll_interval`` seconds. When NATS is down it retries with
exponential backoff; events accumulate in the outbox meanwhile. On a graceful stop the relay
publishes what is waiting at that moment (when NATS is connected) before it returns.

Each message carries the trace context of the request that wrote the event as NATS headers
(``traceparent``), under a PRODUCER span when the relay has a tracer (see `tracing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import NoStreamResponseError
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import Tracer
from sqlalchemy import RowMapping, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from subgraphs.kit.events.backoff import Backoff
from subgraphs.kit.events.connection import EventBus
from subgraphs.kit.events.listener import NotifyListener, libpq_dsn
from subgraphs.kit.events.outbox import NOTIFY_CHANNEL, envelope_from_row
from subgraphs.kit.events.settings import EventSettings
from subgraphs.kit.events.streams import ensure_event_stream
from subgraphs.kit.events.tables import DEFAULT_TABLES, EventTables
from subgraphs.kit.events.tracing import publish_span, split_trace
from subgraphs.kit.events.worker import Stopped, Worker
from subgraphs.kit.logging import get_logger

log = get_logger("polyshop.events.relay")

MSG_ID_HEADER = "Nats-Msg-Id"


class RelayPublishError(Exception):
    """Publishing stopped at an event; the rows before it were marked, it will be retried."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    claimed: int
    published: int
    busy: bool = False  # another replica holds the head of the outbox


class OutboxRelay(Worker):
    """Background publisher of one database's outbox (see the module docstring)."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        bus: EventBus,
        settings: EventSettings,
        tables: EventTables = DEFAULT_TABLES,
        listen: bool = True,
        name: str = "outbox-relay",
        tracer: Tracer | None = None,
    ) -> None:
        super().__init__()
        self.tracer = tracer
        self.name = name
        self.engine = engine
        self.bus = bus
        self.settings = settings
        self.tables = tables
        self.wake = asyncio.Event()
        self.listener = (
            NotifyListener(libpq_dsn(engine.url), NOTIFY_CHANNEL, self.wake) if listen else None
        )
        self.published = 0
        self.duplicates = 0
        self.batches = 0
        """Rounds of `publish_batch` that completed (an empty outbox counts)."""
        self.failed_batches = 0
        """Rounds that failed (NATS unreachable, a publish refused) and will be retried."""
        self._streams_ready: set[str] = set()

    async def run(self) -> None:
        if self.listener is not None:
            self.listener.start()
        try:
            # Polling the outbox is not worth a trace per poll: only publish spans are made.
            with suppress_instrumentation():
                await self._loop()
        finally:
            if self.listener is not None:
                await self.listener.stop(grace=5)
            if self.stopping:
                with suppress_instrumentation():
                    await self._flush()

    async def _flush(self) -> None:
        """On a graceful stop: publish what is waiting now, if NATS is connected (never wait
        for it); whatever remains stays in the outbox for the next relay. `stop`'s grace
        bounds this."""
        if not self.bus.connected:
            return
        try:
            js = await self.bus.jetstream()
            while True:
                result = await self.publish_batch(js)
                if result.busy or result.published < self.settings.events_relay_batch_size:
                    break
        except Exception as exc:
            log.warning("final outbox flush failed; events stay queued", error=repr(exc))

    async def _loop(self) -> None:
        backoff = Backoff(
            initial=self.settings.events_retry_backoff_initial,
            maximum=self.settings.events_retry_backoff_max,
        )
        while not self.stopping:
            self.wake.clear()
            try:
                js = await self.until_stopped(self.bus.jetstream())
                result = await self.publish_batch(js)
            except Stopped:
                raise
            except Exception as exc:
                self.failed_batches += 1
                delay = backoff.next_delay()
                log.warning(
                    "relay batch failed",
                    error=repr(exc),
                    cause=repr(exc.__cause__) if exc.__cause__ else None,
                    retry_in=round(delay, 3),
                )
                await self.sleep(delay)
                continue
            backoff.reset()
            self.batches += 1
            if result.published == self.settings.events_relay_batch_size and not result.busy:
                continue  # more may be waiting
            await self._idle()

    async def _idle(self) -> None:
        if self.stopping:
            raise Stopped
        with contextlib.suppress(TimeoutError):
            await self.until_stopped(
                asyncio.wait_for(self.wake.wait(), self.settings.events_relay_poll_interval)
            )

    async def publish_batch(self, js: JetStreamContext) -> BatchResult:
        """Publish the next batch in one transaction; raises `RelayPublishError` part-way."""
        outbox = self.tables.outbox
        async with self.engine.begin() as conn:
            rows = (
                (
                    await conn.execute(
                        select(outbox)
                        .where(outbox.c.published_at.is_(None))
                        .order_by(outbox.c.seq)
                        .limit(self.settings.events_relay_batch_size)
                        .with_for_update(skip_locked=True)
                    )
                )
                .mappings()
                .all()
            )
            if not rows:
                return BatchResult(claimed=0, published=0)
            head = await conn.scalar(
                select(func.min(outbox.c.seq)).where(outbox.c.published_at.is_(None))
            )
            if head != rows[0]["seq"]:
                return BatchResult(claimed=len(rows), published=0, busy=True)
            sent, failure = await self._publish_rows(js, rows)
            if sent:
                await self._mark_published(conn, sent)
            if failure is not None:
                await self._record_failure(conn, rows[len(sent)]["id"], failure)
        if failure is not None:
            raise RelayPublishError(f"publishing stopped after {len(sent)} events") from failure
        return BatchResult(claimed=len(rows), published=len(sent))

    async def _publish_rows(
        self, js: JetStreamContext, rows: Sequence[RowMapping]
    ) -> tuple[list[uuid.UUID], Exception | None]:
        sent: list[uuid.UUID] = []
        for row in rows:
            envelope = envelope_from_row(row)
            stored = split_trace(row["data"])[1]
            try:
                await self._ensure_stream(js, envelope.source)
                with publish_span(self.tracer, row["subject"], str(envelope.id), stored) as trace:
                    ack = await js.publish(
                        row["subject"],
                        envelope.to_json(),
                        timeout=self.settings.events_publish_timeout,
                        headers={**trace, MSG_ID_HEADER: str(envelope.id)},
                    )
            except Exception as exc:
                if isinstance(exc, NoStreamResponseError):
                    self._streams_ready.discard(envelope.source)
                return sent, exc
            if ack.duplicate:
                self.duplicates += 1
            else:
                self.published += 1
            sent.append(envelope.id)
        return sent, None

    async def _ensure_stream(self, js: JetStreamContext, source: str) -> None:
        if source not in self._streams_ready:
            await ensure_event_stream(js, source, self.settings)
            self._streams_ready.add(source)

    async def _mark_published(self, conn: AsyncConnection, ids: list[uuid.UUID]) -> None:
        outbox = self.tables.outbox
        await conn.execute(
            update(outbox).where(outbox.c.id.in_(ids)).values(published_at=func.now())
        )

    async def _record_failure(
        self, conn: AsyncConnection, event_id: uuid.UUID, error: Exception
    ) -> None:
        outbox = self.tables.outbox
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == event_id)
            .values(attempts=outbox.c.attempts + 1, last_error=repr(error)[:2000])
        )
