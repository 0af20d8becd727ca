"""Structured logs (structlog, JSON by default) and the request correlation id.

The correlation id comes from the ``X-Correlation-ID`` header (the router forwards it) or is
generated; it is bound to every log line of the request, echoed in the response header and
available to resolvers (it is stored with the rows they write and sent along with events).
Inside a span (see `subgraphs.kit.telemetry`) every line also carries ``trace_id`` and
``span_id`` (`polyshop.runtime.logging`), so logs and traces join on either id.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polyshop.runtime.logging import configure_logging as configure_platform_logging

CORRELATION_HEADER = "X-Correlation-ID"
_HEADER_KEY = CORRELATION_HEADER.lower().encode("latin-1")
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_correlation_id: ContextVar[str | None] = ContextVar("polyshop_correlation_id", default=None)


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """`polyshop.runtime.logging.configure_logging` without uvicorn's access log, which would
    repeat what `CorrelationIdMiddleware` logs (with the correlation id)."""
    configure_platform_logging(level, json=json, access_log=False)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def current_correlation_id() -> str | None:
    return _correlation_id.get()


@contextmanager
def bind_correlation_id(value: str) -> Iterator[None]:
    """Make ``value`` the current correlation id (e.g. while an event handler runs)."""
    token = _correlation_id.set(value)
    try:
        yield
    finally:
        _correlation_id.reset(token)


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def accept_correlation_id(value: str | None) -> str:
    """The client's id when it is a sane token, else a fresh one (never log raw junk)."""
    if value and _ACCEPTED.match(value):
        return value
    return new_correlation_id()


class CorrelationIdMiddleware:
    """ASGI middleware: binds the correlation id, echoes it, logs one line per request."""

    def __init__(self, app: ASGIApp, *, logger_name: str = "polyshop.access") -> None:
        self.app = app
        self.log = get_logger(logger_name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(_HEADER_KEY)
        correlation_id = accept_correlation_id(raw.decode("latin-1") if raw else None)
        status = 500
        started = time.perf_counter()

        async def send_with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[CORRELATION_HEADER] = correlation_id
            await send(message)

        token = _correlation_id.set(correlation_id)
        try:
            with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
                try:
                    await self.app(scope, receive, send_with_header)
                finally:
                    self.log.info(
                        "request",
                        method=scope["method"],
                        path=scope["path"],
                        status=status,
                        duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    )
        finally:
            _correlation_id.reset(token)
