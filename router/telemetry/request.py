"""What the engine and the HTTP layer learn about one request, for metrics and spans.

A `RequestObservation` lives in a context variable for the request's duration; the engine
hooks fill in the operation type, the HTTP layer the error codes. Tasks spawned for a batch
copy the context and therefore share (and fill) the same object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

UNKNOWN = "unknown"


class RequestObservation:
    __slots__ = ("error_codes", "operation_name", "operation_type")

    def __init__(self) -> None:
        self.operation_type = UNKNOWN
        self.operation_name: str | None = None
        self.error_codes: list[str] = []

    def add_errors(self, errors: Iterable[Mapping[str, Any]]) -> None:
        for error in errors:
            extensions = error.get("extensions")
            code = extensions.get("code") if isinstance(extensions, Mapping) else None
            self.error_codes.append(code if isinstance(code, str) else UNKNOWN)

    def add_response(self, body: Mapping[str, Any]) -> None:
        errors = body.get("errors")
        if errors:
            self.add_errors(errors)


current_request: ContextVar[RequestObservation | None] = ContextVar(
    "polyshop_router_request", default=None
)
