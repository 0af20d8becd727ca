"""``python -m router`` as a real process under load gets SIGTERM: ``/ready`` turns 503 while
the listener is still open (the client stops sending then, as a load balancer would), every
request sent gets its complete answer, including those still running when the listener
closed, and the process ends after a graceful shutdown. Its stderr is JSON lines."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from polyshop.devstack.ports import free_port
from tests.support.router_harness import SUPERGRAPH
from tests.support.subgraph_server import SubgraphServer

pytestmark = pytest.mark.slow  # a router process under load and SIGTERM

ROOT = Path(__file__).resolve().parents[3]
SLOW = 1.5
DELAY = 0.8
GRACEFUL_EXIT = (0, -signal.SIGTERM)  # uvicorn re-raises the handled signal at the end


async def wait_ready(url: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{url} never became ready"
            await asyncio.sleep(0.1)


async def test_sigterm_under_load(subgraphs: dict[str, SubgraphServer]) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "POLYSHOP_ROUTER_SUPERGRAPH": str(SUPERGRAPH),
        "POLYSHOP_ROUTER_HOT_RELOAD": "false",
        "POLYSHOP_ROUTER_PORT": str(port),
        "POLYSHOP_ROUTER_SUBGRAPH_URLS": ",".join(
            f"{name}={server.url}" for name, server in subgraphs.items()
        ),
        "POLYSHOP_ROUTER_SHUTDOWN_DELAY": str(DELAY),
        "POLYSHOP_ROUTER_DRAIN_TIMEOUT": "10",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    log: list[bytes] = []

    async def collect() -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            log.append(line)

    reader = asyncio.create_task(collect())
    outcomes: list[tuple[float, float, int | None, bytes | str]] = []
    readiness: list[tuple[float, int | str]] = []
    stop_sending = asyncio.Event()

    async def load(worker: int) -> None:
        # One query text per worker: identical in-flight fetches would be deduplicated into
        # one subgraph request, and the subgraph's in-flight count would not see every worker.
        query = {"query": f"{{ slow(seconds: {SLOW + worker / 1000}) }}"}
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            while not stop_sending.is_set():
                started = time.monotonic()
                try:
                    response = await http.post(f"{url}/graphql", json=query)
                    outcomes.append(
                        (started, time.monotonic(), response.status_code, response.content)
                    )
                except httpx.HTTPError as error:
                    outcomes.append((started, time.monotonic(), None, repr(error)))

    async def watch() -> None:
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                try:
                    status: int | str = (await http.get(f"{url}/ready")).status_code
                except httpx.ConnectError:
                    status = "refused"
                readiness.append((time.monotonic(), status))
                if status != 200:
                    stop_sending.set()
                if status == "refused":
                    return
                await asyncio.sleep(0.05)

    try:
        await wait_ready(f"{url}/ready")
        workers = [asyncio.create_task(load(n)) for n in range(6)]
        products, deadline = subgraphs["products"], time.monotonic() + 30
        while products.in_flight < len(workers):  # mid-load: every worker's request is running
            assert time.monotonic() < deadline, f"{products.in_flight} requests in flight"
            await asyncio.sleep(0.01)
        watcher = asyncio.create_task(watch())
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.gather(*workers, watcher), 30)
        exit_code = await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await reader

    assert exit_code in GRACEFUL_EXIT, b"".join(log[-20:]).decode()
    statuses = [status for _, status in readiness]
    first_503 = statuses.index(503)
    assert 200 not in statuses[first_503:], statuses
    closed_at = readiness[statuses.index("refused")][0]
    assert readiness[first_503][0] < closed_at
    assert closed_at - signalled >= DELAY - 0.1
    assert outcomes
    for started, ended, status, body in outcomes:
        assert status == 200, (started - signalled, ended - signalled, body)
        assert orjson.loads(body) == {"data": {"slow": "slept"}}
    assert any(started < closed_at < ended for started, ended, _, _ in outcomes)

    lines = [orjson.loads(line) for line in log if line.strip()]
    events = [line["event"] for line in lines]
    assert "router.draining" in events
    assert "engine.closed" in events
