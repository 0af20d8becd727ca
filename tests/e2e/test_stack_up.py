"""The README's first command, end to end: `polyshop up` from nothing, Ctrl-C, and again.

It runs the real command in a child process on the development ports, the way a developer
does, with the data directory in a temp folder.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from polyshop.services import ROUTER_PORT, SERVICES_BY_NAME

READY_LINE = "PolyShop is running"
PRODUCTS_URL = SERVICES_BY_NAME["products"].routing_url
ROUTER_URL = f"http://127.0.0.1:{ROUTER_PORT}/graphql"
COUNT_QUERY = "{ products(first: 1) { totalCount } }"


@asynccontextmanager
async def running_stack(data_dir: Path, *extra: str) -> AsyncIterator[list[str]]:
    """Yields the lines printed so far once the stack says it is running; then Ctrl-C."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "polyshop.cli",
        "up",
        *extra,
        env={**os.environ, "POLYSHOP_DATA_DIR": str(data_dir)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(180):
            while READY_LINE not in "".join(lines):
                line = await process.stdout.readline()
                if not line:
                    raise AssertionError("polyshop up exited early:\n" + "".join(lines))
                lines.append(line.decode())
        yield lines
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), 60)
        lines.append(rest.decode())
    assert process.returncode == 0, "".join(lines)


async def product_count(url: str = PRODUCTS_URL) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"query": COUNT_QUERY}) as response,
    ):
        body = await response.json()
    assert "errors" not in body, body
    count: int = body["data"]["products"]["totalCount"]
    return count


async def test_up_serves_demo_data_stops_cleanly_and_keeps_data(
    embedded_server_dir: Path,
) -> None:
    data_dir = embedded_server_dir / "data"
    async with running_stack(data_dir) as lines:
        output = "".join(lines)
        assert PRODUCTS_URL.removesuffix("/graphql") in output
        first_count = await product_count()
        assert first_count >= 100
        assert ROUTER_URL in output, "the GraphiQL URL of the router is printed"
        assert await product_count(ROUTER_URL) == first_count
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "PostgreSQL left running"

    async with running_stack(data_dir):
        assert await product_count() == first_count, "demo data loaded twice or lost"
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
