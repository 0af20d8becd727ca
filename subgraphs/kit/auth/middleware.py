"""ASGI middleware: a GraphQL request needs a valid bearer token before it reaches Strawberry.

A service token may come with the end user's token in ``X-PolyShop-User-Token`` (the router
forwards it): the request then acts as that user, with the service recorded as the actor.

The verified `Identity` goes to ``scope["state"]["identity"]`` (``request.state.identity``),
where the context getter and `identity_of` find it. Rejections are HTTP 401 with a GraphQL
error body (``extensions.code = UNAUTHENTICATED``) and an RFC 6750 ``WWW-Authenticate``
header, the way Apollo Router answers an invalid token.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from subgraphs.kit.auth.errors import UNAUTHENTICATED, InvalidToken, KeysUnavailable
from subgraphs.kit.auth.identity import Identity
from subgraphs.kit.auth.verifier import TokenVerifier
from subgraphs.kit.logging import get_logger

log = get_logger("polyshop.auth")

STATE_KEY = "identity"
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


def request_identity(connection: HTTPConnection) -> Identity | None:
    """The identity the middleware stored for this request (for the context getter)."""
    found = connection.scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, Identity) else None


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
        verifier: TokenVerifier,
        allow_anonymous: bool = False,
        invalid_token_as_anonymous: bool = False,
        protected_prefixes: Sequence[str] = ("/graphql",),
        realm: str = "polyshop",
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.allow_anonymous = allow_anonymous
        self.invalid_token_as_anonymous = invalid_token_as_anonymous
        self.protected_prefixes = tuple(protected_prefixes)
        self.realm = realm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state[STATE_KEY] = None
        if scope["method"] == "OPTIONS" or not scope["path"].startswith(self.protected_prefixes):
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
            identity: Identity | None = await self.verifier.verify(token)
            forwarded = headers.get(USER_TOKEN_HEADER)
            if identity is not None and identity.is_service and forwarded:
                # A service calling on behalf of a user: the request acts as that user. Only a
                # verified service may do this, and the user's token is verified in its own
                # right, so a service cannot make up a user.
                user = await self.verifier.verify(forwarded.decode("latin-1"))
                identity = user.acting_through(identity)
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

    async def _reject(self, send: Send, status: int, message: str, reason: str | None) -> None:
        challenge = f'Bearer realm="{self.realm}"'
        if reason is not None:
            description = reason.replace('"', "'")
            challenge += f', error="invalid_token", error_description="{description}"'
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
