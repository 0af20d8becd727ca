"""`load_supergraph` from a file and from a real HTTP server on a free port."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from router.supergraph import SupergraphError, load_supergraph, read_supergraph
from tests.support.supergraph_sdl import supergraph

SDL = supergraph(
    "type Query @join__type(graph: PRODUCTS) { hello: String @join__field(graph: PRODUCTS) }"
)


@pytest_asyncio.fixture
async def sdl_server() -> AsyncIterator[str]:
    """Serves SDL at /supergraph.graphql, a 500 at /broken; yields the base URL."""

    async def serve(_: web.Request) -> web.Response:
        return web.Response(text=SDL, content_type="text/plain")

    async def broken(_: web.Request) -> web.Response:
        return web.Response(status=500, text="down")

    app = web.Application()
    app.router.add_get("/supergraph.graphql", serve)
    app.router.add_get("/broken", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        sock.close()


async def test_load_from_file(tmp_path: Path) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(SDL, encoding="utf-8")
    loaded = await load_supergraph(str(path))
    assert loaded.schema_hash == read_supergraph(SDL).schema_hash
    assert set(loaded.field("Query", "hello").graphs) == {"PRODUCTS"}


async def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope.graphql"
    with pytest.raises(SupergraphError, match=r"cannot read the supergraph file .*nope\.graphql"):
        await load_supergraph(str(missing))
    binary = tmp_path / "binary.graphql"
    binary.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(SupergraphError, match="cannot read the supergraph file"):
        await load_supergraph(str(binary))


async def test_load_from_http(sdl_server: str) -> None:
    loaded = await load_supergraph(f"{sdl_server}/supergraph.graphql")
    assert loaded.sdl == SDL
    assert loaded.subgraph_by_name("products").url == "http://products:4002/graphql"


async def test_http_errors_are_reported(sdl_server: str) -> None:
    with pytest.raises(SupergraphError, match="HTTP 500"):
        await load_supergraph(f"{sdl_server}/broken")
    with pytest.raises(SupergraphError, match="HTTP 404"):
        await load_supergraph(f"{sdl_server}/missing")


async def test_unreachable_url_is_reported() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    with pytest.raises(SupergraphError, match=f"cannot load the supergraph from .*:{port}"):
        await load_supergraph(f"http://127.0.0.1:{port}/supergraph.graphql")
