"""A subgraph that is down, slow or broken reaches clients as ``SUBREQUEST_HTTP_ERROR`` naming
the subgraph with a fixed reason: never an internal address, port or library message (those
are logged)."""

from __future__ import annotations

import socket
from typing import Any

import orjson
import pytest
import structlog
from aiohttp import web

from tests.support.router_harness import running_router, settings_for
from tests.support.subgraph_server import SubgraphServer

QUERY = "{ topProducts { name reviews { body } } }"


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_subgraph_down_gives_a_coded_error_without_addresses(
    subgraphs: dict[str, SubgraphServer],
) -> None:
    port = closed_port()
    settings = settings_for(subgraphs)
    urls = {**settings.subgraph_urls, "reviews": f"http://127.0.0.1:{port}/graphql"}
    settings = settings.model_copy(update={"subgraph_urls": urls})
    with structlog.testing.capture_logs() as logs:
        async with (
            running_router(settings) as router,
            router.session.post(router.graphql, json={"query": QUERY}) as response,
        ):
            raw = await response.read()
    assert response.status == 200
    body: dict[str, Any] = orjson.loads(raw)
    (error,) = body["errors"]
    assert error["message"] == "HTTP fetch failed from 'reviews': error trying to connect"
    assert error["extensions"] == {
        "code": "SUBREQUEST_HTTP_ERROR",
        "service": "reviews",
        "reason": "error trying to connect",
    }
    text = raw.decode()
    for leak in ("127.0.0.1", str(port), "Connect call failed", "Errno", "aiohttp"):
        assert leak not in text, leak
    # The detail is in the router's log, for operators.
    (logged,) = [e for e in logs if e["event"] == "router.subgraph_fetch_failed"]
    assert logged["service"] == "reviews"
    assert str(port) in logged["detail"]


@pytest.mark.parametrize(
    ("status", "reason"),
    [(500, "500: Internal Server Error"), (502, "502: Bad Gateway")],
)
async def test_subgraph_http_error_reason_is_the_standard_phrase(
    subgraphs: dict[str, SubgraphServer], status: int, reason: str
) -> None:
    """The subgraph's own reason phrase (free text) is replaced by the standard one."""

    async def broken(_request: web.Request) -> web.Response:
        return web.Response(status=status, reason="db at 10.0.0.7:5432 refused", text="boom")

    app = web.Application()
    app.router.add_post("/graphql", broken)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    settings = settings_for(subgraphs)
    urls = {
        **settings.subgraph_urls,
        "reviews": f"http://127.0.0.1:{sock.getsockname()[1]}/graphql",
    }
    try:
        async with (
            running_router(settings.model_copy(update={"subgraph_urls": urls})) as router,
            router.session.post(router.graphql, json={"query": QUERY}) as response,
        ):
            raw = await response.read()
    finally:
        await runner.cleanup()
    body = orjson.loads(raw)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert error["extensions"]["reason"] == reason
    assert error["extensions"]["http"] == {"status": status}
    assert "10.0.0.7" not in raw.decode()
