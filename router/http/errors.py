"""Errors the HTTP layer answers itself, before (or instead of) the engine.

Their shape follows Apollo Router: a GraphQL error with ``extensions.code``, and for malformed
requests the message ``"Invalid GraphQL request"`` with the reason in ``extensions.details``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace

INVALID_REQUEST_MESSAGE = "Invalid GraphQL request"


@dataclass(slots=True)
class HttpError(Exception):
    """A request the router refuses with ``status``; `body()` is the client-facing JSON."""

    status: int
    code: str
    message: str
    details: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code}
        if self.details is not None:
            extensions["details"] = self.details
        return {"errors": [{"message": self.message, "extensions": extensions}]}


def invalid_request(
    details: str, *, status: int = 400, code: str = "INVALID_GRAPHQL_REQUEST"
) -> HttpError:
    """A request the router cannot read as GraphQL-over-HTTP (Apollo Router's wording)."""
    return HttpError(status, code, INVALID_REQUEST_MESSAGE, details)


def internal_error(exception: BaseException | None, *, dev_mode: bool) -> dict[str, Any]:
    """The body of a 500. Dev mode adds the exception's type and the trace id that finds the
    log line, never the exception's text or traceback (they may carry secrets or addresses)."""
    extensions: dict[str, Any] = {"code": "INTERNAL_SERVER_ERROR"}
    if dev_mode and exception is not None:
        extensions["exception"] = {"type": type(exception).__name__}
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            extensions["traceId"] = format(span_context.trace_id, "032x")
    return {"errors": [{"message": "Internal server error", "extensions": extensions}]}
