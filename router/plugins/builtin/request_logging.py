"""``request_logging``: one structured log line per GraphQL HTTP request.

Written on the public plugin API, as any user's plugin would be: the router stage times the
request and writes the line, the supergraph stage notes each operation's name and the error
codes of its answer; the values travel between the hooks in the plugin's per-request state.
The line (event ``router.request``) carries the method, path, status, duration, operation
names, error codes and, when configured, chosen request headers and the query text; the
correlation id and trace ids come from the log context like every other line.
"""

from __future__ import annotations

import time
from typing import Literal

import structlog
from pydantic import BaseModel, ConfigDict

from router.plugins.api import (
    Plugin,
    Response,
    RouterRequest,
    RouterResponse,
    SupergraphRequest,
    SupergraphResponse,
)

log = structlog.get_logger("router.requests")


class RequestLoggingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    level: Literal["debug", "info", "warning"] = "info"
    """Log level of the line."""
    headers: tuple[str, ...] = ()
    """Request headers (case-insensitive) whose values are logged; never logs others, so
    ``authorization`` and cookies stay out unless named."""
    include_query: bool = False
    """Log each operation's query text (off: queries may be large)."""


class RequestLogging(Plugin[RequestLoggingConfig]):
    Config = RequestLoggingConfig

    async def router_request(self, request: RouterRequest) -> Response | None:
        state = request.context.state(self)
        state["started"] = time.perf_counter()
        state["method"] = request.method
        state["path"] = request.path
        state["operations"] = []
        state["error_codes"] = []
        wanted = {name.lower() for name in self.config.headers}
        if wanted:
            state["headers"] = {k: v for k, v in request.headers.items() if k in wanted}
        return None

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        state = request.context.state(self)
        operations: list[str | None] = state.setdefault("operations", [])
        operations.append(request.operation_name)
        if self.config.include_query:
            state.setdefault("queries", []).append(request.query)
        return None

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        codes: list[str] = response.context.state(self).setdefault("error_codes", [])
        for error in response.body.get("errors") or ():
            extensions = error.get("extensions") if isinstance(error, dict) else None
            code = extensions.get("code") if isinstance(extensions, dict) else None
            codes.append(code if isinstance(code, str) else "UNKNOWN")
        return None

    async def router_response(self, response: RouterResponse) -> Response | None:
        state = response.context.state(self)
        started = state.get("started")
        fields = {
            "method": state.get("method"),
            "path": state.get("path"),
            "status": response.status,
            "duration_ms": (
                round((time.perf_counter() - started) * 1000, 3) if started is not None else None
            ),
            "operations": state.get("operations", []),
            "error_codes": state.get("error_codes", []),
        }
        if "headers" in state:
            fields["headers"] = state["headers"]
        if "queries" in state:
            fields["queries"] = state["queries"]
        getattr(log, self.config.level)("router.request", **fields)
        return None
