"""Durable pull consumers that apply each event once.

For every message: decode the envelope, open a transaction, record the event id in the inbox
(a duplicate is acked and skipped), run the handler, commit, then ack. A failing handler
rolls back and the message is nak'ed with a growing delay; at the
``events_consumer_max_deliveries``-th failed delivery it is published to
``polyshop.dlq.<service>.<event>`` with the error and terminated. A failure because the
database is unreachable (a restart, see `subgraphs.kit.errors.database_unavailable`) says nothing
about the message: it is retried, with the same capped backoff, for as long as the outage lasts
and never dead-lettered for it. A message that is not an envelope, or whose data breaks its
type's contract (`ContractError`, see `contracts`), goes to the dead letters at once: no
redelivery would make it valid. Messages are handled one at a time in stream order; strict
order across replicas needs ``events_consumer_max_ack_pending = 1``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode, Tracer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.errors import database_unavailable
from subgraphs.kit.events.backoff import Backoff, exponential_delay
from subgraphs.kit.events.connection import EventBus
from subgraphs.kit.events.dead_letter import publish_dead_letter
from subgraphs.kit.events.envelope import ContractError, Envelope, EnvelopeError
from subgraphs.kit.events.inbox import claim
from subgraphs.kit.events.settings import EventSettings
from subgraphs.kit.events.streams import ensure_dlq_stream, ensure_event_stream
from subgraphs.kit.events.subjects import check_service, event_subject, stream_name
from subgraphs.kit.events.tables import DEFAULT_TABLES, EventTables
from subgraphs.kit.events.tracing import consume_span
from subgraphs.kit.events.worker import Stopped, Worker
from subgraphs.kit.logging import get_logger

log = get_logger("polyshop.events.consumer")

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


class EventConsumer(Worker):
    """One durable consumer ``<service>-<name>`` of ``source``'s events (module docstring).

    ``handlers`` maps an event type of ``source`` (``"order.created"``) to its handler; the
    consumer receives those subjects only.
    """

    def __init__(
        self,
        *,
        service: str,
        name: str,
        source: str,
        handlers: Mapping[str, Handler],
        sessionmaker: async_sessionmaker[AsyncSession],
        bus: EventBus,
        settings: EventSettings,
        tables: EventTables = DEFAULT_TABLES,
        tracer: Tracer | None = None,
    ) -> None:
        super().__init__()
        self.tracer = tracer
        if not handlers:
            raise ValueError("a consumer needs at least one handler")
        self.durable = f"{check_service(service)}-{check_service(name)}"
        self.name = f"consumer:{self.durable}"
        self.source = check_service(source)
        self.handlers = dict(handlers)
        self.subjects = sorted(event_subject(source, t) for t in self.handlers)
        self.sessionmaker = sessionmaker
        self.bus = bus
        self.settings = settings
        self.tables = tables
        self.ready = asyncio.Event()
        self.handled = 0
        self.skipped = 0
        self.failures = 0
        self.dead_lettered = 0
        self.invalid_payloads = 0
        """Events dead-lettered for breaking their contract (also in ``dead_lettered``)."""

    def consumer_config(self) -> ConsumerConfig:
        many = len(self.subjects) > 1
        return ConsumerConfig(
            name=self.durable,
            durable_name=self.durable,
            description=f"{self.durable}: {', '.join(self.subjects)}",
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.settings.events_consumer_ack_wait,
            # Unlimited: we dead-letter after our own count, the server must not drop first.
            max_deliver=-1,
            max_ack_pending=self.settings.events_consumer_max_ack_pending,
            filter_subject=None if many else self.subjects[0],
            filter_subjects=self.subjects if many else None,
        )

    async def run(self) -> None:
        backoff = Backoff(
            initial=self.settings.events_retry_backoff_initial,
            maximum=self.settings.events_retry_backoff_max,
        )
        while True:
            try:
                js = await self.until_stopped(self.bus.jetstream())
                subscription = await self._subscribe(js)
            except Stopped:
                raise
            except Exception as exc:
                delay = backoff.next_delay()
                log.warning("consumer setup failed", consumer=self.durable, error=repr(exc))
                await self.sleep(delay)
                continue
            self.ready.set()
            try:
                await self._consume(js, subscription, backoff)
            finally:
                self.ready.clear()
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    async def _subscribe(self, js: JetStreamContext) -> JetStreamContext.PullSubscription:
        await ensure_event_stream(js, self.source, self.settings)
        await ensure_dlq_stream(js, self.settings)
        stream = stream_name(self.source)
        await js.add_consumer(stream, self.consumer_config())
        return await js.pull_subscribe_bind(durable=self.durable, stream=stream)

    async def _consume(
        self,
        js: JetStreamContext,
        subscription: JetStreamContext.PullSubscription,
        backoff: Backoff,
    ) -> None:
        """Fetch and handle until stopped; returns on a fetch error so `run` subscribes anew
        (the consumer or its stream may have been deleted)."""
        while True:
            try:
                messages = await self.until_stopped(
                    subscription.fetch(
                        self.settings.events_consumer_fetch_batch,
                        timeout=self.settings.events_consumer_fetch_timeout,
                    )
                )
            except Stopped:
                raise
            except TimeoutError:
                continue  # nothing to do (nats' timeout errors are TimeoutErrors)
            except Exception as exc:
                delay = backoff.next_delay()
                log.warning("fetch failed", consumer=self.durable, error=repr(exc))
                await self.sleep(delay)
                return
            backoff.reset()
            for index, msg in enumerate(messages):
                if self.stopping:
                    await self._release(messages[index:])
                    raise Stopped
                try:
                    await self.process(js, msg)
                except Exception as exc:
                    # Typically the ack could not be sent: the message comes back and the
                    # inbox skips it.
                    log.warning("message processing failed", consumer=self.durable, error=repr(exc))

    async def _release(self, messages: list[Msg]) -> None:
        """Hand back fetched messages we will not handle, so another replica gets them now."""
        for msg in messages:
            with contextlib.suppress(Exception):
                await msg.nak()

    async def process(self, js: JetStreamContext, msg: Msg) -> None:
        """Handle one message to its end: ack, nak with delay, or dead-letter and term; in
        the trace of the request that produced it (see `tracing`)."""
        with consume_span(self.tracer, msg.subject, msg.headers, self.durable):
            await self._process(js, msg)

    async def _process(self, js: JetStreamContext, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered
        try:
            envelope = Envelope.from_json(msg.data)
            if envelope.subject != msg.subject:
                raise EnvelopeError(f"envelope of {envelope.subject} sent on {msg.subject}")
        except EnvelopeError as exc:
            log.error("malformed event", consumer=self.durable, subject=msg.subject, error=str(exc))
            await self._give_up(js, msg, exc, deliveries)
            return
        handler = self.handlers.get(envelope.type)
        if handler is None:  # the filter excludes it unless the consumer was changed by hand
            log.warning("no handler; acked", consumer=self.durable, event_type=envelope.type)
            await msg.ack()
            return
        with structlog.contextvars.bound_contextvars(
            correlation_id=envelope.correlation_id,
            event_id=str(envelope.id),
            event_type=envelope.type,
            consumer=self.durable,
        ):
            try:
                fresh = await self._with_heartbeat(msg, self._apply(handler, envelope))
            except Exception as exc:
                self.failures += 1
                span = trace.get_current_span()
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, repr(exc)))
                if isinstance(exc, ContractError):
                    self.invalid_payloads += 1
                    log.error("event breaks its contract", error=str(exc))
                    await self._give_up(js, msg, exc, deliveries)
                else:
                    await self._failed(js, msg, exc, deliveries)
                return
            await msg.ack()
            if fresh:
                self.handled += 1
            else:
                self.skipped += 1
                log.info("duplicate event skipped")

    async def _apply(self, handler: Handler, envelope: Envelope) -> bool:
        async with self.sessionmaker() as session, session.begin():
            if not await claim(session, self.durable, envelope, tables=self.tables):
                return False
            await handler(session, envelope)
        return True

    async def _with_heartbeat(self, msg: Msg, work: Awaitable[bool]) -> bool:
        """Run ``work`` while telling JetStream we are still on it (no redelivery meanwhile)."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.settings.events_consumer_ack_wait / 2)
                with contextlib.suppress(Exception):
                    await msg.in_progress()

        heartbeat = asyncio.create_task(beat())
        try:
            return await work
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _failed(
        self, js: JetStreamContext, msg: Msg, error: Exception, deliveries: int
    ) -> None:
        outage = database_unavailable(error)
        if deliveries >= self.settings.events_consumer_max_deliveries and not outage:
            await self._give_up(js, msg, error, deliveries)
            return
        delay = exponential_delay(
            deliveries,
            initial=self.settings.events_consumer_backoff_initial,
            maximum=self.settings.events_consumer_backoff_max,
        )
        log.warning(
            "database unavailable; will retry" if outage else "handler failed; will retry",
            error=repr(error),
            delivery=deliveries,
            retry_in=delay,
        )
        await msg.nak(delay=delay)

    async def _give_up(
        self, js: JetStreamContext, msg: Msg, error: Exception, deliveries: int
    ) -> None:
        try:
            subject = await publish_dead_letter(
                js,
                msg,
                consumer=self.durable,
                error=error,
                deliveries=deliveries,
                publish_timeout=self.settings.events_publish_timeout,
            )
        except Exception as exc:
            # Keep the message: it comes back and we try the dead-letter queue again.
            log.error("dead-letter publish failed", error=repr(exc), subject=msg.subject)
            await msg.nak(delay=self.settings.events_consumer_backoff_initial)
            return
        await msg.term()
        self.dead_lettered += 1
        log.error(
            "event dead-lettered",
            subject=msg.subject,
            dead_letter_subject=subject,
            error=repr(error),
            deliveries=deliveries,
        )
