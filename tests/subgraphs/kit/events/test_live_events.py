"""`LiveEvents` against the session's real NATS: one subscription fans out by key, a slow
subscriber is dropped at its queue's bound, and leaving unsubscribes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from subgraphs.kit.events import EventBus, EventSettings, new_envelope
from subgraphs.kit.events.live import LiveEvents, SubscriberOverflow


@pytest.fixture
async def bus(nats_url: str) -> AsyncIterator[EventBus]:
    bus = EventBus(EventSettings(nats_url=nats_url), name="live-test")
    try:
        yield bus
    finally:
        await bus.close()


async def test_fan_out_by_key_bounded_and_unsubscribed(bus: EventBus) -> None:
    source = f"live{uuid.uuid4().hex[:8]}"
    live = LiveEvents(bus, (f"polyshop.{source}.>",), lambda e: [str(e.data["k"])], queue_size=3)
    client = await bus.client()

    async def publish(key: str, n: int) -> None:
        envelope = new_envelope(source, "thing.happened", {"k": key, "n": n})
        await client.publish(envelope.subject, envelope.to_json())

    try:
        fast = await live.subscribe(["a"])
        slow = await live.subscribe(["a"])
        other = await live.subscribe(["b"])
        for n in range(3):
            await publish("a", n)
        got = [(await asyncio.wait_for(fast.__anext__(), 5)).data["n"] for _ in range(3)]
        assert got == [0, 1, 2]
        await publish("a", 3)  # the slow one's fourth: over its bound of 3
        assert (await asyncio.wait_for(fast.__anext__(), 5)).data["n"] == 3
        with pytest.raises(SubscriberOverflow):
            await asyncio.wait_for(slow.__anext__(), 5)
        assert slow.overflowed
        assert other._queue.empty()  # key b saw nothing
        delivered = live.delivered
        async with fast:
            pass  # leaving unsubscribes
        live.unsubscribe(slow)
        await publish("a", 4)
        await publish("b", 5)
        assert (await asyncio.wait_for(other.__anext__(), 5)).data["n"] == 5
        assert live.delivered == delivered + 1  # only b's event reached anyone
        assert live.subscriber_count == 1
    finally:
        await live.close()
