"""ASGI middleware: a GraphQL request needs a valid bearer token before it reaches Strawberry.

A service token may come with the end user's token in ``X-PolyShop-User-Token`` (the router
forwards it): the request then acts as that user, with the service recorded as the actor.

A gateway's token (the router's: ``gateway_clients``) proves only that the request came
through the gateway. It is never the request's identity: without a forwarded user token the
request is anonymous, whatever scopes the gateway's token carries, so a client cannot borrow
the gateway's credentials by sending no token of its own (docs/decisions/0011).

The verified `Principal` (`polyshop.runtime.principal`) goes to ``scope["state"]["identity"]``
(``request.state.identity``), where the context getter and `identity_of` find it. Rejections
are HTTP 401 with a GraphQL error body (``extensions.code = UNAUTHENTICATED``) and an RFC 6750
``WWW-Authenticate`` header, the way Apollo Router answers an invalid token.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

import orjson
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from polyshop.runtime.jwks import KeysUnavailable
from polyshop.runtime.jwt import InvalidToken, JwtVerifier, bearer_challenge
from polyshop.runtime.principal import Principal
from subgraphs.kit.auth.errors import UNAUTHENTICATED
from subgraphs.kit.logging import get_logger

log = get_logger("polyshop.auth")

STATE_KEY = "identity"
CALLER_KEY = "caller"
"""The verified identity of the bearer token itself (the router, a service, a user)."""
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
USER_TOKEN_HEADER = b"x-polyshop-user-token"
"""Where the router (or another service) forwards the end user's own access token."""


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def request_identity(connection: HTTPConnection) -> Principal | None:
    """The identity the middleware stored for this request (for the context getter)."""
    found = connection.scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, Principal) else None


def request_caller(connection: HTTPConnection) -> Principal | None:
    """Whose bearer token this request carried (the hop: e.g. the router's service token),
    whatever identity the request acts as; for checks about the hop, such as whether to
    trust a forwarded client address."""
    found = connection.scope.get("state", {}).get(CALLER_KEY)
    return found if isinstance(found, Principal) else None


class TokenAuthMiddleware:
    """Verifies ``Authorization: Bearer`` on the protected paths.

    ``allow_anonymous`` lets requests without a token through with no identity (dev mode);
    a token that is present is still verified. ``invalid_token_as_anonymous`` is for the
    auth service itself, whose ``login``/``refreshToken`` must work while a client still
    sends its expired access token.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: JwtVerifier,
        allow_anonymous: bool = False,
        invalid_token_as_anonymous: bool = False,
        protected_prefixes: Sequence[str] = ("/graphql",),
        realm: str = "polyshop",
        gateway_clients: Iterable[str] = ("router",),
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.allow_anonymous = allow_anonymous
        self.invalid_token_as_anonymous = invalid_token_as_anonymous
        self.protected_prefixes = tuple(protected_prefixes)
        self.realm = realm
        self.gateway_clients = frozenset(gateway_clients)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            # A subscription's upgrade request carries the same headers as a query; a
            # rejection closes the handshake (HTTP 403 on the wire, as ASGI servers answer).
            send = _websocket_rejection(send)
        state = scope.setdefault("state", {})
        state[STATE_KEY] = None
        state[CALLER_KEY] = None
        if scope.get("method") == "OPTIONS" or not scope["path"].startswith(
            self.protected_prefixes
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw = headers.get(b"authorization")
        token = bearer_token(raw.decode("latin-1") if raw else None)
        if token is None:
            if self.allow_anonymous:
                await self.app(scope, receive, send)
                return
            await self._reject(send, 401, "Authentication required: send a bearer token", None)
            return
        try:
            caller = await self.verifier.verify(token)
            identity: Principal | None = caller
            forwarded = headers.get(USER_TOKEN_HEADER)
            if caller.is_service and forwarded:
                # A service calling on behalf of a user: the request acts as that user. Only a
                # verified service may do this, and the user's token is verified in its own
                # right, so a service cannot make up a user.
                user = await self.verifier.verify(forwarded.decode("latin-1"))
                identity = user.acting_through(caller)
            if identity is not None and self.is_gateway(identity):
                identity = None  # the gateway relaying an anonymous client: nobody's authority
            state[CALLER_KEY] = caller
        except InvalidToken as exc:
            if not self.invalid_token_as_anonymous:
                log.info("auth.token_rejected", reason=exc.reason, path=scope["path"])
                await self._reject(send, 401, f"Invalid token: {exc.reason}", exc.reason)
                return
            identity = None
        except KeysUnavailable:
            log.error("auth.keys_unavailable")
            await self._error(send, 503, "Token keys are unavailable", SERVICE_UNAVAILABLE, {})
            return
        state[STATE_KEY] = identity
        await self.app(scope, receive, send)

    def is_gateway(self, identity: Principal) -> bool:
        return identity.is_service and identity.client_id in self.gateway_clients

    async def _reject(self, send: Send, status: int, message: str, reason: str | None) -> None:
        challenge = bearer_challenge(self.realm, reason)
        await self._error(send, status, message, UNAUTHENTICATED, {"www-authenticate": challenge})

    @staticmethod
    async def _error(
        send: Send, status: int, message: str, code: str, headers: dict[str, str]
    ) -> None:
        body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
        raw_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})


def _websocket_rejection(send: Send) -> Send:
    """``send`` for a WebSocket scope: the HTTP error responses become a handshake close
    (policy violation), the other messages pass through."""

    async def wrapped(message: MutableMapping[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await send({"type": "websocket.close", "code": 1008})
        elif kind != "http.response.body":
            await send(message)

    return wrapped
