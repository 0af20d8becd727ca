"""The entity cache's invalidation endpoint (``entity_cache.invalidation``), as Apollo's.

``POST <path>`` with the shared key in ``Authorization`` and a JSON body of invalidation
requests (a list, or one object)::

    [{"kind": "entity", "subgraph": "products", "type": "Product", "key": {"id": "1"}},
     {"kind": "type", "subgraph": "products", "type": "Category"},
     {"kind": "subgraph", "subgraph": "inventory"}]

Answers ``202 {"count": <entries dropped>}``; 401 ``UNAUTHENTICATED`` without the right key
(compared in constant time), 400 ``INVALID_INVALIDATION_REQUEST`` for a body that is not
that format, 405 for another method.
"""

from __future__ import annotations

import hmac

import orjson

from router.config.entity_cache import InvalidationConfig
from router.execution.entity_cache import EntityCache, InvalidationError, parse_invalidations

from .asgi import ClientDisconnected, Receive, Scope, Send, read_body, respond, respond_json
from .errors import HttpError
from .headers import decode_headers

JSON = b"application/json"
INVALID = "INVALID_INVALIDATION_REQUEST"


def _error(status: int, code: str, message: str) -> dict[str, object]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


async def serve_invalidation(
    scope: Scope,
    receive: Receive,
    send: Send,
    config: InvalidationConfig,
    cache: EntityCache,
    max_bytes: int,
) -> None:
    if scope["method"] != "POST":
        await respond(send, 405, b"", b"text/plain", [(b"allow", b"POST")])
        return
    headers = decode_headers(scope["headers"])
    expected = config.shared_key.get_secret_value() if config.shared_key is not None else ""
    given = headers.get("authorization", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        await respond_json(
            send,
            401,
            _error(401, "UNAUTHENTICATED", "The invalidation request needs the shared key"),
            JSON,
        )
        return
    try:
        body = await read_body(receive, max_bytes)
        requests = parse_invalidations(orjson.loads(body))
    except ClientDisconnected:
        return
    except HttpError as error:
        await respond_json(send, error.status, error.body(), JSON)
        return
    except orjson.JSONDecodeError as error:
        await respond_json(send, 400, _error(400, INVALID, f"The body is not JSON: {error}"), JSON)
        return
    except InvalidationError as error:
        await respond_json(send, 400, _error(400, INVALID, str(error)), JSON)
        return
    count = await cache.invalidate(requests)
    await respond_json(send, 202, {"count": count}, JSON)
