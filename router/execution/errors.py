"""Errors produced while executing a plan: subgraph errors (paths rewritten) and fetch failures.

Shapes follow Apollo Router: a failed subgraph request gives ``SUBREQUEST_HTTP_ERROR`` with
``service`` and ``reason``; errors a subgraph returns keep their ``extensions`` and gain a
``code`` (``DOWNSTREAM_SERVICE_ERROR`` when absent) and ``serviceName``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .data import Path

DOWNSTREAM_SERVICE_ERROR = "DOWNSTREAM_SERVICE_ERROR"
SUBREQUEST_HTTP_ERROR = "SUBREQUEST_HTTP_ERROR"
ENTITIES = "_entities"


def fetch_failure(
    service: str, reason: str, status: int | None, code: str = SUBREQUEST_HTTP_ERROR
) -> dict[str, Any]:
    extensions: dict[str, Any] = {
        "code": code,
        "service": service,
        "reason": reason,
    }
    if status is not None:
        extensions["http"] = {"status": status}
    return {"message": f"HTTP fetch failed from '{service}': {reason}", "extensions": extensions}


def subgraph_error(raw: Any, service: str, path: Sequence[str | int] | None) -> dict[str, Any]:
    """One error as a subgraph sent it, with ``path`` already in client terms."""
    if not isinstance(raw, dict):
        raw = {"message": str(raw)}
    message = raw.get("message")
    error: dict[str, Any] = {
        "message": message if isinstance(message, str) else "Subgraph error",
    }
    if path is not None:
        error["path"] = list(path)
    extensions = raw.get("extensions")
    extensions = dict(extensions) if isinstance(extensions, dict) else {}
    extensions.setdefault("code", DOWNSTREAM_SERVICE_ERROR)
    extensions["serviceName"] = service
    error["extensions"] = extensions
    return error


def root_error_path(raw: Any) -> list[str | int] | None:
    path = raw.get("path") if isinstance(raw, dict) else None
    return list(path) if isinstance(path, list) else None


def entity_error_paths(raw: Any, origins: Sequence[Sequence[Path]]) -> list[Path] | None:
    """Client paths for an error on ``["_entities", i, ...]``; None when it has no such path."""
    path = raw.get("path") if isinstance(raw, dict) else None
    if not isinstance(path, list) or len(path) < 2 or path[0] != ENTITIES:
        return None
    index = path[1]
    if not isinstance(index, int) or not 0 <= index < len(origins):
        return None
    rest = tuple(path[2:])
    return [(*origin, *rest) for origin in origins[index]]
