"""The entity cache on the commerce query: the same router with ``entity_cache`` off and on.

Part of ``python -m bench.commerce`` (`bench.commerce.run`): on the running `polyshop up`,
two routers of our own start beside the stack's, with the stack router's settings (the
services, the auth service's keys and the router's client credentials) and one difference,
``entity_cache.enabled`` (deduplication off in both: it would share the very fetches the
cache saves between wrk's identical requests). Each order size is loaded through both, one
after the other, and each cell reads, from ``/metrics`` and ``/proc``: the entity cache's hit
ratio, the router's CPU per request, its subgraph fetches and every service's SQL statements
per request. The ratios (on/off) are printed; a cache that saves nothing shows 1.00.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench import procstat, table
from bench.commerce import (
    COMMERCE_QUERY,
    IN_FLIGHT_METRIC,
    PerRequest,
    Stack,
    counter_total,
    gauge_value,
    metrics_text,
    per_request,
    run_wrk,
    snapshot,
)
from bench.load import LoadResult, write_requests
from polyshop.services import SERVICES

CACHE_METRIC = "polyshop_router_entity_cache"
REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class OwnRouter:
    """A router process of ours beside the stack's."""

    name: str
    url: str
    process: asyncio.subprocess.Process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def router_env(stack: Stack, port: int, cached: bool) -> dict[str, str]:
    """The stack router's settings (`polyshop.devstack.stack.start_router`), on ``port``."""
    assert stack.data_dir is not None
    secret = (stack.data_dir / "demo-client-secret").read_text().strip()
    auth = stack.service("auth")
    return {
        **os.environ,
        "POLYSHOP_ROUTER_SUPERGRAPH": str(REPO_ROOT / "schema" / "supergraph.graphql"),
        "POLYSHOP_ROUTER_PORT": str(port),
        "POLYSHOP_ROUTER_HOT_RELOAD": "false",
        "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL": "warning",
        "POLYSHOP_ROUTER_SUBGRAPH_URLS": json.dumps(
            {spec.name: stack.service(spec.name) + "/graphql" for spec in SERVICES}
        ),
        "POLYSHOP_ROUTER_AUTH_JWKS_URLS": f"{auth}/.well-known/jwks.json",
        "POLYSHOP_ROUTER_AUTH_ISSUERS": "polyshop-auth",
        "POLYSHOP_ROUTER_AUTH_AUDIENCES": "polyshop",
        "POLYSHOP_ROUTER_AUTH_TOKEN_URL": f"{auth}/oauth/token",
        "POLYSHOP_ROUTER_AUTH_CLIENT_ID": "router",
        "POLYSHOP_ROUTER_AUTH_CLIENT_SECRET": secret,
        "POLYSHOP_ROUTER_ENTITY_CACHE": json.dumps({"enabled": cached}),
        # Deduplication shares identical in-flight fetches between wrk's connections (the
        # same query on each): off in both, so the figures are the cache's alone.
        "POLYSHOP_ROUTER_DEDUPLICATE": "false",
    }


@contextlib.asynccontextmanager
async def own_router(stack: Stack, out: Path, name: str, cached: bool) -> AsyncIterator[OwnRouter]:
    port = _free_port()
    log = (out / f"router-{name}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "router",
        env=router_env(stack, port, cached),
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(url + "/ready") as response:
                        if response.status == 200:
                            break
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"router {name} did not start; see {log.name}")
                await asyncio.sleep(0.2)
        yield OwnRouter(name, url, process)
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
        log.close()


@dataclass(frozen=True)
class CacheCell:
    items: int
    router: str
    result: LoadResult
    measured: PerRequest
    cpu_ms: float
    """Router CPU per request (the process and its children)."""
    hit_ratio: float | None
    """Entity cache hits / lookups in the cell (None: no lookup, the cache is off)."""


def hits_and_misses(text: str) -> tuple[float, float]:
    found = counter_total(text, CACHE_METRIC, "result")
    return found.get("hit", 0.0), found.get("miss", 0.0)


async def _idle(session: aiohttp.ClientSession, url: str) -> str:
    """The router's metrics once it serves nothing (see `bench.commerce.settled`)."""
    deadline = time.monotonic() + 30
    while True:
        text = await metrics_text(session, url)
        if not gauge_value(text, IN_FLIGHT_METRIC) or time.monotonic() > deadline:
            return text
        await asyncio.sleep(0.1)


async def measure(
    session: aiohttp.ClientSession,
    stack: Stack,
    router: OwnRouter,
    services: Iterable[str],
) -> tuple[str, dict[str, str], float]:
    """The router's and the services' metrics texts and the router's CPU seconds so far."""
    names = list(services)
    router_text = await _idle(session, router.url)
    texts = await asyncio.gather(*(metrics_text(session, stack.service(n)) for n in names))
    pids = procstat.process_tree(router.process.pid)
    cpu = sum(procstat.cpu_seconds(pids).values())
    return router_text, dict(zip(names, texts, strict=True)), cpu


async def compare(
    session: aiohttp.ClientSession,
    stack: Stack,
    out: Path,
    script: Path,
    token: str,
    orders: Mapping[int, str],
    *,
    seconds: float,
    warmup: float,
    connections: int,
    services: Sequence[str],
) -> list[CacheCell]:
    cells: list[CacheCell] = []
    async with (
        own_router(stack, out, "cache-off", cached=False) as off,
        own_router(stack, out, "cache-on", cached=True) as on,
    ):
        for size, order_id in orders.items():
            body = json.dumps({"query": COMMERCE_QUERY, "variables": {"id": order_id}})
            requests_file = write_requests(out / f"cache-order-{size}.tsv", [("/graphql", body)])
            for router in (off, on):
                if warmup > 0:
                    await run_wrk(
                        router.url,
                        requests_file,
                        script,
                        token,
                        seconds=warmup,
                        connections=connections,
                    )
                before_text, before_sql, before_cpu = await measure(
                    session, stack, router, services
                )
                result = await run_wrk(
                    router.url,
                    requests_file,
                    script,
                    token,
                    seconds=seconds,
                    connections=connections,
                )
                after_text, after_sql, after_cpu = await measure(session, stack, router, services)
                measured = per_request(
                    snapshot(before_text, before_sql), snapshot(after_text, after_sql)
                )
                hits0, misses0 = hits_and_misses(before_text)
                hits1, misses1 = hits_and_misses(after_text)
                lookups = (hits1 - hits0) + (misses1 - misses0)
                cell = CacheCell(
                    size,
                    router.name,
                    result,
                    measured,
                    (after_cpu - before_cpu) * 1000 / measured.requests,
                    (hits1 - hits0) / lookups if lookups else None,
                )
                cells.append(cell)
                print(
                    f"  items={size:<3} {router.name:<9} {result.rps:8,.0f} req/s  "
                    f"CPU {cell.cpu_ms:.2f} ms/req  SQL/req {measured.sql_total:.2f}  "
                    f"fetches/req {measured.fetches_total:.2f}  hit ratio "
                    f"{'-' if cell.hit_ratio is None else f'{cell.hit_ratio:.3f}'}",
                    flush=True,
                )
    return cells


def render(cells: Sequence[CacheCell]) -> str:
    headers = [
        "items",
        "cache",
        "req/s",
        "hit ratio",
        "router CPU ms/req",
        "fetches/req",
        "SQL/req",
        "on/off req/s",
        "on/off CPU",
        "on/off SQL",
    ]
    rows = []
    by = {(cell.items, cell.router): cell for cell in cells}
    for cell in cells:
        off = by.get((cell.items, "cache-off"))
        ratio = off is not None and cell.router == "cache-on"

        def share(a: float, b: float) -> str:
            return f"{a / b:.2f}x" if b else "-"

        rows.append(
            [
                str(cell.items),
                cell.router.removeprefix("cache-"),
                f"{cell.result.rps:,.0f}",
                "-" if cell.hit_ratio is None else f"{cell.hit_ratio:.3f}",
                f"{cell.cpu_ms:.2f}",
                f"{cell.measured.fetches_total:.2f}",
                f"{cell.measured.sql_total:.2f}",
                share(cell.result.rps, off.result.rps) if ratio and off else "",
                share(cell.cpu_ms, off.cpu_ms) if ratio and off else "",
                share(cell.measured.sql_total, off.measured.sql_total) if ratio and off else "",
            ]
        )
    return table.render(headers, rows)
