"""Response compression: the router's CPU per request with and without it, and bytes saved.

``python -m bench.compression [--requests 400] [--concurrency 8]``

One router process (``python -m router``, the defaults of its ``compression`` section) in front
of one subgraph (an aiohttp server in this process answering a catalogue of products from
memory, so the router's work is the only thing measured). For three answer sizes (``small``:
5 products, below ``min_size``; ``medium``: 50; ``large``: 500), the same requests are sent
with ``Accept-Encoding: identity`` (compression off, the reference) and with ``gzip``, ``br``
and ``zstd``, interleaved over ``--rounds`` rounds. Printed per cell: the router's CPU
milliseconds per request (user + system, read from /proc over the cell), its ratio to
``identity`` in the same run, the body size and the compression ratio.

A second table times the compression call alone on the large body at several levels, which
is how the defaults (gzip 6, brotli 4, zstd 3) were chosen: see
docs/decisions/0013-response-compression.md.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import brotli
import orjson
import typer
import zstandard
from aiohttp import web

from bench.procstat import cpu_seconds, process_tree
from router.composition import SubgraphSource, compose

SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

type Query {
  products(first: Int!): [Product!]!
}

type Product @key(fields: "id") {
  id: ID!
  name: String!
  description: String!
  price: Float!
  sku: String!
  tags: [String!]!
}
"""
QUERY = "query Catalogue($n: Int!) { products(first: $n) { id name description price sku tags } }"
SIZES = {"small": 5, "medium": 50, "large": 500}
ENCODINGS = ("identity", "gzip", "br", "zstd")
WORDS = ["oak", "walnut", "steel", "linen", "wool", "brass", "glass", "cedar", "ash", "clay"]


def product(index: int) -> dict[str, Any]:
    """Catalogue-like data: repetitive field names, varied values (as real answers are)."""
    word = WORDS[index % len(WORDS)]
    return {
        "id": str(10_000 + index),
        "name": f"{word.title()} chair no. {index}",
        "description": f"A {word} chair, hand finished; model {index * 7919 % 10007}, "
        f"ships in {index % 9 + 1} days.",
        "price": round(19.5 + (index * 37 % 400) / 3, 2),
        "sku": f"SKU-{index:06d}-{word[:3].upper()}",
        "tags": [word, WORDS[(index + 3) % len(WORDS)], f"batch-{index % 17}"],
    }


class Subgraph:
    """Answers the router's ``products`` fetch from memory (one encoded answer per size)."""

    def __init__(self) -> None:
        self.answers: dict[int, bytes] = {}
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        first = int(body.get("variables", {}).get("n", 0))
        answer = self.answers.get(first)
        if answer is None:
            data = {"data": {"products": [product(i) for i in range(first)]}}
            answer = self.answers[first] = orjson.dumps(data)
        return web.Response(body=answer, content_type="application/json")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/graphql", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self.runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Cell:
    cpu: list[float] = field(default_factory=list)
    """Router CPU seconds per request, one figure per round."""
    body_bytes: int = 0
    plain_bytes: int = 0


async def start_router(
    supergraph: Path, subgraph_url: str
) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    env = {
        **os.environ,
        "POLYSHOP_ROUTER_SUPERGRAPH": str(supergraph),
        "POLYSHOP_ROUTER_PORT": str(port),
        "POLYSHOP_ROUTER_SUBGRAPH_URLS": orjson.dumps({"catalogue": subgraph_url}).decode(),
        "POLYSHOP_ROUTER_HOT_RELOAD": "false",
        "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL": "warning",
        "POLYSHOP_ROUTER_CSRF_PREVENTION": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "router", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(url + "/ready") as response:
                    if response.status == 200:
                        return process, url + "/graphql"
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise RuntimeError("the router did not start")


async def load(
    session: aiohttp.ClientSession,
    url: str,
    first: int,
    encoding: str,
    requests: int,
    concurrency: int,
) -> int:
    """Send ``requests`` requests; the size of the (still encoded) answer body."""
    payload = orjson.dumps({"query": QUERY, "variables": {"n": first}})
    headers = {"content-type": "application/json", "accept-encoding": encoding}
    sizes: list[int] = []

    async def worker(count: int) -> None:
        for _ in range(count):
            async with session.post(
                url, data=payload, headers=headers, auto_decompress=False
            ) as response:
                body = await response.read()
                assert response.status == 200, body[:200]
                sizes.append(len(body))

    share = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
    await asyncio.gather(*(worker(n) for n in share))
    return sizes[-1]


def level_table(body: bytes, repeat: int) -> list[tuple[str, float, float]]:
    """(algorithm and level, milliseconds per call, compression ratio) on ``body``."""
    candidates = [
        *((f"gzip {lvl}", lambda d, lvl=lvl: _gzip(d, lvl)) for lvl in (1, 6, 9)),
        *((f"br {q}", lambda d, q=q: brotli.compress(d, quality=q)) for q in (1, 4, 6, 11)),
        *((f"zstd {lvl}", zstandard.ZstdCompressor(level=lvl).compress) for lvl in (1, 3, 9, 19)),
    ]
    rows = []
    for name, compress in candidates:
        runs = max(1, repeat // 10) if name in ("br 11", "zstd 19") else repeat
        started = time.process_time()
        for _ in range(runs):
            packed = compress(body)
        elapsed = (time.process_time() - started) / runs
        rows.append((name, elapsed * 1000, len(body) / len(packed)))
    return rows


def _gzip(data: bytes, level: int) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


async def run(requests: int, concurrency: int, rounds: int) -> None:
    subgraph = Subgraph()
    await subgraph.start()
    composed = compose([SubgraphSource("catalogue", subgraph.url, SDL)])
    if composed.supergraph_sdl is None:
        raise RuntimeError(f"composition failed: {composed.errors}")
    with tempfile.TemporaryDirectory() as directory:
        supergraph = Path(directory) / "supergraph.graphql"
        supergraph.write_text(composed.supergraph_sdl)
        process, url = await start_router(supergraph, subgraph.url)
        cells: dict[tuple[str, str], Cell] = {}
        try:
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=concurrency)
            ) as session:
                for first in SIZES.values():  # warm-up: plans cached, answers encoded
                    for encoding in ENCODINGS:
                        await load(session, url, first, encoding, 2 * concurrency, concurrency)
                pids = process_tree(process.pid)
                for _ in range(rounds):
                    for size, first in SIZES.items():
                        for encoding in ENCODINGS:
                            before = sum(cpu_seconds(pids).values())
                            body = await load(session, url, first, encoding, requests, concurrency)
                            used = sum(cpu_seconds(pids).values()) - before
                            cell = cells.setdefault((size, encoding), Cell())
                            cell.cpu.append(used / requests)
                            cell.body_bytes = body
                            if encoding == "identity":
                                cell.plain_bytes = body
        finally:
            process.terminate()
            await process.wait()
            await subgraph.close()
    print(
        f"\nRouter CPU per request ({requests} requests x {rounds} rounds per cell, "
        f"{concurrency} connections; median round)\n"
    )
    print(
        f"{'answer':<8} {'encoding':<9} {'CPU ms/req':>10} {'CPU x':>7} {'bytes':>8} {'size x':>7}"
    )
    for size in SIZES:
        reference = statistics.median(cells[(size, "identity")].cpu)
        plain = cells[(size, "identity")].plain_bytes
        for encoding in ENCODINGS:
            cell = cells[(size, encoding)]
            cpu = statistics.median(cell.cpu)
            print(
                f"{size:<8} {encoding:<9} {cpu * 1000:>10.3f} {cpu / reference:>7.2f} "
                f"{cell.body_bytes:>8} {plain / cell.body_bytes:>7.1f}"
            )
    large = orjson.dumps({"data": {"products": [product(i) for i in range(SIZES["large"])]}})
    print(f"\nCompression call alone on the large answer ({len(large)} bytes)\n")
    print(f"{'level':<9} {'ms/call':>8} {'ratio':>6}")
    for name, milliseconds, ratio in level_table(large, 50):
        print(f"{name:<9} {milliseconds:>8.3f} {ratio:>6.1f}")


def main(
    requests: int = typer.Option(400, help="Requests per cell and round."),
    concurrency: int = typer.Option(8, help="Concurrent connections."),
    rounds: int = typer.Option(3, help="Rounds (cells interleaved); the median is kept."),
) -> None:
    """Measure the router's CPU per request with response compression on and off."""
    asyncio.run(run(requests, concurrency, rounds))


if __name__ == "__main__":
    typer.run(main)
