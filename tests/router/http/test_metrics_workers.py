"""``/metrics`` with several workers shows the sum over every worker (multiprocess mode).

The real command (``python -m router --workers 2``) in front of real HTTP subgraphs; each
GraphQL request and each scrape goes on a new connection, so the kernel spreads them over
both workers, and every scrape, whichever worker answers it, must show every request.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import aiohttp
import orjson
from prometheus_client.parser import text_string_to_metric_families

from tests.support.router_harness import SUPERGRAPH
from tests.support.subgraph_server import sample_subgraph

REQUESTS = 24


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def totals(text: str) -> tuple[float, float, float]:
    """(GraphQL requests answered, subgraph fetches, workers) in one scrape."""
    requests = fetches = workers = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "polyshop_router_requests_total":
                requests += sample.value
            elif sample.name == "polyshop_router_subgraph_request_duration_seconds_count":
                fetches += sample.value
            elif sample.name == "polyshop_router_workers":
                workers += sample.value
    return requests, fetches, workers


async def scrape(url: str) -> str:
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session,
        session.get(url) as response,
    ):
        assert response.status == 200
        return await response.text()


async def test_metrics_are_summed_over_two_workers() -> None:
    products = await sample_subgraph("products").start()
    reviews = await sample_subgraph("reviews").start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "POLYSHOP_ROUTER_SUPERGRAPH": str(SUPERGRAPH),
        "POLYSHOP_ROUTER_HOT_RELOAD": "false",
        "POLYSHOP_ROUTER_SUBGRAPH_URLS": orjson.dumps(
            {"products": products.url, "reviews": reviews.url}
        ).decode(),
        "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL": "warning",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        "--port",
        str(port),
        "--workers",
        "2",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(60):
            while True:  # both workers up: each counts itself in polyshop_router_workers
                try:
                    if totals(await scrape(base + "/metrics"))[2] == 2:
                        break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
        for _ in range(REQUESTS):
            async with (
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http,
                http.post(
                    base + "/graphql",
                    json={"query": "{ topProducts { id reviews { body } } }"},
                ) as response,
            ):
                assert response.status == 200
                assert "errors" not in await response.json()
        assert len(products.received) + len(reviews.received) == 2 * REQUESTS
        for _ in range(6):
            assert totals(await scrape(base + "/metrics")) == (REQUESTS, 2 * REQUESTS, 2)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        await products.close()
        await reviews.close()
