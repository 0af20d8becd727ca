"""Serve a given `RouterApp` on uvicorn on a free port inside a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import uvicorn

from router.http import RouterApp
from tests.support.router_harness import RunningRouter


@asynccontextmanager
async def serving(app: RouterApp) -> AsyncIterator[RunningRouter]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, http="httptools", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
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
