"""Logs of every PolyShop process: one JSON object per line (structlog), with
``trace_id``/``span_id`` of the current span and whatever the caller binds to the context
(the router's and the kit's HTTP layers bind the request's ``correlation_id``).

The standard library's loggers (uvicorn, aiohttp, SQLAlchemy) render through the same chain,
so a process writes one stream to stderr."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace


def add_trace_ids(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """``trace_id`` and ``span_id`` (W3C hex) when a span is current."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


def configure_logging(level: str = "info", *, json: bool = True, access_log: bool = True) -> None:
    """Route structlog and the standard library to stderr as one stream.

    ``access_log=False`` quietens uvicorn's access log, for a process whose own middleware
    already logs one line per request (the kit's, with the correlation id)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: logging is off the hot path, and a cached logger ignores later
        # reconfiguration (structlog.testing.capture_logs in tests, a reload of settings).
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    if not access_log:
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
