"""Run the router's ASGI app on uvicorn (httptools) on a free port inside a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn

from router.hot_reload import EngineBuilder
from router.http import RouterApp
from router.settings import RouterSettings

DATA = Path(__file__).resolve().parents[1] / "router" / "http" / "data"
SUPERGRAPH = DATA / "supergraph.graphql"


@dataclass(slots=True)
class RunningRouter:
    app: RouterApp
    url: str
    session: aiohttp.ClientSession

    @property
    def graphql(self) -> str:
        return self.url + "/graphql"


def settings_for(subgraphs: Mapping[str, Any], **overrides: Any) -> RouterSettings:
    """Router settings pointing at the test subgraphs (``name -> server with .url``)."""
    values: dict[str, Any] = {
        "supergraph": str(SUPERGRAPH),
        "port": 0,
        "hot_reload": False,
        "subgraph_urls": {name: server.url for name, server in subgraphs.items()},
    }
    values.update(overrides)
    return RouterSettings(**values)


@asynccontextmanager
async def running_router(
    settings: RouterSettings, build_engine: EngineBuilder | None = None
) -> AsyncIterator[RunningRouter]:
    app = RouterApp(settings, build_engine=build_engine)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        http="httptools",
        lifespan="on",
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # as ``polyshop-router`` runs it
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        try:
            await server.serve()
        except SystemExit as exit_:  # uvicorn exits when the lifespan startup fails
            raise RuntimeError(f"the router did not start (exit {exit_.code})") from None

    task = asyncio.create_task(serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the router did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with aiohttp.ClientSession() as session:
            yield RunningRouter(app, f"http://127.0.0.1:{port}", session)
    finally:
        server.should_exit = True
        await task
