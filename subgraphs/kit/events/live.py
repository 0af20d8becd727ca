"""Live events for GraphQL subscriptions: one NATS subscription per process, fanned out.

The durable consumers (`consumer`) give each event to one replica, exactly once in effect,
which is what a saga step needs; a subscription needs the opposite: every replica serving a
subscriber must see every event. So `LiveEvents` holds ONE core-NATS subscription on the
service's live subjects (``polyshop.orders.>``...) per process, lazily opened with the first
subscriber, and hands each decoded `Envelope` to the in-process subscribers whose keys it
carries (``order:<id>``, ``product:<id>``: `keys_of` decides). Nothing polls: a subscriber
waits on its own queue.

Each subscriber's queue is bounded (``queue_size``): a subscriber that does not keep up is
not buffered without bound; its subscription ends with `SubscriberOverflow`, which the
resolver turns into a GraphQL error, and the client may subscribe again (getting the current
state first, see below).

Core NATS is at-most-once: an event published while this process's connection is down is not
replayed. That is why a subscription resolver yields the current state read from the database
*after* subscribing and before the first event (``await live.subscribe(...)`` first, then the
read): an event that happens between the client's query and its subscription, or during a
reconnect before the read, is never lost; a subscriber may see a state twice, which the
resolvers drop by comparing with the last state they sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from subgraphs.kit.events.connection import EventBus
from subgraphs.kit.events.envelope import Envelope, EnvelopeError
from subgraphs.kit.logging import get_logger

if TYPE_CHECKING:
    from strawberry import Info

    from subgraphs.kit.context import ServiceContext

log = get_logger("polyshop.events.live")

KeysOf = Callable[[Envelope], Iterable[str]]


@dataclass(frozen=True, slots=True)
class LiveSpec:
    """What a service streams to subscriptions: ``subjects`` (NATS wildcards allowed) and
    the subscriber keys each event concerns."""

    subjects: tuple[str, ...]
    keys_of: KeysOf


DEFAULT_QUEUE_SIZE = 256


class SubscriberOverflow(Exception):
    """The subscriber fell more than its queue's size behind; its subscription ends."""


class LiveSubscriber:
    """One subscriber's bounded queue of events; iterate it with ``async for``."""

    def __init__(self, hub: LiveEvents, keys: frozenset[str], queue_size: int) -> None:
        self.hub = hub
        self.keys = keys
        self._queue: asyncio.Queue[Envelope | None] = asyncio.Queue(maxsize=queue_size)
        self.overflowed = False

    def offer(self, envelope: Envelope) -> None:
        if self.overflowed:
            return
        try:
            self._queue.put_nowait(envelope)
        except asyncio.QueueFull:
            self.overflowed = True
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(None)  # wakes the reader, who raises SubscriberOverflow
            log.warning("live subscriber too slow; dropped", keys=sorted(self.keys))

    def __aiter__(self) -> AsyncIterator[Envelope]:
        return self

    async def __anext__(self) -> Envelope:
        item = await self._queue.get()
        if item is None or self.overflowed:
            raise SubscriberOverflow("The subscriber fell too far behind the events")
        return item

    async def __aenter__(self) -> LiveSubscriber:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.hub.unsubscribe(self)


class LiveEvents:
    """The process's fan-out of ``subjects`` (see the module docstring)."""

    def __init__(
        self,
        bus: EventBus,
        subjects: Sequence[str],
        keys_of: KeysOf,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        self.bus = bus
        self.subjects = tuple(subjects)
        self.keys_of = keys_of
        self.queue_size = queue_size
        self._by_key: dict[str, set[LiveSubscriber]] = {}
        self._subscriptions: list[Subscription] = []
        self._lock = asyncio.Lock()
        self.delivered = 0
        """Events handed to subscribers, for tests and metrics."""

    @property
    def subscriber_count(self) -> int:
        return len({s for subscribers in self._by_key.values() for s in subscribers})

    async def subscribe(self, keys: Iterable[str]) -> LiveSubscriber:
        """A subscriber for events carrying any of ``keys``; it receives every such event
        published after this returns. Use it as ``async with`` to unsubscribe."""
        await self._open()
        subscriber = LiveSubscriber(self, frozenset(keys), self.queue_size)
        for key in subscriber.keys:
            self._by_key.setdefault(key, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: LiveSubscriber) -> None:
        for key in subscriber.keys:
            subscribers = self._by_key.get(key)
            if subscribers is not None:
                subscribers.discard(subscriber)
                if not subscribers:
                    del self._by_key[key]

    async def _open(self) -> None:
        async with self._lock:
            if self._subscriptions:
                return
            client = await self.bus.client()
            for subject in self.subjects:
                self._subscriptions.append(await client.subscribe(subject, cb=self._on_message))
            # The subscription must be registered with the server before a caller reads the
            # current state, or an event in between would be missed.
            await client.flush()
            log.info("live events subscribed", subjects=list(self.subjects))

    async def _on_message(self, message: Msg) -> None:
        try:
            envelope = Envelope.from_json(message.data)
        except EnvelopeError as exc:
            log.warning("malformed live event ignored", subject=message.subject, error=str(exc))
            return
        targets: set[LiveSubscriber] = set()
        for key in self.keys_of(envelope):
            targets.update(self._by_key.get(key, ()))
        for subscriber in targets:
            subscriber.offer(envelope)
            self.delivered += 1

    async def close(self) -> None:
        async with self._lock:
            subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()


def live_of(info: Info[ServiceContext[Any, Any], Any]) -> LiveEvents:
    """The process's `LiveEvents` (``ServiceContext.live``), from a resolver's ``info``."""
    live = info.context.live
    if live is None:
        raise RuntimeError("this service streams no live events (create_service_app(live=...))")
    return live
