"""WebSocket upgrades, while the router serves no subscriptions: a clean refusal, never a 500.

With the ASGI "websocket.http.response" extension (uvicorn's websockets and wsproto servers)
the client gets an ordinary HTTP answer to its upgrade: 501 with a GraphQL-shaped error
(``SUBSCRIPTION_NOT_SUPPORTED``, the engine's code for subscription operations) saying that
queries and mutations go over HTTP. (501, not 426: a 426 promises that a protocol upgrade
would help, and no protocol of this router serves subscriptions yet.) Without the extension
the handshake is closed before it completes, which servers answer with HTTP 403.
"""

from __future__ import annotations

import orjson
import structlog

from .asgi import Receive, Scope, Send

log = structlog.get_logger("router.http.websocket")

CODE = "SUBSCRIPTION_NOT_SUPPORTED"
MESSAGE = (
    "WebSocket connections are not served by this router (subscriptions are not supported); "
    "send queries and mutations with HTTP POST or GET"
)
BODY = orjson.dumps({"errors": [{"message": MESSAGE, "extensions": {"code": CODE}}]})
STATUS = 501
POLICY_VIOLATION = 1008


async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one ``websocket`` scope with a refusal."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    log.info("websocket.refused", path=scope.get("path"))
    if "websocket.http.response" in scope.get("extensions", {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": STATUS,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(BODY)).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": BODY})
        return
    await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": CODE})
