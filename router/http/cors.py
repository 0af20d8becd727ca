"""CORS: which browser pages on other origins may call the router, as Apollo Router decides it.

Contract, for every HTTP path the router serves:

- A request without an ``Origin`` header is none of CORS' business: untouched.
- A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered
  here, never by the engine: 204 with ``Access-Control-Allow-Origin/-Methods/-Headers``
  (and ``-Credentials``, ``-Max-Age`` when configured) for an allowed origin and method; a 403
  with a GraphQL-shaped error (``CORS_ORIGIN_NOT_ALLOWED`` / ``CORS_METHOD_NOT_ALLOWED``) and no
  CORS header otherwise, so the browser blocks the call and the developer reads why.
- Any other request from an allowed origin gets ``Access-Control-Allow-Origin`` (the origin
  itself, or ``*`` with ``allow_any_origin``), ``Vary: Origin``, and the configured
  credentials / exposed headers. From a disallowed origin it is served without CORS headers:
  the browser hides the answer from the page (a server cannot stop a request a browser has
  already sent; CSRF prevention is what keeps side effects out, see `csrf`).

Each refusal is logged once per origin (``cors.origin_refused``), not once per request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import structlog

from router.config.cors import CorsConfig, CorsPolicy

from .asgi import Headers, Message, Scope, Send, respond

log = structlog.get_logger("router.http.cors")

MAX_REMEMBERED_ORIGINS = 1024
"""Origins whose decision is cached (a hostile client could invent origins without end)."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What an allowed origin gets: headers for actual responses, and for preflights."""

    response_headers: Headers
    methods: frozenset[str]
    methods_header: bytes
    allow_headers: bytes | None
    """None: mirror the preflight's ``Access-Control-Request-Headers``."""
    max_age: bytes | None


class Cors:
    """The CORS decisions of one `CorsConfig` (rebuilt when the settings are reloaded)."""

    def __init__(self, config: CorsConfig) -> None:
        self.config = config
        self._patterns = [
            (policy, [re.compile(p) for p in policy.match_origins]) for policy in config.policies
        ]
        self._decided: dict[str, Grant | None] = {}
        self._logged: set[str] = set()

    def grant_for(self, origin: str) -> Grant | None:
        """The grant of ``origin``; None when it is not allowed."""
        try:
            return self._decided[origin]
        except KeyError:
            pass
        grant = self._decide(origin)
        if len(self._decided) >= MAX_REMEMBERED_ORIGINS:
            self._decided.clear()
        self._decided[origin] = grant
        return grant

    def _decide(self, origin: str) -> Grant | None:
        config = self.config
        policy: CorsPolicy | None = None
        for candidate, patterns in self._patterns:
            if origin in candidate.origins or any(p.fullmatch(origin) for p in patterns):
                policy = candidate
                break
        if policy is None and not config.allow_any_origin:
            return None

        def own(name: str) -> Any:
            value = getattr(policy, name) if policy is not None else None
            return getattr(config, name) if value is None else value

        credentials: bool = own("allow_credentials")
        expose: tuple[str, ...] = own("expose_headers")
        allow: tuple[str, ...] = own("allow_headers")
        methods: tuple[str, ...] = own("methods")
        max_age: timedelta | None = own("max_age")
        headers: Headers = []
        if policy is None:  # allow_any_origin and no policy names it
            headers.append((b"access-control-allow-origin", b"*"))
        else:
            headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
            headers.append((b"vary", b"origin"))
        if credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        if expose:
            headers.append((b"access-control-expose-headers", ", ".join(expose).encode()))
        return Grant(
            response_headers=headers,
            methods=frozenset(methods),
            methods_header=", ".join(methods).encode(),
            allow_headers=", ".join(allow).encode() if allow else None,
            max_age=str(int(max_age.total_seconds())).encode() if max_age is not None else None,
        )

    def _refused(self, origin: str, reason: str, **details: str) -> None:
        if origin not in self._logged and len(self._logged) < MAX_REMEMBERED_ORIGINS:
            self._logged.add(origin)
            log.warning("cors.origin_refused", origin=origin, reason=reason, **details)

    async def preflight(self, headers: Mapping[str, str], send: Send) -> None:
        """Answer a preflight (``headers`` lower-cased; ``origin`` and
        ``access-control-request-method`` present)."""
        origin = headers["origin"]
        method = headers["access-control-request-method"].strip().upper()
        grant = self.grant_for(origin)
        if grant is None:
            self._refused(origin, "origin not allowed by the cors configuration")
            await _refuse(
                send,
                "CORS_ORIGIN_NOT_ALLOWED",
                f"Origin '{origin}' is not allowed to call this router (see the 'cors' section "
                "of router.yaml)",
            )
            return
        if method not in grant.methods:
            self._refused(origin, "method not allowed", method=method)
            await _refuse(
                send,
                "CORS_METHOD_NOT_ALLOWED",
                f"Method '{method}' is not allowed cross-origin; allowed: "
                f"{grant.methods_header.decode()}",
            )
            return
        extra: Headers = [*grant.response_headers]
        extra.append((b"access-control-allow-methods", grant.methods_header))
        allow_headers = grant.allow_headers
        if allow_headers is None:
            requested = headers.get("access-control-request-headers")
            allow_headers = requested.encode("latin-1") if requested else None
            extra.append((b"vary", b"access-control-request-headers"))
        if allow_headers:
            extra.append((b"access-control-allow-headers", allow_headers))
        if grant.max_age is not None:
            extra.append((b"access-control-max-age", grant.max_age))
        await send({"type": "http.response.start", "status": 204, "headers": extra})
        await send({"type": "http.response.body", "body": b""})

    def wrap(self, origin: str, send: Send) -> Send:
        """``send`` adding the grant's headers to the response start (unchanged when the
        origin is not allowed)."""
        grant = self.grant_for(origin)
        if grant is None:
            self._refused(origin, "origin not allowed by the cors configuration")
            return send
        added = grant.response_headers

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        return send_with_cors


def origin_of(scope: Scope) -> str | None:
    """The request's ``Origin`` header, if any (a scan of the raw headers: most requests
    have none and pay nothing more)."""
    for name, value in scope["headers"]:
        if name == b"origin":
            text: str = value.decode("latin-1")
            return text
    return None


def is_preflight(scope: Scope, headers: Mapping[str, str]) -> bool:
    return (
        scope["method"] == "OPTIONS"
        and "origin" in headers
        and "access-control-request-method" in headers
    )


async def _refuse(send: Send, code: str, message: str) -> None:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    await respond(send, 403, body, b"application/json")
