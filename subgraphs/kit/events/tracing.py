"""Trace context across events: request → outbox row → NATS headers → consumer.

An event is published long after (and in another task than) the request that wrote it, so
the request's trace context is captured when the outbox row is written. It is kept in the
row's ``data`` under the reserved key ``TRACE_KEY`` (the outbox has no column for it yet),
taken out again by the relay and sent as NATS headers (``traceparent``, ``tracestate``);
consumers and dead letters never see the key. The consumer continues the trace from the
headers: a CONSUMER span per handled message, child of the relay's PRODUCER span (itself a
child of the request's), so one checkout is one trace across services.

Without a tracer nothing is recorded, but the context is still handed on as it came, so a
service that does not trace does not break the chain of those that do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Tracer

TRACE_KEY = "$trace"
"""Reserved key of an outbox row's ``data`` holding the writer's trace context."""
MESSAGING_SYSTEM = "nats"


def current_trace_headers() -> dict[str, str]:
    """The current span's context as W3C headers; empty when no span is current."""
    if not trace.get_current_span().get_span_context().is_valid:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def with_trace(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` plus the current trace context under `TRACE_KEY` (unchanged without one)."""
    headers = current_trace_headers()
    if not headers:
        return dict(data)
    return {**data, TRACE_KEY: headers}


def split_trace(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """An outbox row's ``data`` without `TRACE_KEY`, and the trace headers kept there."""
    if TRACE_KEY not in data:
        return dict(data), {}
    rest = dict(data)
    stored = rest.pop(TRACE_KEY)
    headers = (
        {str(k): str(v) for k, v in stored.items() if isinstance(v, str)}
        if isinstance(stored, Mapping)
        else {}
    )
    return rest, headers


@contextmanager
def publish_span(
    tracer: Tracer | None, subject: str, event_id: str, stored: Mapping[str, str]
) -> Iterator[dict[str, str]]:
    """Around one publish: yields the trace headers to send (the PRODUCER span's context,
    or without a tracer the stored ones as they are)."""
    if tracer is None:
        yield dict(stored)
        return
    parent = propagate.extract(stored) if stored else otel_context.Context()
    with tracer.start_as_current_span(
        f"{subject} publish",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": MESSAGING_SYSTEM,
            "messaging.destination.name": subject,
            "messaging.message.id": event_id,
            "messaging.operation.type": "send",
        },
    ):
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        yield carrier


@contextmanager
def consume_span(
    tracer: Tracer | None,
    subject: str,
    headers: Mapping[str, str] | None,
    consumer: str,
) -> Iterator[Span | None]:
    """Around handling one message: the sender's context is current inside (and a CONSUMER
    span, its child, when there is a tracer)."""
    parent = propagate.extract(dict(headers)) if headers else otel_context.Context()
    if tracer is None:
        token = otel_context.attach(parent)
        try:
            yield None
        finally:
            otel_context.detach(token)
        return
    with tracer.start_as_current_span(
        f"{subject} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": MESSAGING_SYSTEM,
            "messaging.destination.name": subject,
            "messaging.consumer.group.name": consumer,
            "messaging.operation.type": "process",
        },
    ) as span:
        yield span
