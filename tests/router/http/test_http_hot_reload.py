"""Hot reload: a changed supergraph file swaps the engine; in-flight requests finish on the old
engine, which closes afterwards; a broken file is rejected and the old supergraph keeps serving."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import structlog
from aiohttp import web

from router.engine import Engine, EngineConfig, GraphQLRequest, GraphQLResponse, RequestContext
from router.hot_reload import ReloadOutcome, ServingEngine
from router.settings import RouterSettings
from router.supergraph import Supergraph
from tests.support.router_harness import SUPERGRAPH, RunningRouter, running_router
from tests.support.subgraph_server import SubgraphServer, sample_subgraph


class RecordingEngine(Engine):
    """The real engine, noting when it last finished an operation and when it was closed."""

    closed_at: float | None = None
    finished_at: float | None = None

    async def execute(self, request: GraphQLRequest, context: RequestContext) -> GraphQLResponse:
        response = await super().execute(request, context)
        self.finished_at = time.monotonic()
        return response

    async def close(self) -> None:
        await super().close()
        self.closed_at = time.monotonic()


class Builder:
    def __init__(self) -> None:
        self.engines: list[RecordingEngine] = []

    async def __call__(self, supergraph: Supergraph) -> ServingEngine:
        engine = RecordingEngine(supergraph, EngineConfig())
        await engine.start()
        self.engines.append(engine)
        return engine


@pytest_asyncio.fixture(scope="module")
async def versions() -> AsyncIterator[tuple[SubgraphServer, SubgraphServer, SubgraphServer]]:
    """products v1, products v2 and reviews: v1 and v2 tag product names differently."""
    servers = (
        await sample_subgraph("products", tag="-v1").start(),
        await sample_subgraph("products", tag="-v2").start(),
        await sample_subgraph("reviews").start(),
    )
    yield servers
    for server in servers:
        await server.close()


def supergraph_text(products: SubgraphServer, reviews: SubgraphServer) -> str:
    """The test supergraph with real routing URLs, so each version names its own subgraph."""
    return (
        SUPERGRAPH.read_text()
        .replace("http://products.invalid/graphql", products.url)
        .replace("http://reviews.invalid/graphql", reviews.url)
    )


def settings(path: Path | str, interval: float) -> RouterSettings:
    return RouterSettings(
        supergraph=str(path), port=0, hot_reload=True, reload_interval=interval, drain_timeout=5
    )


async def product_name(router: RunningRouter) -> str:
    async with router.session.post(
        router.graphql, json={"query": '{ product(id: "p1") { name } }'}
    ) as response:
        assert response.status == 200
        body = await response.json()
    return str(body["data"]["product"]["name"])


async def wait_for_generation(router: RunningRouter, generation: int) -> None:
    assert router.app.holder is not None
    for _ in range(200):
        if router.app.holder.generation == generation:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no reload to generation {generation}")


async def test_a_changed_file_swaps_the_engine(
    tmp_path: Path, versions: tuple[SubgraphServer, SubgraphServer, SubgraphServer]
) -> None:
    v1, v2, reviews = versions
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_text(v1, reviews))
    build = Builder()
    async with running_router(settings(path, 0.05), build) as router:
        assert await product_name(router) == "Table-v1"
        path.write_text(supergraph_text(v2, reviews))
        await wait_for_generation(router, 2)
        assert await product_name(router) == "Table-v2"
        assert router.app.holder is not None
        assert router.app.holder.supergraph.schema_hash != build.engines[0].supergraph.schema_hash
        for _ in range(100):  # nothing in flight: the old engine closes at once
            if build.engines[0].closed_at is not None:
                break
            await asyncio.sleep(0.02)
        assert build.engines[0].closed_at is not None
        assert build.engines[1].closed_at is None
    assert build.engines[1].closed_at is not None


async def test_in_flight_requests_finish_on_the_old_engine(
    tmp_path: Path, versions: tuple[SubgraphServer, SubgraphServer, SubgraphServer]
) -> None:
    v1, v2, reviews = versions
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_text(v1, reviews))
    build = Builder()
    async with running_router(settings(path, 60), build) as router:
        assert router.app.watcher is not None
        v1.received.clear()
        v1.request_arrived.clear()

        async def slow() -> str:
            async with router.session.post(
                router.graphql, json={"query": "{ slow(seconds: 0.5) }"}
            ) as response:
                assert response.status == 200
                body = await response.json()
            return str(body["data"]["slow"])

        in_flight = asyncio.create_task(slow())
        await asyncio.wait_for(v1.request_arrived.wait(), 5)
        path.write_text(supergraph_text(v2, reviews))
        assert await router.app.watcher.check() is ReloadOutcome.RELOADED
        assert await product_name(router) == "Table-v2"
        assert build.engines[0].closed_at is None, "closed while a request was in flight"
        assert await in_flight == "slept-v1"
        for _ in range(100):
            if build.engines[0].closed_at is not None:
                break
            await asyncio.sleep(0.01)
        old = build.engines[0]
        assert old.closed_at is not None
        assert old.finished_at is not None
        assert old.closed_at > old.finished_at


async def test_a_broken_supergraph_is_rejected_and_the_old_one_keeps_serving(
    tmp_path: Path, versions: tuple[SubgraphServer, SubgraphServer, SubgraphServer]
) -> None:
    v1, v2, reviews = versions
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_text(v1, reviews))
    build = Builder()
    async with running_router(settings(path, 60), build) as router:
        watcher = router.app.watcher
        assert watcher is not None
        for broken in ["type Query {", "type Query { hello: String }"]:
            path.write_text(broken)
            with structlog.testing.capture_logs() as logs:
                assert await watcher.check() is ReloadOutcome.REJECTED
            (rejected,) = [entry for entry in logs if entry["event"] == "supergraph.rejected"]
            assert rejected["log_level"] == "error"
            assert rejected["reason"]
            assert await product_name(router) == "Table-v1"
        assert router.app.holder is not None
        assert router.app.holder.generation == 1
        assert len(build.engines) == 1
        # Checking again does not log the same rejection twice; a fixed file loads.
        assert await watcher.check() is ReloadOutcome.UNCHANGED
        path.write_text(supergraph_text(v2, reviews))
        assert await watcher.check() is ReloadOutcome.RELOADED
        assert await product_name(router) == "Table-v2"


@pytest.mark.parametrize("content", ["", "not graphql at all"])
async def test_the_router_refuses_to_start_on_a_broken_supergraph(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(content)
    with pytest.raises(Exception, match=r"supergraph|start"):
        async with running_router(settings(path, 60)):
            pass


async def test_a_supergraph_url_is_polled_too(
    versions: tuple[SubgraphServer, SubgraphServer, SubgraphServer],
) -> None:
    v1, v2, reviews = versions
    served = {"sdl": supergraph_text(v1, reviews), "status": 200}

    async def handle(_request: web.Request) -> web.Response:
        return web.Response(text=served["sdl"], status=int(served["status"]))

    app = web.Application()
    app.router.add_get("/supergraph.graphql", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/supergraph.graphql"
    try:
        async with running_router(settings(url, 60), Builder()) as router:
            watcher = router.app.watcher
            assert watcher is not None
            assert await product_name(router) == "Table-v1"
            assert await watcher.check() is ReloadOutcome.UNCHANGED
            served["status"] = 503
            assert await watcher.check() is ReloadOutcome.REJECTED
            assert await watcher.check() is ReloadOutcome.UNCHANGED  # logged once
            assert await product_name(router) == "Table-v1"
            served.update(status=200, sdl=supergraph_text(v2, reviews))
            assert await watcher.check() is ReloadOutcome.RELOADED
            assert await product_name(router) == "Table-v2"
    finally:
        await runner.cleanup()
