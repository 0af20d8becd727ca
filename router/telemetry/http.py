"""The server side of a GraphQL request: a SERVER span continuing the caller's trace, and
the request metrics (status, operation type, latency, error codes, in flight)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from .metrics import RouterMetrics
from .request import RequestObservation, current_request

# The ASGI shapes (as in `router.http.asgi`, which imports this package: no import back).
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


def _header_carrier(scope: Scope) -> dict[str, str]:
    """Only the headers a propagator reads (``traceparent``, ``tracestate``, ``baggage``)."""
    carrier: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in (b"traceparent", b"tracestate", b"baggage"):
            carrier[name.decode("latin-1")] = value.decode("latin-1")
    return carrier


class RequestTelemetry:
    def __init__(self, metrics: RouterMetrics | None, tracer: Tracer | None) -> None:
        self.metrics = metrics
        self.tracer = tracer

    async def observe(self, scope: Scope, receive: Receive, send: Send, handler: Handler) -> None:
        """Run ``handler`` for the request with an observation in context."""
        observation = RequestObservation()
        token = current_request.set(observation)
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics = self.metrics
        if metrics is not None:
            metrics.in_flight.inc()
        started = time.perf_counter()
        try:
            if self.tracer is None:
                await handler(scope, receive, send_status)
            else:
                await self._traced(
                    scope, receive, send_status, handler, observation, lambda: status
                )
        finally:
            current_request.reset(token)
            if metrics is not None:
                metrics.in_flight.dec()
                metrics.request_done(
                    status, observation.operation_type, time.perf_counter() - started
                )
                for code in observation.error_codes:
                    metrics.errors.labels(code).inc()

    async def _traced(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        handler: Handler,
        observation: RequestObservation,
        status: Callable[[], int],
    ) -> None:
        assert self.tracer is not None
        parent = propagate.extract(_header_carrier(scope))
        method: str = scope["method"]
        with self.tracer.start_as_current_span(
            f"{method} {scope['path']}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        ) as span:
            try:
                await handler(scope, receive, send)
            finally:
                code = status()
                span.set_attribute("http.response.status_code", code)
                span.set_attribute("graphql.operation.type", observation.operation_type)
                if observation.operation_name:
                    span.set_attribute("graphql.operation.name", observation.operation_name)
                if observation.error_codes:
                    span.set_attribute("graphql.error.codes", sorted(set(observation.error_codes)))
                if code >= 500:
                    span.set_status(Status(StatusCode.ERROR))
