"""The README's first command, end to end: `polyshop up` from nothing, Ctrl-C, and again.

It runs the real command in a child process, the way a developer does, with the data directory
in a temp folder and the development ports moved by a free ``POLYSHOP_PORT_OFFSET`` (so a
developer's own stack, or another test run, may be up meanwhile).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from polyshop.devstack.demo_flow import DEMO_ORDERS
from polyshop.services import ROUTER_PORT, SERVICES, STOREFRONT_PORT

READY_LINE = "PolyShop is running"
COUNT_QUERY = "{ products(first: 1) { totalCount } }"


def free_port_offset(host: str = "127.0.0.1") -> int:
    """An offset that puts the router, every subgraph and the storefront on free ports,
    below the ephemeral range the embedded servers draw their own ports from."""
    ports = [ROUTER_PORT, STOREFRONT_PORT, *(spec.port for spec in SERVICES)]
    for _ in range(200):
        offset = random.randrange(6000, 28000, 10)
        if all(_bindable(host, port + offset) for port in ports):
            return offset
    raise RuntimeError("no free block of development ports")


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class RunningStack:
    """A `polyshop up` child process; ``lines`` is what it printed until it said it runs."""

    data_dir: Path
    port_offset: int
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def router_url(self) -> str:
        return f"http://127.0.0.1:{ROUTER_PORT + self.port_offset}/graphql"

    def service_url(self, name: str) -> str:
        port = next(spec.port for spec in SERVICES if spec.name == name)
        return f"http://127.0.0.1:{port + self.port_offset}/graphql"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"


def printed_in_full(lines: list[str]) -> bool:
    """The block of URLs printed at start-up ends with the first blank line after NATS's."""
    nats = [i for i, line in enumerate(lines) if line.startswith("  NATS ")]
    return bool(nats) and READY_LINE in "".join(lines) and "\n" in lines[nats[0] + 1 :]


@asynccontextmanager
async def running_stack(
    data_dir: Path,
    *extra: str,
    port_offset: int | None = None,
    env_overrides: Mapping[str, str] | None = None,
) -> AsyncIterator[RunningStack]:
    """Yields once the stack says it is running; then Ctrl-C, and a clean exit is asserted.
    ``env_overrides`` are added to the stack's environment (its settings, say)."""
    offset = free_port_offset() if port_offset is None else port_offset
    stack = RunningStack(data_dir, offset)
    env = {
        **os.environ,
        "POLYSHOP_DATA_DIR": str(data_dir),
        "POLYSHOP_PORT_OFFSET": str(offset),
        **(env_overrides or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "polyshop.cli",
        "up",
        *extra,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(180):
            while not printed_in_full(stack.lines):
                line = await process.stdout.readline()
                if not line:
                    raise AssertionError("polyshop up exited early:\n" + stack.output)
                stack.lines.append(line.decode())
        # Keep reading: the services log to this pipe, and a full pipe would block them all.
        drain = asyncio.create_task(_drain(process.stdout, stack.lines))
        try:
            yield stack
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
            await asyncio.wait_for(drain, 60)
            await asyncio.wait_for(process.wait(), 60)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), 60)
        stack.lines.append(rest.decode())
    assert process.returncode == 0, stack.output


async def _drain(stream: asyncio.StreamReader, lines: list[str]) -> None:
    """Everything the stack prints from now on (in chunks: a log line may be long)."""
    while chunk := await stream.read(65536):
        lines.append(chunk.decode(errors="replace"))


async def product_count(url: str) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"query": COUNT_QUERY}) as response,
    ):
        body = await response.json()
    assert "errors" not in body, body
    count: int = body["data"]["products"]["totalCount"]
    return count


def demo_orders_line(output: str) -> str:
    match = re.search(r"Demo orders +(.*)", output)
    assert match is not None, output
    return match.group(1)


async def test_up_serves_demo_data_stops_cleanly_and_keeps_data(
    embedded_server_dir: Path,
) -> None:
    data_dir = embedded_server_dir / "data"
    async with running_stack(data_dir) as stack:
        products_url = stack.service_url("products")
        assert products_url.removesuffix("/graphql") in stack.output
        first_count = await product_count(products_url)
        assert first_count >= 100
        assert stack.router_url in stack.output, "the GraphiQL URL of the router is printed"
        assert await product_count(stack.router_url) == first_count
        assert f"maildir {stack.mail_dir.resolve()}" in stack.output, "where mail lands"
        first_orders = demo_orders_line(stack.output)
        assert first_orders.startswith(f"{len(DEMO_ORDERS)} demo orders"), first_orders
        assert first_orders.endswith(f"; {len(DEMO_ORDERS)} new"), first_orders
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "PostgreSQL left running"

    async with running_stack(data_dir) as stack:
        assert await product_count(stack.service_url("products")) == first_count, (
            "demo data loaded twice or lost"
        )
        again = demo_orders_line(stack.output)
        # the same orders in the same states, and nothing new
        assert again == first_orders.replace(f"; {len(DEMO_ORDERS)} new", "; 0 new"), again
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
