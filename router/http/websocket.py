"""GraphQL over WebSocket on ``/graphql``: the ``graphql-transport-ws`` protocol, as the
`graphql-ws` library speaks it (its PROTOCOL.md is the contract).

A connection is accepted only with the ``graphql-transport-ws`` subprotocol (else closed
4406). The client has ``init_timeout`` seconds to send ``connection_init`` (else 4408); its
payload may carry the JWT (``{"Authorization": "Bearer ..."}``, as Apollo Client's
``connectionParams`` put it), else the upgrade request's ``Authorization`` header is used;
an invalid token closes 4403 Forbidden. A second ``connection_init`` closes 4429; a
``subscribe`` before the acknowledgement 4401; a message that is not JSON or not a protocol
message 4400; a ``subscribe`` reusing an id still running 4409. ``ping`` gets ``pong``;
``complete`` from the client stops that operation, ``complete`` from the server says it ended.

Each operation runs through `Engine.subscribe`: a subscription yields one ``next`` per event;
a query or mutation one ``next``; request errors (validation, authorization) are one
``error`` message. Limits: ``max_per_connection`` operations at a time on one connection (more
get an ``error`` with ``SUBSCRIPTION_LIMIT``), and ``max_message_bytes`` per client message
(larger: closed 1009). The router's reload or shutdown ends a subscription with a last
``next`` carrying the error, then ``complete``. When the token of the connection expires
(its ``exp``), every running operation ends the same way with ``UNAUTHENTICATED`` and the
connection is closed 4403: the client reconnects with a fresh token.

Keep-alive: after the acknowledgement the server sends a protocol ``ping`` whenever it has
sent nothing for ``ping_interval`` seconds; a client that has sent nothing at all (its
``pong`` included) for one more interval after that ping is gone and the connection is
closed 4408 "Keep-alive timeout" (graphql-ws's code for "too late", as for
``connection_init``).

Backpressure (docs/decisions/0027-subscription-backpressure.md): a message to the client may
wait at most ``send_timeout`` seconds for the client to read (the ASGI server's send waits
while the socket's buffers are full). Past it the connection is closed 1013 "Try Again
Later" with the reason saying the client was too slow, and its operations end: what a
client that does not read can hold in the router is bounded by the socket's buffers, the
server's write buffer and each subscription's event queue (`SubscriptionHub`), never more.

With subscriptions disabled (``subscription.enabled: false``) `refuse` answers an upgrade:
through the ASGI "websocket.http.response" extension (uvicorn's servers) the client gets an
ordinary HTTP 501 with a GraphQL error ``SUBSCRIPTION_NOT_SUPPORTED`` (501, not 426: no
protocol upgrade would help); without it the handshake is closed, which servers answer 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import orjson
import structlog

from router.engine import Engine, GraphQLRequest, GraphQLResponse, RequestContext
from router.operation.errors import error_dict
from router.security import AuthenticationError, Principal

from .asgi import Receive, Scope, Send
from .errors import HttpError
from .headers import decode_headers

log = structlog.get_logger("router.websocket")

PROTOCOL = "graphql-transport-ws"

BAD_REQUEST = 4400
UNAUTHORIZED = 4401
FORBIDDEN = 4403
SUBPROTOCOL_NOT_ACCEPTABLE = 4406
INIT_TIMEOUT = 4408
DUPLICATE_ID = 4409
TOO_MANY_INIT = 4429
INTERNAL_ERROR = 4500
MESSAGE_TOO_BIG = 1009
GOING_AWAY = 1001
TRY_AGAIN_LATER = 1013
SLOW_CLIENT_REASON = "Slow consumer: the client did not read its messages in time"
KEEPALIVE_REASON = "Keep-alive timeout"

Authenticate = Callable[[Mapping[str, str]], Awaitable[Principal | None]]
MakeContext = Callable[[Mapping[str, str], Principal | None], Awaitable[RequestContext]]
EngineLease = Callable[[], Engine | None]
Admit = Callable[[], contextlib.AbstractContextManager[None]]
"""Counts an open subscription router-wide; raises `HttpError` past the router's limit."""
Subscribe = Callable[
    [Engine, GraphQLRequest, RequestContext, Mapping[str, str]],
    Awaitable[GraphQLResponse | AsyncIterator[dict[str, Any]]],
]
"""Runs one operation (`Engine.subscribe`, through the router's plugins); the last argument
is the connection's headers (the upgrade's, with ``connection_init``'s Authorization)."""


class _Closed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class GraphQLWebSocket:
    """One client connection (see the module docstring)."""

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        engine: EngineLease,
        authenticate: Authenticate,
        make_context: MakeContext,
        admit: Admit | None = None,
        subscribe: Subscribe | None = None,
        init_timeout: float = 3.0,
        max_per_connection: int = 100,
        max_message_bytes: int = 1024 * 1024,
        ping_interval: float | None = None,
        send_timeout: float = 10.0,
    ) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        self.engine = engine
        self.authenticate = authenticate
        self.make_context = make_context
        self.admit = admit
        self.subscribe = subscribe
        self.init_headers: Mapping[str, str] = {}
        self.init_timeout = init_timeout
        self.max_per_connection = max_per_connection
        self.max_message_bytes = max_message_bytes
        self.headers = decode_headers(scope["headers"])
        self.context: RequestContext | None = None
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()
        self._closed = False
        self._expiry: asyncio.TimerHandle | None = None
        self.ping_interval = ping_interval
        self.send_timeout = send_timeout
        self._last_received = time.monotonic()
        self._last_sent = time.monotonic()
        self._keepalive: asyncio.Task[None] | None = None

    async def serve(self) -> None:
        message = await self.receive()
        if message["type"] != "websocket.connect":
            return
        offered = [p.strip() for p in self.headers.get("sec-websocket-protocol", "").split(",")]
        if PROTOCOL not in offered:
            await self.send({"type": "websocket.accept"})
            await self._close(SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        await self.send({"type": "websocket.accept", "subprotocol": PROTOCOL})
        try:
            await self._initialise()
            if self.ping_interval is not None:
                self._keepalive = asyncio.create_task(self._keep_alive(self.ping_interval))
            while True:
                await self._handle(await self._next_message())
        except _Closed as closed:
            await self._close(closed.code, closed.reason)
        except _Disconnected:
            pass
        finally:
            if self._expiry is not None:
                self._expiry.cancel()
            if self._keepalive is not None:
                self._keepalive.cancel()
            for task in self.operations.values():
                task.cancel()
            for task in list(self.operations.values()):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self.operations.clear()

    async def close_going_away(self, reason: str) -> None:
        """The router is stopping: end the connection (1001)."""
        await self._close(GOING_AWAY, reason)

    # ------------------------------------------------------------------ messages

    async def _next_message(self) -> dict[str, Any]:
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise _Disconnected
        self._last_received = time.monotonic()
        raw = message.get("text")
        if raw is None:
            raw = message.get("bytes") or b""
        if len(raw) > self.max_message_bytes:
            raise _Closed(MESSAGE_TOO_BIG, "Message too big")
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise _Closed(BAD_REQUEST, "Invalid message received") from None
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            raise _Closed(BAD_REQUEST, "Invalid message received")
        return body

    async def _initialise(self) -> None:
        try:
            async with asyncio.timeout(self.init_timeout):
                message = await self._next_message()
        except TimeoutError:
            raise _Closed(INIT_TIMEOUT, "Connection initialisation timeout") from None
        kind = message["type"]
        if kind == "subscribe":
            raise _Closed(UNAUTHORIZED, "Unauthorized")
        if kind != "connection_init":
            raise _Closed(BAD_REQUEST, f"Unexpected message of type {kind} before connection_init")
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            raise _Closed(BAD_REQUEST, "Invalid connection_init payload")
        headers = dict(self.headers)
        for name in ("Authorization", "authorization"):
            value = (payload or {}).get(name)
            if isinstance(value, str):
                headers["authorization"] = value
        try:
            principal = await self.authenticate(headers)
        except AuthenticationError:
            raise _Closed(FORBIDDEN, "Forbidden") from None
        self.context = await self.make_context(headers, principal)
        self.init_headers = headers
        await self._send_json({"type": "connection_ack"})
        expiry = principal.claims.get("exp") if principal is not None else None
        if isinstance(expiry, int | float):
            delay = max(0.0, float(expiry) - time.time())
            self._expiry = asyncio.get_running_loop().call_later(
                delay, lambda: asyncio.ensure_future(self._token_expired())
            )

    async def _keep_alive(self, interval: float) -> None:
        """Pings an idle client; closes 4408 when it stays silent a whole interval after."""
        pinged: float | None = None
        while not self._closed:
            now = time.monotonic()
            if pinged is not None and self._last_received < pinged:
                if now - pinged >= interval:
                    self._cancel_operations()
                    await self._close(INIT_TIMEOUT, KEEPALIVE_REASON)
                    return
                await asyncio.sleep(pinged + interval - now)
                continue
            pinged = None
            idle = now - self._last_sent
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            try:
                await self._send_json({"type": "ping"})
            except _Disconnected:
                return
            pinged = time.monotonic()

    def _cancel_operations(self) -> None:
        """Stops every operation without a word to the client (it is being closed)."""
        for task in self.operations.values():
            task.cancel()
        self.operations.clear()

    async def _token_expired(self) -> None:
        """Ends every operation with ``UNAUTHENTICATED``, then closes 4403."""
        error = [error_dict("The token expired; reconnect with a fresh one", "UNAUTHENTICATED")]
        for op_id, task in list(self.operations.items()):
            task.cancel()
            self.operations.pop(op_id, None)
            with contextlib.suppress(_Disconnected):
                await self._send_json({"id": op_id, "type": "next", "payload": {"errors": error}})
                await self._send_json({"id": op_id, "type": "complete"})
        await self._close(FORBIDDEN, "Token expired")

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping":
            await self._send_json({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "connection_init":
            raise _Closed(TOO_MANY_INIT, "Too many initialisation requests")
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            op_id = message.get("id")
            if not isinstance(op_id, str):
                raise _Closed(BAD_REQUEST, "Invalid message received")
            task = self.operations.pop(op_id, None)
            if task is not None:
                task.cancel()
        else:
            raise _Closed(BAD_REQUEST, f"Unexpected message of type {kind}")

    async def _subscribe(self, message: dict[str, Any]) -> None:
        op_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(op_id, str) or not op_id or not isinstance(payload, dict):
            raise _Closed(BAD_REQUEST, "Invalid message received")
        if op_id in self.operations:
            raise _Closed(DUPLICATE_ID, f"Subscriber for {op_id} already exists")
        query = payload.get("query")
        variables = payload.get("variables")
        name = payload.get("operationName")
        extensions = payload.get("extensions")
        if (
            not isinstance(query, str)
            or not (variables is None or isinstance(variables, dict))
            or not (name is None or isinstance(name, str))
            or not (extensions is None or isinstance(extensions, dict))
        ):
            raise _Closed(BAD_REQUEST, "Invalid message received")
        if len(self.operations) >= self.max_per_connection:
            await self._send_json(
                {
                    "id": op_id,
                    "type": "error",
                    "payload": [
                        error_dict(
                            f"At most {self.max_per_connection} operations may run on one "
                            "connection",
                            "SUBSCRIPTION_LIMIT",
                        )
                    ],
                }
            )
            return
        request = GraphQLRequest(query, name, variables, extensions)
        self.operations[op_id] = asyncio.create_task(self._operate(op_id, request))

    async def _operate(self, op_id: str, request: GraphQLRequest) -> None:
        engine = self.engine()
        context = self.context
        try:
            if engine is None or context is None:
                errors = [error_dict("The router is starting", "SERVICE_UNAVAILABLE")]
                await self._send_json({"id": op_id, "type": "error", "payload": errors})
                return
            if self.subscribe is not None:
                outcome = await self.subscribe(engine, request, context, self.init_headers)
            else:
                outcome = await engine.subscribe(request, context)
            if isinstance(outcome, GraphQLResponse):
                if outcome.body.get("data") is None and outcome.status != 200:
                    payload = outcome.body.get("errors", [])
                    await self._send_json({"id": op_id, "type": "error", "payload": payload})
                    return
                await self._send_json({"id": op_id, "type": "next", "payload": outcome.body})
            else:
                try:
                    admitted = self.admit() if self.admit is not None else contextlib.nullcontext()
                except HttpError as refused:
                    await self._send_json(
                        {"id": op_id, "type": "error", "payload": refused.body()["errors"]}
                    )
                    return
                with admitted:
                    await self._relay(op_id, outcome)
            await self._send_json({"id": op_id, "type": "complete"})
        except asyncio.CancelledError:
            raise
        except _Disconnected:
            return
        except Exception:
            log.exception("router.websocket_operation_failed")
            errors = [error_dict("Internal server error", "INTERNAL_SERVER_ERROR")]
            with contextlib.suppress(Exception):
                await self._send_json({"id": op_id, "type": "error", "payload": errors})
        finally:
            if self.operations.get(op_id) is asyncio.current_task():
                del self.operations[op_id]

    async def _relay(self, op_id: str, stream: AsyncIterator[dict[str, Any]]) -> None:
        try:
            async for body in stream:
                await self._send_json({"id": op_id, "type": "next", "payload": body})
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()

    # ------------------------------------------------------------------ sending

    async def _send_json(self, message: Mapping[str, Any]) -> None:
        """One message to the client; a client that does not read it within
        ``send_timeout`` is closed 1013 (see the module docstring)."""
        if self._closed:
            raise _Disconnected
        text = orjson.dumps(message).decode()
        async with self._send_lock:
            if self._closed:
                raise _Disconnected
            try:
                async with asyncio.timeout(self.send_timeout):
                    await self.send({"type": "websocket.send", "text": text})
            except TimeoutError:
                log.warning("router.websocket_slow_client", timeout=self.send_timeout)
                asyncio.get_running_loop().create_task(self._drop_slow_client())
                raise _Disconnected from None
            except Exception as error:  # the client went away meanwhile
                raise _Disconnected from error
            self._last_sent = time.monotonic()

    async def _drop_slow_client(self) -> None:
        self._cancel_operations()
        await self._close(TRY_AGAIN_LATER, SLOW_CLIENT_REASON)

    async def _close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        # Bounded like any send: a client that reads nothing cannot take the close frame
        # either; the server's own WebSocket ping timeout then drops the connection.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self.send_timeout):
                await self.send({"type": "websocket.close", "code": code, "reason": reason})


class _Disconnected(Exception):
    """The client is gone."""


REFUSAL_CODE = "SUBSCRIPTION_NOT_SUPPORTED"
REFUSAL_MESSAGE = (
    "WebSocket connections are not served by this router (subscriptions are disabled); "
    "send queries and mutations with HTTP POST or GET"
)
REFUSAL_BODY = orjson.dumps(
    {"errors": [{"message": REFUSAL_MESSAGE, "extensions": {"code": REFUSAL_CODE}}]}
)
REFUSAL_STATUS = 501
POLICY_VIOLATION = 1008


async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one ``websocket`` scope with a refusal (see the module docstring)."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    log.info("websocket.refused", path=scope.get("path"))
    if "websocket.http.response" in scope.get("extensions", {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": REFUSAL_STATUS,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(REFUSAL_BODY)).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": REFUSAL_BODY})
        return
    await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": REFUSAL_CODE})
