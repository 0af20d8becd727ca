"""The router's log lines: JSON objects carrying the current span's ids and the request's
correlation id."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import orjson
import pytest
import structlog
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from router.telemetry import Tracing, configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.configure(**config)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_lines_carry_trace_span_and_correlation_ids(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", json=True)
    tracing = Tracing.build("router-logs", processor=SimpleSpanProcessor(InMemorySpanExporter()))
    log = structlog.get_logger("router.test")
    log.info("outside")
    with (
        tracing.tracer.start_as_current_span("request") as span,
        structlog.contextvars.bound_contextvars(correlation_id="corr-1"),
    ):
        log.info("inside", detail=1)
        logging.getLogger("uvicorn.error").warning("from the standard library")
    lines = [orjson.loads(line) for line in capsys.readouterr().err.splitlines()]
    by_event = {line["event"]: line for line in lines}
    assert "trace_id" not in by_event["outside"]
    context = span.get_span_context()
    for event in ("inside", "from the standard library"):
        line = by_event[event]
        assert line["trace_id"] == format(context.trace_id, "032x")
        assert line["span_id"] == format(context.span_id, "016x")
        assert line["correlation_id"] == "corr-1"
    assert by_event["inside"]["detail"] == 1
    assert by_event["inside"]["level"] == "info"
