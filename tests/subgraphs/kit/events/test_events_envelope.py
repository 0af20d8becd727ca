"""The envelope: its JSON form, its subjects, where its correlation id comes from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from subgraphs.kit.events import Envelope, EnvelopeError, dlq_subject, new_envelope, stream_name
from subgraphs.kit.events.backoff import Backoff, exponential_delay
from subgraphs.kit.events.subjects import dlq_subject_for, stream_subjects
from subgraphs.kit.logging import CorrelationIdMiddleware


def test_round_trip_keeps_every_field_and_normalises_data() -> None:
    order_id = uuid.uuid4()
    envelope = new_envelope(
        "orders",
        "order.created",
        {"order_id": order_id, "total": Decimal("10.10"), "at": datetime(2024, 1, 2, tzinfo=UTC)},
        correlation_id="corr-1",
    )
    assert envelope.data == {
        "order_id": str(order_id),
        "total": "10.10",
        "at": "2024-01-02T00:00:00+00:00",
    }
    raw = envelope.to_json()
    assert list(orjson.loads(raw)) == [
        "id",
        "type",
        "occurred_at",
        "source",
        "correlation_id",
        "data",
    ]
    assert Envelope.from_json(raw) == envelope
    assert envelope.subject == "polyshop.orders.order.created"


def test_subjects_and_streams() -> None:
    assert dlq_subject("orders", "order.created") == "polyshop.dlq.orders.order.created"
    assert dlq_subject_for("polyshop.orders.order.created") == "polyshop.dlq.orders.order.created"
    assert stream_name("orders") == "POLYSHOP_ORDERS"
    assert stream_subjects("orders") == ["polyshop.orders.>"]
    for bad in ("dlq", "Orders", "a.b", "", "a>"):
        with pytest.raises(ValueError, match="invalid service"):
            stream_name(bad)
    with pytest.raises(ValueError, match="invalid event type"):
        new_envelope("orders", "order..created", {})
    with pytest.raises(ValueError, match="not a PolyShop"):
        dlq_subject_for("other.orders.created")


def test_correlation_id_precedence() -> None:
    cause = new_envelope("orders", "order.created", {}, correlation_id="from-cause")
    assert new_envelope("inventory", "stock.reserved", {}, caused_by=cause).correlation_id == (
        "from-cause"
    )
    explicit = new_envelope("inventory", "stock.reserved", {}, caused_by=cause, correlation_id="x")
    assert explicit.correlation_id == "x"
    fresh = new_envelope("inventory", "stock.reserved", {})
    assert uuid.UUID(fresh.correlation_id)


async def test_correlation_id_of_the_current_request() -> None:
    """Inside a request the middleware's correlation id is the event's."""
    seen: list[str] = []

    async def app(scope: object, receive: object, send: object) -> None:
        seen.append(new_envelope("orders", "order.created", {}).correlation_id)

    middleware = CorrelationIdMiddleware(app)  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"x-correlation-id", b"req-42")],
    }

    async def noop(*_: object) -> None:
        return None

    await middleware(scope, noop, noop)  # type: ignore[arg-type]
    assert seen == ["req-42"]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"not json", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"id": "x"}', "badly formed"),
        (
            orjson.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "type": "a.b",
                    "occurred_at": "2024-01-01T00:00:00",
                    "source": "orders",
                    "correlation_id": "c",
                    "data": {},
                }
            ),
            "time zone",
        ),
        (
            orjson.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "type": "a.b",
                    "occurred_at": "2024-01-01T00:00:00Z",
                    "source": "orders",
                    "correlation_id": "c",
                    "data": [1],
                }
            ),
            "data must be",
        ),
    ],
)
def test_malformed_envelopes_are_rejected(raw: bytes, problem: str) -> None:
    with pytest.raises(EnvelopeError, match=problem):
        Envelope.from_json(raw)


def test_backoff_grows_and_caps() -> None:
    delays = [exponential_delay(n, initial=0.5, maximum=3.0) for n in range(1, 6)]
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff = Backoff(initial=1.0, maximum=8.0, jitter=0.0)
    assert [backoff.next_delay() for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0
