"""`polyshop up` survives a crash, and an outage costs only the fields of the dead subgraph.

One real stack (`running_stack`, the way a developer runs it): inventory is killed with
SIGKILL; while it is down a query through the router for products with their stock and the
caller's ``me`` (auth) answers partial data: the products' own fields and ``me`` are there,
``stock``/``inStock`` are null (they are nullable because inventory contributes them), and the
error carries a code. The stack says it restarts inventory, inventory answers again, the other
processes keep their pids, and Ctrl-C still stops everything cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp

from polyshop.devstack.demo_flow import ALICE, DEMO_PASSWORD
from polyshop.services import ROUTER_PORT, SERVICES
from tests.e2e.test_stack_up import RunningStack, running_stack

# Long enough that the outage is seen for certain before the restart.
RESTART_BACKOFF = 4.0
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
SHOP = """
query Shop {
  products(first: 3, orderBy: NAME_ASC) {
    edges { node { id name price stock { available reserved } inStock } }
  }
  me { email }
}
"""


def listening_pid(port: int) -> int:
    """The pid of the stack's child started with ``--port <port>`` (uvicorn subgraphs) or,
    for the router, the one whose environment names that port."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--port" in args and args[args.index(b"--port") + 1] == str(port).encode():
            return int(entry.name)
        if b"router" in args and f"POLYSHOP_ROUTER_PORT={port}".encode() in environ:
            return int(entry.name)
    raise AssertionError(f"no process of the stack listens on {port}")


def pids(stack: RunningStack) -> dict[str, int]:
    ports = {spec.name: spec.port + stack.port_offset for spec in SERVICES}
    ports["router"] = ROUTER_PORT + stack.port_offset
    return {name: listening_pid(port) for name, port in ports.items()}


async def post(
    session: aiohttp.ClientSession, url: str, query: str, token: str | None = None, **v: Any
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with session.post(url, json={"query": query, "variables": v}, headers=headers) as r:
        assert r.status == 200, await r.text()
        body: dict[str, Any] = await r.json()
        return body


async def wait_for_line(stack: RunningStack, text: str, within: float) -> None:
    deadline = time.monotonic() + within
    while text not in stack.output:
        assert time.monotonic() < deadline, f"never printed {text!r}:\n{stack.output[-3000:]}"
        await asyncio.sleep(0.2)


async def test_a_killed_subgraph_is_restarted_and_its_outage_nulls_only_its_fields(
    embedded_server_dir: Path,
) -> None:
    overrides = {"POLYSHOP_RESTART_BACKOFF_INITIAL": str(RESTART_BACKOFF)}
    async with (
        running_stack(embedded_server_dir / "data", env_overrides=overrides) as stack,
        aiohttp.ClientSession() as session,
    ):
        url = stack.router_url
        login = await post(session, url, LOGIN, e=ALICE, p=DEMO_PASSWORD)
        token = login["data"]["login"]["accessToken"]
        healthy = await post(session, url, SHOP, token)
        assert "errors" not in healthy, healthy
        products = [edge["node"] for edge in healthy["data"]["products"]["edges"]]
        assert len(products) == 3
        assert all(node["stock"] is not None for node in products)
        before = pids(stack)

        os.kill(before["inventory"], signal.SIGKILL)
        killed_at = time.monotonic()
        await wait_for_line(stack, "inventory stopped (killed by SIGKILL)", RESTART_BACKOFF)
        outage = await post(session, url, SHOP, token)
        assert time.monotonic() - killed_at < RESTART_BACKOFF, "the outage was not observed"

        # Partial data: the products' own fields and `me` survive, inventory's are null.
        assert outage["data"]["me"] == {"email": ALICE}
        during = [edge["node"] for edge in outage["data"]["products"]["edges"]]
        assert [(n["id"], n["name"], n["price"]) for n in during] == [
            (n["id"], n["name"], n["price"]) for n in products
        ]
        assert all(n["stock"] is None and n["inStock"] is None for n in during)
        assert outage["errors"], outage
        for error in outage["errors"]:
            assert error.get("extensions", {}).get("code"), error

        await wait_for_line(stack, "inventory restarted (pid ", 90)
        recovered = await post(session, url, SHOP, token)
        assert "errors" not in recovered, recovered
        assert [e["node"]["stock"] for e in recovered["data"]["products"]["edges"]] == [
            n["stock"] for n in products
        ]
        after = pids(stack)
        assert after["inventory"] != before["inventory"]
        assert {k: v for k, v in after.items() if k != "inventory"} == {
            k: v for k, v in before.items() if k != "inventory"
        }, "another process was restarted"
        assert stack.output.count("restarting in") == 1, stack.output[-3000:]
        assert f"restarting in {RESTART_BACKOFF:g}s (restart 1)" in stack.output
